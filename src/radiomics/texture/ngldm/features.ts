/** NGLDM features (IBSI 3.11.1–3.11.17) from one dependence matrix. */
import { DocumentedDescriptor } from '../../feature';
import { LevelTable, tableDescriptors, tableFeatures } from '../levelTable';

export const NGLDM_DESCRIPTORS: readonly DocumentedDescriptor[] = tableDescriptors('ngldm', { items: 'voxels', value: 'dependence count' }, [
  ['ngl_lde', 'SODN', 'Low dependence emphasis'],
  ['ngl_hde', 'IMOQ', 'High dependence emphasis'],
  ['ngl_lgce', 'TL9H', 'Low grey level count emphasis'],
  ['ngl_hgce', 'OAE7', 'High grey level count emphasis'],
  ['ngl_ldlge', 'EQ3F', 'Low dependence low grey level emphasis'],
  ['ngl_ldhge', 'JA6D', 'Low dependence high grey level emphasis'],
  ['ngl_hdlge', 'NBZI', 'High dependence low grey level emphasis'],
  ['ngl_hdhge', '9QMG', 'High dependence high grey level emphasis'],
  ['ngl_glnu', 'FP8K', 'Grey level non-uniformity'],
  ['ngl_glnu_norm', '5SPA', 'Normalised grey level non-uniformity'],
  ['ngl_dcnu', 'Z87G', 'Dependence count non-uniformity'],
  ['ngl_dcnu_norm', 'OKJI', 'Normalised dependence count non-uniformity'],
  ['ngl_dc_perc', '6XV8', 'Dependence count percentage'],
  ['ngl_gl_var', '1PFV', 'Grey level variance'],
  ['ngl_dc_var', 'DNX2', 'Dependence count variance'],
  ['ngl_dc_entr', 'FCBV', 'Dependence count entropy'],
  ['ngl_dc_energy', 'CAS9', 'Dependence count energy'],
]);

/** Feature values in NGLDM_DESCRIPTORS order; all NaN for an empty matrix. */
export function ngldmFeatures(m: LevelTable): Float64Array {
  return tableFeatures(m, 17);
}
