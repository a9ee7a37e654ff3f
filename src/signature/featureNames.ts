/**
 * Feature names as publications print them, resolved to the node's IBSI features (pure).
 *
 * A signature file may name a term's feature by IBSI tag ("cm_contrast"), IBSI permanent code
 * ("ACUI"), IBSI feature name when it is unique ("Sphericity"), or by the name LIFEx prints in its
 * results ("GLCM_Contrast", "GLZLM_SZE", "NGLDM_Busyness", "CONVENTIONAL_HUmean", …), since the
 * CD8 signature (Sun et al. 2018) was built with LIFEx. The LIFEx table below gives, for every name
 * LIFEx documents, the IBSI feature it computes and where that is written; a LIFEx value that is a
 * fixed affine function of the IBSI value (another log base, kurtosis vs excess kurtosis, mL vs
 * mm³) carries that function so the signature's coefficient applies unchanged. A LIFEx name with no
 * IBSI equivalent is an error that says why.
 */
import type { Aggregation, FeatureFamily } from '../radiomics/feature';
import { registeredFeatures } from '../radiomics/registry';

/** Pages of LIFEx's own documentation (lifexsoft.org, and its Texture User Guide v6, 2019-12-26). */
export const LIFEX_SOURCES = {
  glcm: 'lifexsoft.org/index.php/resources/texture/radiomic-features/radiomic-features-calculated-in-lifex (GLCM: 13 directions, distance 1 by default, "the index value is the average of the index over the 13 directions")',
  glrlm: 'lifexsoft.org/index.php/resources/texture/radiomic-features/grey-level-run-length-matrix-glrlm ("the 3D value is the average over the 13 directions"; indices normalised by the number of runs H)',
  glzlm: 'lifexsoft.org/index.php/resources/texture/radiomic-features/grey-level-zone-length-matrix-glzlm ("GLZLM … also named Grey Level Size Zone Matrix (GLSZM)", zones in 3 dimensions; indices normalised by the number of zones H)',
  ngldm: 'lifexsoft.org/index.php/resources/texture/radiomic-features/neighborhood-grey-level-different-matrix-ngldm (LIFEx\'s "NGLDM" is the neighbourhood grey-level DIFFERENCE matrix over the 26 neighbours: IBSI\'s NGTDM, not IBSI\'s NGLDM)',
  histogram: 'lifexsoft.org/index.php/resources/texture/radiomic-features (First order features - Histogram: Entropy_log10 = -Σ p log10(p+ε), Entropy_log2, Energy = Σ p², on the discretised histogram of the resampling menu)',
  shape: 'lifexsoft.org/index.php/resources/texture/radiomic-features/shape-features (Sphericity = π^(1/3)(6V)^(2/3)/A, Compacity = A^(3/2)/V, Volume = Σ voxel volumes in mL and voxels)',
  conventional: 'lifexsoft.org/index.php/resources/texture/radiomic-features/intensity-histogram-previously-discretized-indices and …/radiomic-features (Conventional indices: min, mean, max, Q1-Q3, peak = mean in a ~0.5 or ~1 mL sphere placed where it is maximal)',
  userGuide: 'LIFEx Texture User Guide, version 6.nn, C. Nioche, F. Orlhac, I. Buvat, 2019-12-26 (feature list: GLCM, NGLDM, GLRLM, GLZLM, Shape, Histogram, Conventional indices)',
} as const;

type SourceKey = keyof typeof LIFEX_SOURCES;

/** One LIFEx name: the IBSI feature it is (LIFEx value = scale × IBSI value + offset), or why there is none. */
export type LifexMapping =
  | { tag: string; aggregation?: Aggregation; scale?: number; offset?: number; source: SourceKey; note?: string }
  | { none: string; source: SourceKey };

const LOG10_2 = Math.log10(2);

const glcm = (tag: string, extra: Partial<{ scale: number; note: string }> = {}): LifexMapping => ({ tag, aggregation: '3D averaged', source: 'glcm', ...extra });
const glrlm = (tag: string): LifexMapping => ({ tag, aggregation: '3D averaged', source: 'glrlm' });
const glzlm = (tag: string): LifexMapping => ({ tag, aggregation: '3D', source: 'glzlm' });
const ngtdm = (tag: string, note?: string): LifexMapping => ({ tag, aggregation: '3D', source: 'ngldm', ...(note ? { note } : {}) });

/**
 * Every feature name LIFEx documents (the prefix as LIFEx prints it, then the index), keyed in
 * upper case. Conventional indices are keyed without the modality unit LIFEx inserts on CT
 * ("CONVENTIONAL_HUmean" is looked up as "CONVENTIONAL_MEAN", see lifexKey).
 */
export const LIFEX_FEATURES: Readonly<Record<string, LifexMapping>> = {
  // GLCM: the average over 13 directions of per-direction indices = IBSI "3D averaged".
  GLCM_HOMOGENEITY: glcm('cm_inv_diff', { note: 'LIFEx homogeneity Σ p(i,j)/(1+|i−j|) is IBSI inverse difference' }),
  GLCM_ENERGY: glcm('cm_energy'),
  GLCM_CONTRAST: glcm('cm_contrast'),
  GLCM_CORRELATION: glcm('cm_corr'),
  GLCM_ENTROPY_LOG10: glcm('cm_joint_entr', { scale: LOG10_2, note: 'log10 instead of IBSI\'s log2' }),
  GLCM_ENTROPY_LOG2: glcm('cm_joint_entr'),
  GLCM_DISSIMILARITY: glcm('cm_dissimilarity'),
  // GLRLM: average over 13 directions = IBSI "3D averaged".
  GLRLM_SRE: glrlm('rlm_sre'),
  GLRLM_LRE: glrlm('rlm_lre'),
  GLRLM_LGRE: glrlm('rlm_lgre'),
  GLRLM_HGRE: glrlm('rlm_hgre'),
  GLRLM_SRLGE: glrlm('rlm_srlge'),
  GLRLM_SRHGE: glrlm('rlm_srhge'),
  GLRLM_LRLGE: glrlm('rlm_lrlge'),
  GLRLM_LRHGE: glrlm('rlm_lrhge'),
  GLRLM_GLNU: glrlm('rlm_glnu'),
  GLRLM_GLNUR: glrlm('rlm_glnu'),
  GLRLM_RLNU: glrlm('rlm_rlnu'),
  GLRLM_RP: glrlm('rlm_r_perc'),
  // GLZLM = IBSI GLSZM, one 3D matrix.
  GLZLM_SZE: glzlm('szm_sze'),
  GLZLM_LZE: glzlm('szm_lze'),
  GLZLM_LGZE: glzlm('szm_lgze'),
  GLZLM_HGZE: glzlm('szm_hgze'),
  GLZLM_SZLGE: glzlm('szm_szlge'),
  GLZLM_SZHGE: glzlm('szm_szhge'),
  GLZLM_LZLGE: glzlm('szm_lzlge'),
  GLZLM_LZHGE: glzlm('szm_lzhge'),
  GLZLM_GLNU: glzlm('szm_glnu'),
  GLZLM_GLNUZ: glzlm('szm_glnu'),
  GLZLM_ZLNU: glzlm('szm_zsnu'),
  GLZLM_ZP: glzlm('szm_z_perc'),
  // LIFEx "NGLDM" = IBSI NGTDM (difference matrix, 26 neighbours).
  NGLDM_COARSENESS: ngtdm('ngt_coarseness'),
  NGLDM_CONTRAST: ngtdm('ngt_contrast', 'LIFEx divides by G(G−1) with G its number of grey levels; IBSI uses the grey levels present in the region (equal when every level is present)'),
  NGLDM_BUSYNESS: ngtdm('ngt_busyness'),
  // Histogram indices on the discretised intensities = IBSI intensity histogram family.
  HISTO_SKEWNESS: { tag: 'ih_skew', source: 'histogram' },
  HISTO_KURTOSIS: { tag: 'ih_kurt', offset: 3, source: 'histogram', note: 'LIFEx kurtosis is IBSI\'s excess kurtosis + 3' },
  HISTO_EXCESSKURTOSIS: { tag: 'ih_kurt', source: 'histogram' },
  HISTO_ENTROPY_LOG10: { tag: 'ih_entropy', scale: LOG10_2, source: 'histogram', note: 'log10 instead of IBSI\'s log2' },
  HISTO_ENTROPY_LOG2: { tag: 'ih_entropy', source: 'histogram' },
  HISTO_ENERGY: { tag: 'ih_uniformity', source: 'histogram', note: 'Σ p² of the discretised histogram is IBSI uniformity' },
  // Shape.
  SHAPE_SPHERICITY: { tag: 'morph_sphericity', source: 'shape', note: 'LIFEx measures the area on a Delaunay triangulation, IBSI on a marching-cubes mesh: values differ slightly' },
  'SHAPE_VOLUME(ML)': { tag: 'morph_approx_vol', scale: 0.001, source: 'shape', note: 'sum of voxel volumes (IBSI voxel-counting volume), mL = 0.001 × mm³' },
  'SHAPE_VOLUME(VX)': { none: 'a voxel count depends on the resampling grid; IBSI defines volumes in mm³ (use SHAPE_Volume(mL))', source: 'shape' },
  SHAPE_COMPACITY: { none: 'A^(3/2)/V is a power of IBSI compactness 1, not a linear function of any IBSI feature', source: 'shape' },
  // Conventional indices on the HU values (not discretised) = IBSI intensity statistics.
  CONVENTIONAL_MIN: { tag: 'stat_min', source: 'conventional' },
  CONVENTIONAL_MEAN: { tag: 'stat_mean', source: 'conventional' },
  CONVENTIONAL_MAX: { tag: 'stat_max', source: 'conventional' },
  CONVENTIONAL_Q2: { tag: 'stat_median', source: 'conventional' },
  CONVENTIONAL_SKEWNESS: { tag: 'stat_skew', source: 'conventional' },
  CONVENTIONAL_KURTOSIS: { tag: 'stat_kurt', offset: 3, source: 'conventional', note: 'LIFEx kurtosis is IBSI\'s excess kurtosis + 3' },
  CONVENTIONAL_EXCESSKURTOSIS: { tag: 'stat_kurt', source: 'conventional' },
  CONVENTIONAL_PEAKSPHERE1ML: { tag: 'loc_peak_glob', source: 'conventional', note: 'mean in a 1 mL sphere placed where that mean is highest = IBSI global intensity peak' },
  CONVENTIONAL_STD: { none: 'the standard deviation is the square root of IBSI intensity variance (stat_var), not a linear function of an IBSI feature', source: 'conventional' },
  CONVENTIONAL_Q1: { none: 'IBSI has no 25th percentile feature (only stat_p10, stat_p90 and stat_iqr)', source: 'conventional' },
  CONVENTIONAL_Q3: { none: 'IBSI has no 75th percentile feature (only stat_p10, stat_p90 and stat_iqr)', source: 'conventional' },
  'CONVENTIONAL_PEAKSPHERE0.5ML': { none: 'IBSI intensity peaks use a 1 cm³ sphere; a 0.5 mL peak has no IBSI feature', source: 'conventional' },
};

/** LIFEx prefixes of the same family under other LIFEx versions' spellings. */
const PREFIX_ALIASES: Record<string, string> = { CONV: 'CONVENTIONAL', 'DISCRETIZED_HISTO': 'HISTO' };

/** Names a publication may shorten so that two LIFEx features fit (the log base of an entropy). */
const AMBIGUOUS_LIFEX: Record<string, string[]> = {
  GLCM_ENTROPY: ['GLCM_Entropy_log10', 'GLCM_Entropy_log2'],
  HISTO_ENTROPY: ['HISTO_Entropy_log10', 'HISTO_Entropy_log2'],
};

/** The table's key of a LIFEx name: upper case, family prefix aliases merged, CT's "HU" unit dropped from conventional indices. */
export function lifexKey(name: string): string {
  let key = name.trim().toUpperCase().replace(/\s+/g, '');
  for (const [alias, prefix] of Object.entries(PREFIX_ALIASES)) if (key.startsWith(`${alias}_`)) key = `${prefix}_${key.slice(alias.length + 1)}`;
  if (key.startsWith('CONVENTIONAL_HU')) key = `CONVENTIONAL_${key.slice('CONVENTIONAL_HU'.length)}`;
  return key;
}

export type NameSource = 'IBSI tag' | 'IBSI code' | 'IBSI name' | 'LIFEx name';

export type NameResolution =
  | {
      ok: true;
      /** How the name was recognised. */
      via: NameSource;
      tag: string;
      code: string;
      ibsiName: string;
      family: FeatureFamily;
      /** Aggregation the name implies (LIFEx texture names), if any. */
      aggregation?: Aggregation;
      /** The value the name denotes = scale × IBSI value + offset. */
      scale: number;
      offset: number;
      source?: string;
      note?: string;
    }
  | { ok: false; kind: 'unknown' | 'ambiguous' | 'no-ibsi'; message: string };

const REGISTRY = registeredFeatures();
const BY_TAG = new Map(REGISTRY.map((d) => [d.tag, d]));
const BY_CODE = new Map(REGISTRY.map((d) => [d.code.toUpperCase(), d]));
const BY_NAME = new Map<string, typeof REGISTRY>();
for (const d of REGISTRY) BY_NAME.set(d.name.toLowerCase(), [...(BY_NAME.get(d.name.toLowerCase()) ?? []), d]);

/** Resolves a feature name as written in a signature file. */
export function resolveFeatureName(written: string): NameResolution {
  const name = written.trim();
  const identity = { scale: 1, offset: 0 };
  const byTag = BY_TAG.get(name);
  if (byTag) return { ok: true, via: 'IBSI tag', tag: byTag.tag, code: byTag.code, ibsiName: byTag.name, family: byTag.family, ...identity };
  const byCode = BY_CODE.get(name.toUpperCase());
  if (byCode) {
    return { ok: true, via: 'IBSI code', tag: byCode.tag, code: byCode.code, ibsiName: byCode.name, family: byCode.family, ...identity };
  }
  const key = lifexKey(name);
  const lifex = LIFEX_FEATURES[key];
  if (lifex) {
    if ('none' in lifex) return { ok: false, kind: 'no-ibsi', message: `"${name}" (LIFEx) has no IBSI equivalent: ${lifex.none}. Source: ${LIFEX_SOURCES[lifex.source]}.` };
    const d = BY_TAG.get(lifex.tag);
    if (!d) throw new Error(`LIFEx table names ${lifex.tag}, which the feature registry does not have`);
    return {
      ok: true,
      via: 'LIFEx name',
      tag: d.tag,
      code: d.code,
      ibsiName: d.name,
      family: d.family,
      ...(lifex.aggregation ? { aggregation: lifex.aggregation } : {}),
      scale: lifex.scale ?? 1,
      offset: lifex.offset ?? 0,
      source: LIFEX_SOURCES[lifex.source],
      ...(lifex.note ? { note: lifex.note } : {}),
    };
  }
  const shortened = AMBIGUOUS_LIFEX[key];
  if (shortened) return { ok: false, kind: 'ambiguous', message: `"${name}" is ambiguous: LIFEx prints ${shortened.join(' and ')} (different log bases); write the one the publication used.` };
  const byName = BY_NAME.get(name.toLowerCase()) ?? [];
  if (byName.length === 1) return { ok: true, via: 'IBSI name', tag: byName[0].tag, code: byName[0].code, ibsiName: byName[0].name, family: byName[0].family, ...identity };
  if (byName.length > 1) {
    return { ok: false, kind: 'ambiguous', message: `"${name}" is ambiguous: IBSI has ${byName.length} features of that name (${byName.map((d) => `${d.tag} ${d.code}`).join(', ')}); name it by IBSI tag or code.` };
  }
  const family = key.split('_')[0];
  const known = Object.keys(LIFEX_FEATURES).filter((k) => k.startsWith(`${family}_`));
  const hint =
    known.length > 0
      ? ` LIFEx ${family} names: ${known.map((k) => k.slice(family.length + 1)).join(', ')}.`
      : ' Use an IBSI tag (e.g. "cm_contrast"), an IBSI code (e.g. "ACUI") or a LIFEx name (e.g. "GLCM_Contrast").';
  return { ok: false, kind: 'unknown', message: `"${name}" is not a feature the node knows.${hint}` };
}
