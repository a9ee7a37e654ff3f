/** GLSZM features (IBSI 3.8.1–3.8.16) from one size zone matrix. */
import { DocumentedDescriptor } from '../../feature';
import { LevelTable, tableDescriptors, tableFeatures } from '../levelTable';

export const GLSZM_DESCRIPTORS: readonly DocumentedDescriptor[] = tableDescriptors('glszm', { items: 'zones', value: 'zone size' }, [
  ['szm_sze', 'P001', 'Small zone emphasis'],
  ['szm_lze', '48P8', 'Large zone emphasis'],
  ['szm_lgze', 'XMSY', 'Low grey level zone emphasis'],
  ['szm_hgze', '5GN9', 'High grey level zone emphasis'],
  ['szm_szlge', '5RAI', 'Small zone low grey level emphasis'],
  ['szm_szhge', 'HW1V', 'Small zone high grey level emphasis'],
  ['szm_lzlge', 'YH51', 'Large zone low grey level emphasis'],
  ['szm_lzhge', 'J17V', 'Large zone high grey level emphasis'],
  ['szm_glnu', 'JNSA', 'Grey level non-uniformity'],
  ['szm_glnu_norm', 'Y1RO', 'Normalised grey level non-uniformity'],
  ['szm_zsnu', '4JP3', 'Zone size non-uniformity'],
  ['szm_zsnu_norm', 'VB3A', 'Normalised zone size non-uniformity'],
  ['szm_z_perc', 'P30P', 'Zone percentage'],
  ['szm_gl_var', 'BYLV', 'Grey level variance'],
  ['szm_zs_var', '3NSA', 'Zone size variance'],
  ['szm_zs_entr', 'GU8N', 'Zone size entropy'],
]);

/** Feature values in GLSZM_DESCRIPTORS order; all NaN for an empty matrix. */
export function glszmFeatures(m: LevelTable): Float64Array {
  return tableFeatures(m, 16);
}
