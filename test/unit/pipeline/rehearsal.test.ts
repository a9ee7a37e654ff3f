/**
 * A kept analysis worker analyses its first study again (REHEARSALS times) while it waits for the
 * next one, so that the next study runs on code V8 has settled; only small studies, only after a
 * worker's first study, and a rehearsal that cannot run is no error.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { configSchema } from '../../../src/config/schema';
import { FIRST_STUDY_COLD_FACTOR, lastAnalysedJob, rehearse, REHEARSALS, REHEARSE_MAX_SECONDS, scoredSoonEnough, shouldRehearse } from '../../../src/pipeline/rehearsal';
import { SopClass } from '../../../src/dicom/uids';
import type { ListStudiesOptions, StudyInstance, StudyVersionSummary } from '../../../src/study/types';
import type { AnalysisJob } from '../../../src/pipeline/runAnalysis';
import { UNHURRIED_REHEARSAL_S } from '../../support/rehearsal';

const dir = mkdtempSync(join(tmpdir(), 'cd8-rehearsal-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = { version: 1, cohortScores: [], analysedAt: '2024-01-02T10:15:00Z' };

/** A small synthetic study (one 5 mm GTV) written under `name`, as the job that analyses it. */
function studyJob(name: string, kvp?: number): AnalysisJob {
  const s = writeSyntheticStudy(join(dir, name), {
    dims: [24, 24, 24],
    background: 40,
    ...(kvp ? { kvp } : {}),
    lesions: [{ roiNumber: 1, name: 'GTV liver', interpretedType: 'GTV', centre: [12, 12, 12], radiusMm: 5, value: 100 }],
  });
  return { ctFiles: readdirSync(s.ctDir).map((f) => join(s.ctDir, f)), rtstructFile: s.rtstruct, config: configSchema.defaultValue(), run };
}

describe('when a worker rehearses', () => {
  it('after its first real analysis only (a rehearsal at start counts), when that study was scored within the limit for cold code', () => {
    expect(shouldRehearse(1, 0.8)).toBe(true);
    // The first study ran on cold code, slower than its rehearsals will: a multiple of the limit.
    const coldLimit = FIRST_STUDY_COLD_FACTOR * REHEARSE_MAX_SECONDS;
    expect(coldLimit).toBeGreaterThan(REHEARSE_MAX_SECONDS);
    expect(shouldRehearse(1, coldLimit)).toBe(true);
    // A large study (several seconds) has optimised the code by itself and would hold the worker.
    expect(shouldRehearse(1, coldLimit + 0.1)).toBe(false);
    // A later spare is given a study scored within the limit itself (by a worker whose code had settled).
    expect(scoredSoonEnough(REHEARSE_MAX_SECONDS)).toBe(true);
    expect(scoredSoonEnough(REHEARSE_MAX_SECONDS + 0.1)).toBe(false);
    // A study that failed before it was scored never reports a time.
    expect(shouldRehearse(1, Infinity)).toBe(false);
    expect(shouldRehearse(2, 0.8)).toBe(false);
    expect(shouldRehearse(10, 0.8)).toBe(false);
  });
});

describe('a rehearsal', () => {
  it("analyses the study's files again", async () => {
    const job = studyJob('a', 120);
    expect(await rehearse(job, () => false, undefined, REHEARSALS, UNHURRIED_REHEARSAL_S)).toBe(REHEARSALS);
    expect(await rehearse(job, () => false, undefined, 2, UNHURRIED_REHEARSAL_S)).toBe(2);
  }, 60000);

  it('gives up when a job is waiting: before it starts, or before the lesions are measured', async () => {
    const job = studyJob('b');
    expect(await rehearse(job, () => true)).toBe(0);
    // The job comes while the files are read: asked again before the lesions, the rehearsal stops.
    let asked = 0;
    expect(await rehearse(job, () => asked++ > 0, undefined, REHEARSALS, UNHURRIED_REHEARSAL_S)).toBe(0);
    expect(asked).toBe(2);
  }, 60000);

  it("gives up between a lesion's feature steps when the job comes while they are computed (not only before the lesions)", async () => {
    const job = studyJob('d');
    let asked = 0;
    expect(await rehearse(job, () => (asked++, false), undefined, 1, UNHURRIED_REHEARSAL_S)).toBe(1);
    // Before the study, before its lesions, then before each feature step of the lesion.
    const checks = asked;
    expect(checks).toBeGreaterThan(10);
    // The job comes just before the lesion's last step (the ring's texture): nothing is completed.
    asked = 0;
    expect(await rehearse(job, () => ++asked === checks, undefined, 1, UNHURRIED_REHEARSAL_S)).toBe(0);
    expect(asked).toBe(checks);
  }, 60000);

  it('gives up once it has run for its time limit (the node\'s last study, given at start, may be a large one)', async () => {
    const job = studyJob('c');
    // No job waits, but the limit has passed before the lesions are measured: nothing is completed,
    // and a study that slow is not tried again (one pass asks twice: before it, before the lesions).
    let asked = 0;
    expect(await rehearse(job, () => (asked++, false), undefined, REHEARSALS, 0)).toBe(0);
    expect(asked).toBe(2);
    expect(await rehearse(job, () => false, undefined, 1, UNHURRIED_REHEARSAL_S)).toBe(1);
  }, 60000);

  it('stops quietly when the files have gone (housekeeping may have removed them)', async () => {
    const job: AnalysisJob = { ctFiles: [join(dir, 'gone', 'ct.dcm')], rtstructFile: join(dir, 'gone', 'rs.dcm'), config: configSchema.defaultValue(), run };
    await expect(rehearse(job)).resolves.toBe(0);
  });
});

describe('the study a restarted node rehearses', () => {
  const instance = (path: string, sopClassUid: string): StudyInstance =>
    ({ path, sopClassUid, sopInstanceUid: path, seriesInstanceUid: '1.2', frameOfReferenceUid: '1.9', receivedAt: new Date(0), rtstruct: sopClassUid === SopClass.RtStructureSetStorage ? { frameOfReferenceUids: ['1.9'], seriesUids: [], imageUids: [] } : undefined }) as StudyInstance;
  /** The two catalog questions it asks, over a list of studies (most recently active first). */
  const catalog = (studies: Array<Pick<StudyVersionSummary, 'studyInstanceUid' | 'version' | 'state'>>, instances: StudyInstance[]) => {
    const asked: ListStudiesOptions[] = [];
    return {
      asked,
      listStudies: async (o: ListStudiesOptions = {}) => {
        asked.push(o);
        return studies.filter((s) => !o.states || o.states.includes(s.state)).slice(0, o.limit ?? 50) as StudyVersionSummary[];
      },
      listInstances: async () => instances,
    };
  };

  it('is the most recently analysed one, with its CT images and RTSTRUCT', async () => {
    const c = catalog([{ studyInstanceUid: '1.1', version: 2, state: 'done' }], [instance('/d/ct1', SopClass.CtImageStorage), instance('/d/ct2', SopClass.CtImageStorage), instance('/d/rs', SopClass.RtStructureSetStorage)]);
    const config = configSchema.defaultValue();
    const job = await lastAnalysedJob(c, config);
    expect(c.asked).toEqual([{ limit: 1, states: ['done'] }]);
    expect(job).toMatchObject({ ctFiles: ['/d/ct1', '/d/ct2'], rtstructFile: '/d/rs', config, run: { version: 2, cohortScores: [] } });
  });

  it('is none on a new node, or when the last study has no CT or no RTSTRUCT', async () => {
    expect(await lastAnalysedJob(catalog([], []), configSchema.defaultValue())).toBeUndefined();
    expect(await lastAnalysedJob(catalog([{ studyInstanceUid: '1.1', version: 1, state: 'done' }], [instance('/d/rs', SopClass.RtStructureSetStorage)]), configSchema.defaultValue())).toBeUndefined();
  });
});
