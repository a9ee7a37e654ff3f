/**
 * How a radiomic feature is named and reported, shared by every feature family.
 * Names follow the IBSI reference manual (chapter 3): tag (e.g. "stat_mean"), permanent code
 * (e.g. "Q4LE") and, for texture matrices, the aggregation method.
 */

/** Feature families, in IBSI order (chapter 3), by the names settings files use. */
export const FEATURE_FAMILIES = [
  'morphology',
  'local_intensity',
  'intensity_statistics',
  'intensity_histogram',
  'intensity_volume_histogram',
  'glcm',
  'glrlm',
  'glszm',
  'gldzm',
  'ngtdm',
  'ngldm',
] as const;
export type FeatureFamily = (typeof FEATURE_FAMILIES)[number];

/** IBSI aggregation methods, by their IBSI names, in IBSI order. */
export const AGGREGATIONS = [
  '2D averaged', // BTW3 (GLCM, GLRLM)
  '2D slice-merged', // SUJT
  '2.5D direction-merged', // JJUI
  '2.5D merged', // ZW7Z
  '3D averaged', // ITBB
  '3D merged', // IAZD
  '2D', // 8QNN (GLSZM, GLDZM, NGTDM, NGLDM)
  '2.5D', // 62GR
  '3D', // KOBO
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export const AGGREGATION_CODES: Record<Aggregation, string> = {
  '2D averaged': 'BTW3',
  '2D slice-merged': 'SUJT',
  '2.5D direction-merged': 'JJUI',
  '2.5D merged': 'ZW7Z',
  '3D averaged': 'ITBB',
  '3D merged': 'IAZD',
  '2D': '8QNN',
  '2.5D': '62GR',
  '3D': 'KOBO',
};

export interface FeatureDescriptor {
  family: FeatureFamily;
  /** IBSI tag, e.g. "cm_joint_max". */
  tag: string;
  /** IBSI permanent identifier, e.g. "GYBY". */
  code: string;
  /** IBSI feature name, e.g. "Joint maximum". */
  name: string;
}

/** A descriptor with its documentation line, as the feature registry lists it. */
export interface DocumentedDescriptor extends FeatureDescriptor {
  /** One line: what the feature measures (formula or meaning), and its unit where it has one. */
  doc: string;
  /** True where IBSI gives no reference value for this feature (e.g. OMBB densities). */
  noIbsiReference?: boolean;
}

export interface FeatureValue extends FeatureDescriptor {
  /** Texture families only. */
  aggregation?: Aggregation;
  /** NaN when the feature is undefined for this region (reason given). */
  value: number;
  reason?: string;
}

/** The flat key used in JSON output: `tag`, or `tag[aggregation]` for texture features. */
export function featureKey(f: Pick<FeatureValue, 'tag' | 'aggregation'>): string {
  return f.aggregation ? `${f.tag}[${f.aggregation}]` : f.tag;
}
