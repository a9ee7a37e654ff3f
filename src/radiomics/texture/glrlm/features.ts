/** GLRLM features (IBSI 3.7.1–3.7.16) from one run length matrix. */
import { DocumentedDescriptor } from '../../feature';
import { LevelTable, tableDescriptors, tableFeatures } from '../levelTable';

export const GLRLM_DESCRIPTORS: readonly DocumentedDescriptor[] = tableDescriptors('glrlm', { items: 'runs', value: 'run length' }, [
  ['rlm_sre', '22OV', 'Short runs emphasis'],
  ['rlm_lre', 'W4KF', 'Long runs emphasis'],
  ['rlm_lgre', 'V3SW', 'Low grey level run emphasis'],
  ['rlm_hgre', 'G3QZ', 'High grey level run emphasis'],
  ['rlm_srlge', 'HTZT', 'Short run low grey level emphasis'],
  ['rlm_srhge', 'GD3A', 'Short run high grey level emphasis'],
  ['rlm_lrlge', 'IVPO', 'Long run low grey level emphasis'],
  ['rlm_lrhge', '3KUM', 'Long run high grey level emphasis'],
  ['rlm_glnu', 'R5YN', 'Grey level non-uniformity'],
  ['rlm_glnu_norm', 'OVBL', 'Normalised grey level non-uniformity'],
  ['rlm_rlnu', 'W92Y', 'Run length non-uniformity'],
  ['rlm_rlnu_norm', 'IC23', 'Normalised run length non-uniformity'],
  ['rlm_r_perc', '9ZK5', 'Run percentage'],
  ['rlm_gl_var', '8CE5', 'Grey level variance'],
  ['rlm_rl_var', 'SXLW', 'Run length variance'],
  ['rlm_rl_entr', 'HJ9O', 'Run entropy'],
]);

/** Feature values in GLRLM_DESCRIPTORS order; all NaN for an empty matrix. */
export function glrlmFeatures(m: LevelTable): Float64Array {
  return tableFeatures(m, 16);
}
