/** GLRLM features (IBSI 3.7.1–3.7.16) from one run length matrix. */
import { FeatureDescriptor } from '../../feature';
import { LevelTable, standardOrder, tableStatistics } from '../levelTable';

const d = (tag: string, code: string, name: string): FeatureDescriptor => ({ family: 'glrlm', tag, code, name });

export const GLRLM_DESCRIPTORS: readonly FeatureDescriptor[] = [
  d('rlm_sre', '22OV', 'Short runs emphasis'),
  d('rlm_lre', 'W4KF', 'Long runs emphasis'),
  d('rlm_lgre', 'V3SW', 'Low grey level run emphasis'),
  d('rlm_hgre', 'G3QZ', 'High grey level run emphasis'),
  d('rlm_srlge', 'HTZT', 'Short run low grey level emphasis'),
  d('rlm_srhge', 'GD3A', 'Short run high grey level emphasis'),
  d('rlm_lrlge', 'IVPO', 'Long run low grey level emphasis'),
  d('rlm_lrhge', '3KUM', 'Long run high grey level emphasis'),
  d('rlm_glnu', 'R5YN', 'Grey level non-uniformity'),
  d('rlm_glnu_norm', 'OVBL', 'Normalised grey level non-uniformity'),
  d('rlm_rlnu', 'W92Y', 'Run length non-uniformity'),
  d('rlm_rlnu_norm', 'IC23', 'Normalised run length non-uniformity'),
  d('rlm_r_perc', '9ZK5', 'Run percentage'),
  d('rlm_gl_var', '8CE5', 'Grey level variance'),
  d('rlm_rl_var', 'SXLW', 'Run length variance'),
  d('rlm_rl_entr', 'HJ9O', 'Run entropy'),
];

/** Feature values in GLRLM_DESCRIPTORS order; all NaN for an empty matrix. */
export function glrlmFeatures(m: LevelTable): Float64Array {
  const s = tableStatistics(m);
  return s ? Float64Array.from(standardOrder(s)) : new Float64Array(GLRLM_DESCRIPTORS.length).fill(NaN);
}
