/** GLSZM features (IBSI 3.8.1–3.8.16) from one size zone matrix. */
import { FeatureDescriptor } from '../../feature';
import { LevelTable, standardOrder, tableStatistics } from '../levelTable';

const d = (tag: string, code: string, name: string): FeatureDescriptor => ({ family: 'glszm', tag, code, name });

export const GLSZM_DESCRIPTORS: readonly FeatureDescriptor[] = [
  d('szm_sze', 'P001', 'Small zone emphasis'),
  d('szm_lze', '48P8', 'Large zone emphasis'),
  d('szm_lgze', 'XMSY', 'Low grey level zone emphasis'),
  d('szm_hgze', '5GN9', 'High grey level zone emphasis'),
  d('szm_szlge', '5RAI', 'Small zone low grey level emphasis'),
  d('szm_szhge', 'HW1V', 'Small zone high grey level emphasis'),
  d('szm_lzlge', 'YH51', 'Large zone low grey level emphasis'),
  d('szm_lzhge', 'J17V', 'Large zone high grey level emphasis'),
  d('szm_glnu', 'JNSA', 'Grey level non-uniformity'),
  d('szm_glnu_norm', 'Y1RO', 'Normalised grey level non-uniformity'),
  d('szm_zsnu', '4JP3', 'Zone size non-uniformity'),
  d('szm_zsnu_norm', 'VB3A', 'Normalised zone size non-uniformity'),
  d('szm_z_perc', 'P30P', 'Zone percentage'),
  d('szm_gl_var', 'BYLV', 'Grey level variance'),
  d('szm_zs_var', '3NSA', 'Zone size variance'),
  d('szm_zs_entr', 'GU8N', 'Zone size entropy'),
];

/** Feature values in GLSZM_DESCRIPTORS order; all NaN for an empty matrix. */
export function glszmFeatures(m: LevelTable): Float64Array {
  const s = tableStatistics(m);
  return s ? Float64Array.from(standardOrder(s)) : new Float64Array(GLSZM_DESCRIPTORS.length).fill(NaN);
}
