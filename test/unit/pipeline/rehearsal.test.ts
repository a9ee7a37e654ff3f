/**
 * A kept analysis worker analyses its first study once more while it waits for the next one, so
 * that the next study runs on code V8 has settled; only small studies, only once per worker, and a
 * rehearsal that cannot run is no error.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { configSchema } from '../../../src/config/schema';
import { rehearse, REHEARSALS, REHEARSE_MAX_SECONDS, shouldRehearse } from '../../../src/pipeline/rehearsal';
import type { AnalysisJob } from '../../../src/pipeline/runAnalysis';

const dir = mkdtempSync(join(tmpdir(), 'cd8-rehearsal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = { version: 1, cohortScores: [], analysedAt: '2024-01-02T10:15:00Z' };

describe('when a worker rehearses', () => {
  it('after its first study only, when that study was scored within the limit', () => {
    expect(shouldRehearse(1, 0.8)).toBe(true);
    expect(shouldRehearse(1, REHEARSE_MAX_SECONDS)).toBe(true);
    // A large study (several seconds) has optimised the code by itself and would hold the worker.
    expect(shouldRehearse(1, REHEARSE_MAX_SECONDS + 0.1)).toBe(false);
    // A study that failed before it was scored never reports a time.
    expect(shouldRehearse(1, Infinity)).toBe(false);
    expect(shouldRehearse(2, 0.8)).toBe(false);
    expect(shouldRehearse(10, 0.8)).toBe(false);
  });
});

describe('a rehearsal', () => {
  it("analyses the study's files again", async () => {
    const s = writeSyntheticStudy(join(dir, 'a'), {
      dims: [24, 24, 24],
      background: 40,
      kvp: 120,
      lesions: [{ roiNumber: 1, name: 'GTV liver', interpretedType: 'GTV', centre: [12, 12, 12], radiusMm: 5, value: 100 }],
    });
    const job: AnalysisJob = { ctFiles: readdirSync(s.ctDir).map((f) => join(s.ctDir, f)), rtstructFile: s.rtstruct, config: configSchema.defaultValue(), run };
    expect(await rehearse(job)).toBe(REHEARSALS);
    expect(await rehearse(job, () => false, undefined, 2)).toBe(2);
  }, 60000);

  it('gives up when a job is waiting: before it starts, or before the lesions are measured', async () => {
    const s = writeSyntheticStudy(join(dir, 'b'), {
      dims: [24, 24, 24],
      background: 40,
      lesions: [{ roiNumber: 1, name: 'GTV', interpretedType: 'GTV', centre: [12, 12, 12], radiusMm: 5, value: 100 }],
    });
    const job: AnalysisJob = { ctFiles: readdirSync(s.ctDir).map((f) => join(s.ctDir, f)), rtstructFile: s.rtstruct, config: configSchema.defaultValue(), run };
    expect(await rehearse(job, () => true)).toBe(0);
    // The job comes while the files are read: asked again before the lesions, the rehearsal stops.
    let asked = 0;
    expect(await rehearse(job, () => asked++ > 0)).toBe(0);
    expect(asked).toBe(2);
  }, 60000);

  it('stops quietly when the files have gone (housekeeping may have removed them)', async () => {
    const job: AnalysisJob = { ctFiles: [join(dir, 'gone', 'ct.dcm')], rtstructFile: join(dir, 'gone', 'rs.dcm'), config: configSchema.defaultValue(), run };
    await expect(rehearse(job)).resolves.toBe(0);
  });
});
