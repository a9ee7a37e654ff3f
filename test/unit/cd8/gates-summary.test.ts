import { applyGates, blockingReason, GateSettings, LesionFacts } from '../../../src/cd8/gates';
import { patientSummary, scoreStatistics } from '../../../src/cd8/summary';
import { histogramEntropy, percentile } from '../../../src/cd8/statistics';
import type { LesionResult } from '../../../src/results/types';

const gates: GateSettings = {
  minVolumeMl: 1,
  smallLesion: 'flag',
  maxSliceThicknessMm: 5,
  thickSlices: 'block',
  ringOutsideImage: 'flag',
  notCt: 'block',
  missingKvp: 'flag',
  unknownSite: 'flag',
};
const facts = (over: Partial<LesionFacts> = {}): LesionFacts => ({
  volumeMl: 10,
  modality: 'CT',
  sliceThicknessMm: 3,
  kvp: 120,
  defaultKvp: 120,
  site: 'liver',
  ringClipped: false,
  ...over,
});

describe('quality gates', () => {
  it('say nothing about a good lesion', () => {
    expect(applyGates(facts(), gates)).toEqual([]);
  });

  it.each([
    ['a small lesion', { volumeMl: 0.4 }, 'small-lesion', 'flag', /0\.40 ml is below 1 ml/],
    ['thick slices', { sliceThicknessMm: 7.5 }, 'thick-slices', 'block', /7\.5 mm exceeds 5 mm/],
    ['a ring beyond the image', { ringClipped: true }, 'ring-outside-image', 'flag', /beyond the image/],
    ['a ring leaving the body', { ringOutsideBodyFraction: 0.3 }, 'ring-outside-body', 'flag', /30 % of the peritumoral ring lies in air connected to the image edge/],
    ['a non-CT modality', { modality: 'MR' }, 'not-ct', 'block', /modality is MR, not CT/],
    ['a missing KVP', { kvp: null }, 'missing-kvp', 'flag', /120 kV assumed/],
    ['an unknown site', { site: 'unknown' as const }, 'unknown-site', 'flag', /lesion site unknown/],
  ])('gate %s with the configured action', (_what, over, code, action, message) => {
    const flags = applyGates(facts(over), gates);
    expect(flags).toEqual([{ code, action, message: expect.stringMatching(message) }]);
  });

  it('follow the configuration: a flag can become a block, and "off" ignores the condition', () => {
    expect(applyGates(facts({ volumeMl: 0.4 }), { ...gates, smallLesion: 'block' })[0].action).toBe('block');
    expect(applyGates(facts({ volumeMl: 0.4 }), { ...gates, smallLesion: 'off' })).toEqual([]);
  });

  it('explain a blocked score by every blocking gate', () => {
    const flags = applyGates(facts({ modality: 'MR', sliceThicknessMm: 8, kvp: null }), gates);
    expect(blockingReason(flags)).toBe('blocked by quality gate: modality is MR, not CT: the signature was built on CT. slice thickness 8 mm exceeds 5 mm.');
    expect(blockingReason(applyGates(facts({ kvp: null }), gates))).toBeUndefined();
  });

  it('flag lesions outside the signature\'s validity limits without blocking them', () => {
    const validity = { modalities: ['CT'], minKvp: 100, maxKvp: 130, maxSliceThicknessMm: 2.5, minVolumeMl: 2, note: '' };
    const flags = applyGates(facts({ kvp: 140, volumeMl: 1.5 }), gates, validity);
    expect(flags.map((f) => [f.code, f.action])).toEqual([
      ['kvp-outside-validity', 'flag'],
      ['thickness-outside-validity', 'flag'],
      ['volume-outside-validity', 'flag'],
    ]);
  });
});

const lesion = (score: number | null, site: LesionResult['site'], classification: LesionResult['classification'] = null) =>
  ({ score, site, classification }) as LesionResult;

describe('patient summary', () => {
  it('computes centre, least infiltrated lesion and dispersion of the scored lesions', () => {
    const s = scoreStatistics([lesion(1, 'liver', 'cold'), lesion(2, 'lung', 'cold'), lesion(4, 'liver', 'hot'), lesion(9, 'liver', 'hot'), lesion(null, 'liver')]);
    expect(s.count).toBe(4);
    expect(s.mean).toBe(4);
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(9);
    expect(s.range).toBe(8);
    // sample SD of 1, 2, 4, 9: sqrt((9 + 4 + 0 + 25) / 3)
    expect(s.sd).toBeCloseTo(Math.sqrt(38 / 3), 12);
    // type-7 quartiles: 1.75 and 5.25
    expect(s.iqr).toBeCloseTo(3.5, 12);
    expect(s.coefficientOfVariation).toBeCloseTo(Math.sqrt(38 / 3) / 4, 12);
    expect(s.fractionHot).toBe(0.5);
    // Sturges: 3 bins over [1, 9] → counts 2, 1, 1 → H = 1.5 bits
    expect(s.entropy).toBeCloseTo(1.5, 12);
  });

  it('reports per site with liver apart, and counts unscored lesions only in lesionCount', () => {
    const p = patientSummary([lesion(1, 'liver', 'cold'), lesion(3, 'liver', 'hot'), lesion(2, 'lung', 'cold'), lesion(null, 'lymph_node')]);
    expect(p.lesionCount).toBe(4);
    expect(p.count).toBe(3);
    expect(p.perSite.liver).toMatchObject({ count: 2, mean: 2, min: 1, fractionHot: 0.5 });
    expect(p.perSite.lung).toMatchObject({ count: 1, mean: 2, sd: 0, entropy: 0 });
    expect(p.perSite.lymph_node).toMatchObject({ count: 0, mean: null });
  });

  it('has no numbers when nothing was scored', () => {
    expect(scoreStatistics([lesion(null, 'liver')])).toMatchObject({ count: 0, mean: null, min: null, fractionHot: null });
  });

  it('uses documented statistics', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(histogramEntropy([5, 5, 5])).toBe(0);
    expect(histogramEntropy([0, 1])).toBe(1);
  });
});
