/**
 * LIFEx names, IBSI tags, codes and names resolve to the node's IBSI features. Each row is one
 * mapping as LIFEx documents it (lifexsoft.org feature pages, Texture User Guide v6), written out
 * here independently of the table in src/signature/featureNames.ts.
 */
import { LIFEX_FEATURES, lifexKey, resolveFeatureName } from '../../../src/signature/featureNames';
import { parseSignature } from '../../../src/cd8/signatureSchema';
import { evaluateSignature } from '../../../src/cd8/evaluate';
import { testSignature } from '../../support/signatures';

const L10 = Math.log10(2);

// [LIFEx name as printed, IBSI tag, IBSI aggregation or null, scale, offset]
const MAPPINGS: Array<[string, string, string | null, number, number]> = [
  ['GLCM_Homogeneity', 'cm_inv_diff', '3D averaged', 1, 0],
  ['GLCM_Energy', 'cm_energy', '3D averaged', 1, 0],
  ['GLCM_Contrast', 'cm_contrast', '3D averaged', 1, 0],
  ['GLCM_Correlation', 'cm_corr', '3D averaged', 1, 0],
  ['GLCM_Entropy_log10', 'cm_joint_entr', '3D averaged', L10, 0],
  ['GLCM_Entropy_log2', 'cm_joint_entr', '3D averaged', 1, 0],
  ['GLCM_Dissimilarity', 'cm_dissimilarity', '3D averaged', 1, 0],
  ['GLRLM_SRE', 'rlm_sre', '3D averaged', 1, 0],
  ['GLRLM_LRE', 'rlm_lre', '3D averaged', 1, 0],
  ['GLRLM_LGRE', 'rlm_lgre', '3D averaged', 1, 0],
  ['GLRLM_HGRE', 'rlm_hgre', '3D averaged', 1, 0],
  ['GLRLM_SRLGE', 'rlm_srlge', '3D averaged', 1, 0],
  ['GLRLM_SRHGE', 'rlm_srhge', '3D averaged', 1, 0],
  ['GLRLM_LRLGE', 'rlm_lrlge', '3D averaged', 1, 0],
  ['GLRLM_LRHGE', 'rlm_lrhge', '3D averaged', 1, 0],
  ['GLRLM_GLNU', 'rlm_glnu', '3D averaged', 1, 0],
  ['GLRLM_GLNUr', 'rlm_glnu', '3D averaged', 1, 0],
  ['GLRLM_RLNU', 'rlm_rlnu', '3D averaged', 1, 0],
  ['GLRLM_RP', 'rlm_r_perc', '3D averaged', 1, 0],
  ['GLZLM_SZE', 'szm_sze', '3D', 1, 0],
  ['GLZLM_LZE', 'szm_lze', '3D', 1, 0],
  ['GLZLM_LGZE', 'szm_lgze', '3D', 1, 0],
  ['GLZLM_HGZE', 'szm_hgze', '3D', 1, 0],
  ['GLZLM_SZLGE', 'szm_szlge', '3D', 1, 0],
  ['GLZLM_SZHGE', 'szm_szhge', '3D', 1, 0],
  ['GLZLM_LZLGE', 'szm_lzlge', '3D', 1, 0],
  ['GLZLM_LZHGE', 'szm_lzhge', '3D', 1, 0],
  ['GLZLM_GLNU', 'szm_glnu', '3D', 1, 0],
  ['GLZLM_GLNUz', 'szm_glnu', '3D', 1, 0],
  ['GLZLM_ZLNU', 'szm_zsnu', '3D', 1, 0],
  ['GLZLM_ZP', 'szm_z_perc', '3D', 1, 0],
  ['NGLDM_Coarseness', 'ngt_coarseness', '3D', 1, 0],
  ['NGLDM_Contrast', 'ngt_contrast', '3D', 1, 0],
  ['NGLDM_Busyness', 'ngt_busyness', '3D', 1, 0],
  ['HISTO_Skewness', 'ih_skew', null, 1, 0],
  ['HISTO_Kurtosis', 'ih_kurt', null, 1, 3],
  ['HISTO_ExcessKurtosis', 'ih_kurt', null, 1, 0],
  ['HISTO_Entropy_log10', 'ih_entropy', null, L10, 0],
  ['HISTO_Entropy_log2', 'ih_entropy', null, 1, 0],
  ['HISTO_Energy', 'ih_uniformity', null, 1, 0],
  ['DISCRETIZED_HISTO_Entropy_log10', 'ih_entropy', null, L10, 0],
  ['SHAPE_Sphericity', 'morph_sphericity', null, 1, 0],
  ['SHAPE_Volume(mL)', 'morph_approx_vol', null, 0.001, 0],
  ['CONVENTIONAL_HUmin', 'stat_min', null, 1, 0],
  ['CONVENTIONAL_HUmean', 'stat_mean', null, 1, 0],
  ['CONVENTIONAL_HUmax', 'stat_max', null, 1, 0],
  ['CONVENTIONAL_HUQ2', 'stat_median', null, 1, 0],
  ['CONVENTIONAL_HUSkewness', 'stat_skew', null, 1, 0],
  ['CONVENTIONAL_HUKurtosis', 'stat_kurt', null, 1, 3],
  ['CONVENTIONAL_HUExcessKurtosis', 'stat_kurt', null, 1, 0],
  ['CONVENTIONAL_HUpeakSphere1mL', 'loc_peak_glob', null, 1, 0],
  ['CONV_mean', 'stat_mean', null, 1, 0],
];

describe('LIFEx names resolve to IBSI features', () => {
  it.each(MAPPINGS)('%s → %s [%s]', (name, tag, aggregation, scale, offset) => {
    const r = resolveFeatureName(name);
    if (!r.ok) throw new Error(r.message);
    expect(r).toMatchObject({ via: 'LIFEx name', tag });
    expect(r.aggregation ?? null).toBe(aggregation);
    expect(r.scale).toBeCloseTo(scale, 15);
    expect(r.offset).toBe(offset);
    expect(r.source).toMatch(/lifexsoft\.org/);
  });

  it('every row of the table is covered by a test above or below (no untested mapping)', () => {
    const tested = new Set([...MAPPINGS.map(([n]) => lifexKey(n)), ...NO_IBSI.map(([n]) => lifexKey(n))]);
    expect(Object.keys(LIFEX_FEATURES).filter((k) => !tested.has(k))).toEqual([]);
  });

  it('ignores case and spaces in LIFEx names', () => {
    expect(resolveFeatureName(' glzlm_sze ')).toMatchObject({ ok: true, tag: 'szm_sze' });
  });
});

const NO_IBSI: Array<[string, RegExp]> = [
  ['SHAPE_Volume(vx)', /voxel count depends on the resampling grid/],
  ['SHAPE_Compacity', /power of IBSI compactness 1/],
  ['CONVENTIONAL_HUstd', /square root of IBSI intensity variance/],
  ['CONVENTIONAL_HUQ1', /no 25th percentile/],
  ['CONVENTIONAL_HUQ3', /no 75th percentile/],
  ['CONVENTIONAL_HUpeakSphere0.5mL', /1 cm³ sphere/],
];

describe('LIFEx names without an IBSI equivalent are errors that say so', () => {
  it.each(NO_IBSI)('%s', (name, why) => {
    const r = resolveFeatureName(name);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('no-ibsi');
    expect(r.message).toMatch(new RegExp(`^"${name.replace(/[().]/g, '\\$&')}" \\(LIFEx\\) has no IBSI equivalent: `));
    expect(r.message).toMatch(why);
  });
});

describe('IBSI tags, codes and names', () => {
  it.each([
    ['cm_contrast', 'IBSI tag', 'cm_contrast'],
    ['ACUI', 'IBSI code', 'cm_contrast'],
    ['q4le', 'IBSI code', 'stat_mean'],
    ['Sphericity', 'IBSI name', 'morph_sphericity'],
  ])('%s (%s) → %s', (name, via, tag) => {
    expect(resolveFeatureName(name)).toMatchObject({ ok: true, via, tag, scale: 1, offset: 0 });
  });

  it('an IBSI name shared by several families is ambiguous and lists them', () => {
    const r = resolveFeatureName('Contrast');
    expect(r).toMatchObject({ ok: false, kind: 'ambiguous' });
    expect(!r.ok && r.message).toBe('"Contrast" is ambiguous: IBSI has 2 features of that name (cm_contrast ACUI, ngt_contrast 65HE); name it by IBSI tag or code.');
  });

  it('a LIFEx entropy without its log base is ambiguous', () => {
    const r = resolveFeatureName('HISTO_Entropy');
    expect(!r.ok && r.message).toBe('"HISTO_Entropy" is ambiguous: LIFEx prints HISTO_Entropy_log10 and HISTO_Entropy_log2 (different log bases); write the one the publication used.');
  });

  it('an unknown name lists the LIFEx names of its family', () => {
    const r = resolveFeatureName('GLZLM_SZEE');
    expect(r).toMatchObject({ ok: false, kind: 'unknown' });
    expect(!r.ok && r.message).toMatch(/^"GLZLM_SZEE" is not a feature the node knows\. LIFEx GLZLM names: SZE, LZE, /);
    const other = resolveFeatureName('stat_meen');
    expect(!other.ok && other.message).toMatch(/Use an IBSI tag \(e\.g\. "cm_contrast"\), an IBSI code/);
  });
});

describe('a signature file written with LIFEx names', () => {
  const lifexTerms = [
    { feature: 'GLCM_Entropy_log10', aggregation: null, region: 'tumour', coefficient: 2, status: 'verified', note: '' },
    { feature: 'CONVENTIONAL_HUKurtosis', aggregation: null, region: 'ring', coefficient: 0.5, status: 'verified', note: '' },
  ];

  it('is valid, and evaluates each term as the LIFEx value (scale × IBSI + offset)', () => {
    const parsed = parseSignature(testSignature({ terms: lifexTerms, covariates: [] }));
    expect(parsed.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const e = evaluateSignature(parsed.signature!, {
      features: { tumour: { 'cm_joint_entr[3D averaged]': 4 }, ring: { stat_kurt: 1.5 } },
      site: 'liver',
      kvp: 120,
      defaultKvp: 120,
    });
    expect(e.status).toBe('scored');
    expect(e.terms[0]).toMatchObject({ name: 'cm_joint_entr', writtenAs: 'GLCM_Entropy_log10', aggregation: '3D averaged' });
    expect(e.terms[0].value).toBeCloseTo(4 * L10, 12);
    expect(e.terms[1].value).toBe(4.5);
    expect(e.score).toBeCloseTo(1.5 + 2 * 4 * L10 + 0.5 * 4.5, 12);
  });

  it('names the term of an unknown or ambiguous name by its position', () => {
    const parsed = parseSignature(testSignature({ terms: [lifexTerms[0], { ...lifexTerms[1], feature: 'GLCM_Entropy' }, { ...lifexTerms[1], feature: 'GLRLM_XYZ' }] }));
    expect(parsed.signature).toBeUndefined();
    const errors = parsed.issues.filter((i) => i.severity === 'error').map((i) => `${i.path}: ${i.message}`);
    expect(errors).toEqual([
      expect.stringMatching(/^terms\[1\]\.feature: "GLCM_Entropy" is ambiguous/),
      expect.stringMatching(/^terms\[2\]\.feature: "GLRLM_XYZ" is not a feature the node knows/),
    ]);
  });

  it('refuses an aggregation that contradicts the LIFEx name', () => {
    const parsed = parseSignature(testSignature({ terms: [{ ...lifexTerms[0], aggregation: '3D merged' }] }));
    expect(parsed.issues.find((i) => i.severity === 'error')).toMatchObject({
      path: 'terms[0].aggregation',
      message: '"GLCM_Entropy_log10" (cm_joint_entr) is computed by LIFEx as IBSI "3D averaged", but the term says "3D merged"; remove the aggregation or write "3D averaged".',
    });
  });
});
