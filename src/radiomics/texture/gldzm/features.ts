/** GLDZM features (IBSI 3.9.1–3.9.16) from one distance zone matrix (zone distance: the zone's distance to the ROI edge). */
import { DocumentedDescriptor } from '../../feature';
import { LevelTable, tableDescriptors, tableFeatures } from '../levelTable';

export const GLDZM_DESCRIPTORS: readonly DocumentedDescriptor[] = tableDescriptors('gldzm', { items: 'zones', value: 'zone distance' }, [
  ['dzm_sde', '0GBI', 'Small distance emphasis'],
  ['dzm_lde', 'MB4I', 'Large distance emphasis'],
  ['dzm_lgze', 'S1RA', 'Low grey level zone emphasis'],
  ['dzm_hgze', 'K26C', 'High grey level zone emphasis'],
  ['dzm_sdlge', 'RUVG', 'Small distance low grey level emphasis'],
  ['dzm_sdhge', 'DKNJ', 'Small distance high grey level emphasis'],
  ['dzm_ldlge', 'A7WM', 'Large distance low grey level emphasis'],
  ['dzm_ldhge', 'KLTH', 'Large distance high grey level emphasis'],
  ['dzm_glnu', 'VFT7', 'Grey level non-uniformity'],
  ['dzm_glnu_norm', '7HP3', 'Normalised grey level non-uniformity'],
  ['dzm_zdnu', 'V294', 'Zone distance non-uniformity'],
  ['dzm_zdnu_norm', 'IATH', 'Normalised zone distance non-uniformity'],
  ['dzm_z_perc', 'VIWW', 'Zone percentage'],
  ['dzm_gl_var', 'QK93', 'Grey level variance'],
  ['dzm_zd_var', '7WT1', 'Zone distance variance'],
  ['dzm_zd_entr', 'GBDU', 'Zone distance entropy'],
]);

/** Feature values in GLDZM_DESCRIPTORS order; all NaN for an empty matrix. */
export function gldzmFeatures(m: LevelTable): Float64Array {
  return tableFeatures(m, 16);
}
