import { classify, evaluateSignature, LesionInputs, resolveThreshold } from '../../../src/cd8/evaluate';
import { parseSignature, Signature } from '../../../src/cd8/signatureSchema';
import { testSignature } from '../../support/signatures';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../support/process';

const sig = (overrides: Record<string, unknown> = {}): Signature => parseSignature(testSignature(overrides)).signature!;

const inputs = (over: Partial<LesionInputs> = {}): LesionInputs => ({
  features: { tumour: { stat_mean: 40, 'cm_contrast[3D merged]': 2 }, ring: { stat_var: 900 } },
  site: 'liver',
  kvp: 120,
  defaultKvp: 120,
  ...over,
});

describe('evaluating a linear signature', () => {
  it('adds intercept, features and covariates, and shows every contribution', () => {
    const e = evaluateSignature(sig(), inputs());
    // 1.5 + 0.01·40 − 0.001·900 + 0.5·2 − 0.3·1 + 0.2·1 = 1.5 + 0.4 − 0.9 + 1 − 0.3 + 0.2 = 1.9
    expect(e.status).toBe('scored');
    expect(e.score).toBeCloseTo(1.9, 12);
    expect(e.terms.map((t) => [t.kind, t.name, t.region ?? null, t.value, t.coefficient, t.contribution])).toEqual([
      ['feature', 'stat_mean', 'tumour', 40, 0.01, 0.4],
      ['feature', 'stat_var', 'ring', 900, -0.001, -0.9],
      ['feature', 'cm_contrast', 'tumour', 2, 0.5, 1],
      ['covariate', 'site_liver', null, 1, -0.3, -0.3],
      ['covariate', 'kvp_120', null, 1, 0.2, 0.2],
      ['intercept', 'intercept', null, 1, 1.5, 1.5],
    ]);
    expect(e.terms[3].source).toBe('lesion site: liver');
    expect(e.terms[4].source).toBe('KVP (0018,0060) = 120 kV');
  });

  it('resolves a missing KVP from the configured default and says so', () => {
    const e = evaluateSignature(sig(), inputs({ kvp: null, defaultKvp: 100 }));
    expect(e.terms[4]).toMatchObject({ value: 0, contribution: 0, source: 'default 100 kV: KVP (0018,0060) missing' });
    expect(e.score).toBeCloseTo(1.7, 12);
  });

  it('uses a continuous kVp covariate as kV', () => {
    const s = sig({ covariates: [{ name: 'kvp', kind: 'kvp-continuous', site: null, kvp: null, coefficient: 0.01, status: 'verified', note: '' }] });
    const e = evaluateSignature(s, inputs({ kvp: 140 }));
    expect(e.terms[3]).toMatchObject({ value: 140, unit: 'kV' });
    expect(e.terms[3].contribution).toBeCloseTo(1.4, 12);
  });

  it('treats an unknown site as "not that site" and says so (the gate decides whether to block)', () => {
    const e = evaluateSignature(sig(), inputs({ site: 'unknown' }));
    expect(e.terms[3]).toMatchObject({ value: 0, source: 'lesion site unknown: taken as not liver' });
  });

  it('never lets a NaN feature into the sum', () => {
    const e = evaluateSignature(sig(), inputs({ features: { tumour: { stat_mean: NaN, 'cm_contrast[3D merged]': 2 }, ring: { stat_var: 900 } } }));
    expect(e).toMatchObject({ status: 'failed', score: null, reason: 'stat_mean is undefined (NaN) in the tumour' });
    expect(e.terms[0].contribution).toBeNull();
  });

  it('names a feature the settings did not compute', () => {
    const e = evaluateSignature(sig(), inputs({ features: { tumour: { stat_mean: 40 }, ring: { stat_var: 900 } } }));
    expect(e.status).toBe('failed');
    expect(e.reason).toMatch(/cm_contrast\[3D merged\] was not computed in the tumour/);
  });

  it('gives no score from the shipped, incomplete CD8 signature, whatever the features', () => {
    const shipped = parseSignature(JSON.parse(readFileSync(join(ROOT, 'config', 'signatures', 'cd8-sun2018.json'), 'utf8'))).signature!;
    const e = evaluateSignature(shipped, inputs());
    expect(e.score).toBeNull();
    expect(e.status).toBe('signature-incomplete');
    expect(e.reason).toBe('not available: signature incomplete (10 values pending verification)');
    expect(e.terms.filter((t) => t.contribution !== null)).toEqual([]);
  });
});

describe('hot/cold threshold', () => {
  it('an absolute cut-off classifies at and above it as hot', () => {
    const t = resolveThreshold(sig(), []);
    expect(t).toEqual({ value: 2, provenance: 'test cut-off' });
    expect(classify(2, t.value)).toBe('hot');
    expect(classify(1.999, t.value)).toBe('cold');
    expect(classify(null, t.value)).toBeNull();
  });

  it('a cohort percentile waits for enough lesions, then uses the percentile of the node\'s scores', () => {
    const s = sig({ threshold: { mode: 'cohort-percentile', value: null, percentile: 25, minCohort: 5, provenance: 'Korpics: 25th percentile', status: 'verified' } });
    expect(resolveThreshold(s, [1, 2, 3, 4])).toEqual({ value: null, provenance: expect.stringMatching(/once there are 5 \(now 4\): no hot\/cold class yet/) });
    const t = resolveThreshold(s, [5, 1, 4, 2, 3]);
    // Type-7 quantile of 1..5 at 25 %: 1 + 0.25·4 = 2.
    expect(t.value).toBe(2);
    expect(t.provenance).toMatch(/^25th percentile \(2\.000\) of 5 lesions scored by this node\. Korpics/);
  });
});
