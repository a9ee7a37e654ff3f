/**
 * The node's analysis holds one HU volume at a time: lesions far apart along the slice axis get
 * separate volumes, decoded and scored one after another (imagingStudyParts), and the answer is the
 * same as scoring the study with every volume loaded at once, lesions in the study's order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { configSchema } from '../../../src/config/schema';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { analyseStudyFiles, loadMarginMm } from '../../../src/pipeline/analyseFiles';
import { imagingStudyParts, loadImagingStudy, planImagingStudy } from '../../../src/imaging/load';
import { scoreStudy } from '../../../src/cd8/scoreStudy';

const dir = mkdtempSync(join(tmpdir(), 'cd8-volume-by-volume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 1 mm slices; ROI 1 near the top of the stack, ROI 2 near the bottom: 90 mm apart, more than
// twice the load margin, so each gets its own volume, and the volumes come in the opposite order
// of the ROIs.
const study = writeSyntheticStudy(join(dir, 'study'), {
  dims: [32, 32, 120],
  background: 40,
  kvp: 120,
  lesions: [
    { roiNumber: 1, name: 'GTV upper', interpretedType: 'GTV', centre: [16, 16, 100], radiusMm: 5, value: 100 },
    { roiNumber: 2, name: 'GTV lower', interpretedType: 'GTV', centre: [15.5, 16, 12], radiusMm: 6, value: 60, rightValue: 140 },
  ],
});
const config = configSchema.defaultValue();
const setup = loadScoringSetup(config);
const options = { rules: config.lesions, marginMm: loadMarginMm(config, setup) };
const run = { version: 1, cohortScores: [], analysedAt: '2024-01-02T10:15:00Z' };

describe('scoring a study volume by volume', () => {
  it('yields one part per slice range, each with its own volume and only the lesions on it', async () => {
    const planned = await planImagingStudy(study.ctDir, study.rtstruct, options);
    expect(planned.plan.ranges).toHaveLength(2);
    const parts = [];
    for await (const part of imagingStudyParts(planned)) parts.push(part);
    expect(parts.map((p) => p.lesions.map((l) => l.trackingId))).toEqual([['2 GTV lower'], ['1 GTV upper']]);
    expect(parts.map((p) => p.volumes.map((v) => v.range))).toEqual(planned.plan.ranges.map((r) => [r]));
    for (const p of parts) {
      expect(p.lesions[0].ct).toBe(p.volumes[0]);
      expect(p.decodedSlices).toBe(p.volumes[0].range.count);
    }
  });

  it('gives the same answer as scoring with every volume loaded, lesions in the study order', async () => {
    const { analysis: byParts } = await analyseStudyFiles(study.ctDir, study.rtstruct, config, setup, run);
    const allAtOnce = scoreStudy(await loadImagingStudy(study.ctDir, study.rtstruct, options), setup, run);
    expect(byParts.lesions.map((l) => l.trackingId)).toEqual(['1 GTV upper', '2 GTV lower']);
    expect(byParts.lesions[1].features!.tumour.stat_mean).toBeCloseTo(100, 10);
    expect(byParts).toEqual(allAtOnce);
    // The SR's evidence lists exactly the decoded slices of both volumes.
    const planned = await planImagingStudy(study.ctDir, study.rtstruct, options);
    expect(byParts.evidence!.ct.instances).toHaveLength(planned.plan.ranges.reduce((n, r) => n + r.count, 0));
  }, 60000);
});
