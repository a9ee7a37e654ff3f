/**
 * The CD8 engine computed by hand: synthetic studies (real DICOM files) whose features are known
 * in closed form, scored with a complete test signature through the same pipeline as the node.
 *
 * - lesion 1 "GTV liver": a sphere of constant 100 HU → tumour mean 100, variance 0;
 * - lesion 2 "GTV lung": a sphere whose left half is 60 HU and right half 140 HU, mirror-symmetric
 *   about the split, so exactly half of its voxels have each value → mean 100, variance 40² = 1600;
 * - background 40 HU, so the ring (3 mm outside the contour) has mean 40;
 * - 1 mm isotropic voxels, so the 1 mm resampling changes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { runCli } from '../../support/process';
import { configSchema } from '../../../src/config/schema';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { analyseStudyFiles } from '../../../src/pipeline/analyseFiles';
import type { LesionResult, StudyAnalysis } from '../../../src/results/types';

const dir = mkdtempSync(join(tmpdir(), 'cd8-closed-form-'));
const study = writeSyntheticStudy(join(dir, 'study'), {
  dims: [48, 32, 24],
  background: 40,
  kvp: 120,
  lesions: [
    { roiNumber: 1, name: 'GTV liver', interpretedType: 'GTV', centre: [12, 16, 12], radiusMm: 6, value: 100 },
    { roiNumber: 2, name: 'GTV lung', interpretedType: 'GTV', centre: [35.5, 16, 12], radiusMm: 7, value: 60, rightValue: 140 },
  ],
});

const settingsFile = join(dir, 'stats.json');
writeFileSync(
  settingsFile,
  JSON.stringify({
    name: 'closed-form',
    status: 'default',
    dimensionality: '3D',
    interpolation: { method: 'linear', spacingMm: [1, 1, 1], roundIntensities: true, maskMethod: 'linear', maskThreshold: 0.5 },
    resegmentation: { lower: -1000, upper: null, outlierSigma: null },
    discretisation: { method: 'fixed_bin_size', binWidth: 25, binCount: 32, lowerBound: null },
    features: { families: ['intensity_statistics'] },
    ring: { innerMm: 0, outerMm: 3 },
  }),
);

function signatureFile(name: string, changes: { varCoefficient?: number; threshold?: number } = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      id: 'closed-form-test',
      name: 'Closed-form test signature',
      version: name,
      citation: 'cd8-node test fixture (not a published signature)',
      preprocessing: { radiomicsSettings: settingsFile, status: 'verified' },
      terms: [
        { feature: 'stat_mean', region: 'tumour', coefficient: 0.01, status: 'verified' },
        { feature: 'stat_var', region: 'tumour', coefficient: changes.varCoefficient ?? 0.001, status: 'verified' },
        { feature: 'stat_mean', region: 'ring', coefficient: -0.02, status: 'verified' },
      ],
      covariates: [
        { name: 'site_liver', kind: 'site-indicator', site: 'liver', coefficient: -0.5, status: 'verified' },
        { name: 'kvp_120', kind: 'kvp-indicator', kvp: 120, coefficient: 0.25, status: 'verified' },
      ],
      intercept: { value: 1, status: 'verified' },
      threshold: { mode: 'absolute', value: changes.threshold ?? 1.5, provenance: 'test cut-off', status: 'verified' },
      validity: { modalities: ['CT'], minKvp: 80, maxKvp: 140, maxSliceThicknessMm: 5, minVolumeMl: 0.5 },
    }),
  );
  return path;
}

const config = configSchema.defaultValue();
const byName = (a: StudyAnalysis, name: string): LesionResult => a.lesions.find((l) => l.roiName === name)!;

describe('CD8 score by hand on synthetic spheres', () => {
  let analysis: StudyAnalysis;
  beforeAll(async () => {
    const setup = loadScoringSetup(config, signatureFile('base'));
    ({ analysis } = await analyseStudyFiles(study.ctDir, study.rtstruct, config, setup, { version: 1, cohortScores: [], analysedAt: '2024-01-02T10:15:00Z' }));
  });

  it('finds both lesions with their sites', () => {
    expect(analysis.lesions.map((l) => [l.trackingId, l.site])).toEqual([
      ['1 GTV liver', 'liver'],
      ['2 GTV lung', 'lung'],
    ]);
    expect(analysis.signature.complete).toBe(true);
    expect(analysis.status).toBe('scored');
  });

  it('measures the features the geometry dictates', () => {
    const l1 = byName(analysis, 'GTV liver');
    const l2 = byName(analysis, 'GTV lung');
    expect(l1.features!.tumour.stat_mean).toBe(100);
    expect(l1.features!.tumour.stat_var).toBe(0);
    expect(l1.features!.ring.stat_mean).toBe(40);
    expect(l2.features!.tumour.stat_mean).toBeCloseTo(100, 10);
    expect(l2.features!.tumour.stat_var).toBeCloseTo(1600, 8);
    expect(l2.features!.tumour.stat_min).toBe(60);
    expect(l2.features!.tumour.stat_max).toBe(140);
    expect(l2.features!.ring.stat_mean).toBe(40);
  });

  it('constant sphere: 1 + 0.01·100 + 0.001·0 − 0.02·40 − 0.5·1 (liver) + 0.25·1 (120 kV) = 0.95 → cold', () => {
    const l1 = byName(analysis, 'GTV liver');
    expect(l1.terms.map((t) => [t.name, t.region ?? null, t.value, t.coefficient])).toEqual([
      ['stat_mean', 'tumour', 100, 0.01],
      ['stat_var', 'tumour', 0, 0.001],
      ['stat_mean', 'ring', 40, -0.02],
      ['site_liver', null, 1, -0.5],
      ['kvp_120', null, 1, 0.25],
      ['intercept', null, 1, 1],
    ]);
    const contributions = l1.terms.map((t) => t.contribution!);
    [1, 0, -0.8, -0.5, 0.25, 1].forEach((c, i) => expect(contributions[i]).toBeCloseTo(c, 10));
    expect(l1.score).toBeCloseTo(0.95, 10);
    expect(l1).toMatchObject({ scoreStatus: 'scored', classification: 'cold' });
    expect(l1.terms[0]).toMatchObject({ ibsiCode: 'Q4LE', ibsiName: 'Mean intensity' });
  });

  it('two-level sphere: 1 + 0.01·100 + 0.001·1600 − 0.02·40 + 0 (lung) + 0.25 = 3.05 → hot', () => {
    const l2 = byName(analysis, 'GTV lung');
    expect(l2.terms[3]).toMatchObject({ name: 'site_liver', value: 0, contribution: -0 });
    expect(l2.score).toBeCloseTo(3.05, 8);
    expect(l2.classification).toBe('hot');
  });

  it('summarises the patient: mean, least infiltrated lesion, spread, fraction hot, per site', () => {
    const s = analysis.summary;
    expect(s).toMatchObject({ lesionCount: 2, count: 2, fractionHot: 0.5 });
    expect(s.mean).toBeCloseTo(2, 8);
    expect(s.min).toBeCloseTo(0.95, 8);
    expect(s.range).toBeCloseTo(2.1, 8);
    expect(s.perSite.liver!.mean).toBeCloseTo(0.95, 8);
    expect(s.perSite.lung!.mean).toBeCloseTo(3.05, 8);
  });

  it('follows an edited copy of the signature: one coefficient and the threshold change the scores and classes exactly', async () => {
    const run = async (file: string) =>
      JSON.parse((await runCli(['score', '--ct', study.ctDir, '--rtstruct', study.rtstruct, '--signature', file, '--json'])).stdout) as StudyAnalysis;
    const base = await run(signatureFile('cli-base'));
    // stat_var coefficient 0.001 → 0.002: lesion 2 gains 0.001·1600 = 1.6, lesion 1 (variance 0) nothing.
    const edited = await run(signatureFile('cli-edited', { varCoefficient: 0.002, threshold: 4 }));
    expect(byName(edited, 'GTV liver').score! - byName(base, 'GTV liver').score!).toBeCloseTo(0, 10);
    expect(byName(edited, 'GTV lung').score! - byName(base, 'GTV lung').score!).toBeCloseTo(1.6, 8);
    expect(byName(edited, 'GTV lung').score).toBeCloseTo(4.65, 8);
    expect([byName(base, 'GTV lung').classification, byName(edited, 'GTV lung').classification]).toEqual(['hot', 'hot']);
    // Threshold 5 turns the same 4.65 cold.
    const higher = await run(signatureFile('cli-threshold', { varCoefficient: 0.002, threshold: 5 }));
    expect(byName(higher, 'GTV lung')).toMatchObject({ classification: 'cold' });
    expect(higher.signature.threshold).toEqual({ value: 5, provenance: 'test cut-off' });
  });
});
