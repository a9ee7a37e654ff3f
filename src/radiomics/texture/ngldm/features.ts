/** NGLDM features (IBSI 3.11.1–3.11.17) from one dependence matrix. */
import { FeatureDescriptor } from '../../feature';
import { LevelTable, standardOrder, tableStatistics } from '../levelTable';

const d = (tag: string, code: string, name: string): FeatureDescriptor => ({ family: 'ngldm', tag, code, name });

export const NGLDM_DESCRIPTORS: readonly FeatureDescriptor[] = [
  d('ngl_lde', 'SODN', 'Low dependence emphasis'),
  d('ngl_hde', 'IMOQ', 'High dependence emphasis'),
  d('ngl_lgce', 'TL9H', 'Low grey level count emphasis'),
  d('ngl_hgce', 'OAE7', 'High grey level count emphasis'),
  d('ngl_ldlge', 'EQ3F', 'Low dependence low grey level emphasis'),
  d('ngl_ldhge', 'JA6D', 'Low dependence high grey level emphasis'),
  d('ngl_hdlge', 'NBZI', 'High dependence low grey level emphasis'),
  d('ngl_hdhge', '9QMG', 'High dependence high grey level emphasis'),
  d('ngl_glnu', 'FP8K', 'Grey level non-uniformity'),
  d('ngl_glnu_norm', '5SPA', 'Normalised grey level non-uniformity'),
  d('ngl_dcnu', 'Z87G', 'Dependence count non-uniformity'),
  d('ngl_dcnu_norm', 'OKJI', 'Normalised dependence count non-uniformity'),
  d('ngl_dc_perc', '6XV8', 'Dependence count percentage'),
  d('ngl_gl_var', '1PFV', 'Grey level variance'),
  d('ngl_dc_var', 'DNX2', 'Dependence count variance'),
  d('ngl_dc_entr', 'FCBV', 'Dependence count entropy'),
  d('ngl_dc_energy', 'CAS9', 'Dependence count energy'),
];

/** Feature values in NGLDM_DESCRIPTORS order; all NaN for an empty matrix. */
export function ngldmFeatures(m: LevelTable): Float64Array {
  const s = tableStatistics(m);
  return s ? Float64Array.from([...standardOrder(s), s.energy]) : new Float64Array(NGLDM_DESCRIPTORS.length).fill(NaN);
}
