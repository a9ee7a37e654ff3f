/** GLDZM features (IBSI 3.9.1–3.9.16) from one distance zone matrix. */
import { FeatureDescriptor } from '../../feature';
import { LevelTable, standardOrder, tableStatistics } from '../levelTable';

const d = (tag: string, code: string, name: string): FeatureDescriptor => ({ family: 'gldzm', tag, code, name });

export const GLDZM_DESCRIPTORS: readonly FeatureDescriptor[] = [
  d('dzm_sde', '0GBI', 'Small distance emphasis'),
  d('dzm_lde', 'MB4I', 'Large distance emphasis'),
  d('dzm_lgze', 'S1RA', 'Low grey level zone emphasis'),
  d('dzm_hgze', 'K26C', 'High grey level zone emphasis'),
  d('dzm_sdlge', 'RUVG', 'Small distance low grey level emphasis'),
  d('dzm_sdhge', 'DKNJ', 'Small distance high grey level emphasis'),
  d('dzm_ldlge', 'A7WM', 'Large distance low grey level emphasis'),
  d('dzm_ldhge', 'KLTH', 'Large distance high grey level emphasis'),
  d('dzm_glnu', 'VFT7', 'Grey level non-uniformity'),
  d('dzm_glnu_norm', '7HP3', 'Normalised grey level non-uniformity'),
  d('dzm_zdnu', 'V294', 'Zone distance non-uniformity'),
  d('dzm_zdnu_norm', 'IATH', 'Normalised zone distance non-uniformity'),
  d('dzm_z_perc', 'VIWW', 'Zone percentage'),
  d('dzm_gl_var', 'QK93', 'Grey level variance'),
  d('dzm_zd_var', '7WT1', 'Zone distance variance'),
  d('dzm_zd_entr', 'GBDU', 'Zone distance entropy'),
];

/** Feature values in GLDZM_DESCRIPTORS order; all NaN for an empty matrix. */
export function gldzmFeatures(m: LevelTable): Float64Array {
  const s = tableStatistics(m);
  return s ? Float64Array.from(standardOrder(s)) : new Float64Array(GLDZM_DESCRIPTORS.length).fill(NaN);
}
