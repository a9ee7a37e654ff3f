/**
 * IBSI texture features (reference manual chapter 3: GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM)
 * of a discretised region, in every IBSI aggregation. Pure computation: arrays in, values out.
 *
 * Each family builds its matrices once per region and dimensionality and derives every
 * requested aggregation and feature from them. Ng (used by the normalised inverse difference
 * and normalised inverse difference moment of the GLCM) is `nLevels`, which the caller decides:
 * fixed bin number → the bin number; fixed bin size → the highest level present in the ROI (as
 * the IBSI coordinators' toolkit does; CT phantom configuration A: 36, and 37 misses the
 * reference); the IBSI digital phantom → 6. Distances are in voxels, so `spacing` is not used.
 */
import { Vec3 } from '../volume';
import type { IndexBox } from '../indexBox';
import { AGGREGATIONS, Aggregation, DocumentedDescriptor, FeatureFamily, FeatureValue } from '../feature';
import { AggregatedValues } from './aggregate';
import { DIRECTIONAL_AGGREGATIONS } from './directional';
import { FAMILIES, TextureRegion } from './families';
import { padRoi, TextureInputError } from './grid';
import { SLICEWISE_AGGREGATIONS } from './slicewise';
import { StopCheck, stopIfAsked } from '../stop';

export { TextureInputError } from './grid';

export interface DiscretisedRoi {
  dims: Vec3;
  spacing: Vec3;
  /** Grey level 1..nLevels inside the intensity mask (after re-segmentation), 0 outside. */
  levels: Int32Array;
  nLevels: number;
  /**
   * The morphological mask (before re-segmentation), same grid; some families (GLDZM distance map) may need it.
   * The intensity mask (levels > 0) must lie within it; all zeros means "same as the intensity mask".
   * Only the morphological mask's bounding box is read for levels, so a whole image costs little.
   */
  morphMask: Uint8Array;
  /** The morphological mask's bounding box when the caller knows it (null: empty; else found here). */
  morphBox?: IndexBox | null;
}

export const TEXTURE_FAMILIES = ['glcm', 'glrlm', 'glszm', 'gldzm', 'ngtdm', 'ngldm'] as const satisfies readonly FeatureFamily[];
export type TextureFamily = (typeof TEXTURE_FAMILIES)[number];

export function isTextureFamily(family: string): family is TextureFamily {
  return (TEXTURE_FAMILIES as readonly string[]).includes(family);
}

export interface TextureOptions {
  families: readonly TextureFamily[];
  /** Which IBSI aggregations to compute; each family computes those that apply to it (TEXTURE_AGGREGATIONS). */
  aggregations: readonly Aggregation[];
  /** Chebyshev distances in voxels (default 1) and the NGLDM coarseness α (default 0). */
  glcmDistance?: number;
  ngtdmDistance?: number;
  ngldmDistance?: number;
  ngldmCoarseness?: number;
  /** Asked before each family's matrices (a caller that may stop needing them: extract.ts). */
  shouldStop?: StopCheck;
}

/** The aggregations each family supports, in IBSI order (IBSI chapter 3): the one table of them. */
export const TEXTURE_AGGREGATIONS: Readonly<Record<TextureFamily, readonly Aggregation[]>> = {
  glcm: DIRECTIONAL_AGGREGATIONS,
  glrlm: DIRECTIONAL_AGGREGATIONS,
  glszm: SLICEWISE_AGGREGATIONS,
  gldzm: SLICEWISE_AGGREGATIONS,
  ngtdm: SLICEWISE_AGGREGATIONS,
  ngldm: SLICEWISE_AGGREGATIONS,
};

/** Every texture feature (family, IBSI tag, IBSI code, IBSI name, documentation line). */
export const TEXTURE_DESCRIPTORS: readonly DocumentedDescriptor[] = TEXTURE_FAMILIES.flatMap((f) => FAMILIES[f].descriptors);

function positiveInteger(value: number | undefined, fallback: number, name: string, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TextureInputError(`texture: ${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer (in voxels), got ${value}.`);
  }
  return value;
}

function reasonFor(family: TextureFamily, aggregation: Aggregation, result: AggregatedValues, roiVoxels: number): string {
  if (roiVoxels === 0) return 'the ROI intensity mask is empty';
  if (result.matrices === 0) {
    return `no ${family.toUpperCase()} matrix for ${aggregation}: no voxel of the ROI has a neighbour in the ROI`;
  }
  return `undefined for every ${family.toUpperCase()} matrix of ${aggregation} (e.g. a single grey level)`;
}

export function computeTextureFeatures(roi: DiscretisedRoi, options: TextureOptions): FeatureValue[] {
  for (const f of options.families) {
    if (!(f in FAMILIES)) throw new TextureInputError(`texture: unknown family "${f}"; use one of ${TEXTURE_FAMILIES.join(', ')}.`);
  }
  const known = new Set<string>(AGGREGATIONS);
  for (const a of options.aggregations) {
    if (!known.has(a)) throw new TextureInputError(`texture: unknown aggregation "${a}"; use IBSI names: ${[...known].join(', ')}.`);
  }
  const settings = {
    glcmDistance: positiveInteger(options.glcmDistance, 1, 'glcmDistance'),
    ngtdmDistance: positiveInteger(options.ngtdmDistance, 1, 'ngtdmDistance'),
    ngldmDistance: positiveInteger(options.ngldmDistance, 1, 'ngldmDistance'),
    ngldmCoarseness: positiveInteger(options.ngldmCoarseness, 0, 'ngldmCoarseness', true),
  };
  const pad = Math.max(1, settings.glcmDistance, settings.ngtdmDistance, settings.ngldmDistance);
  const region = new TextureRegion(padRoi(roi, pad), settings, options.families);
  const requested = new Set(options.aggregations);
  const out: FeatureValue[] = [];
  for (const family of TEXTURE_FAMILIES.filter((f) => options.families.includes(f))) {
    const aggregations = TEXTURE_AGGREGATIONS[family].filter((a) => requested.has(a));
    if (aggregations.length === 0) continue;
    const { descriptors, compute } = FAMILIES[family];
    stopIfAsked(options.shouldStop);
    const results = compute(region, new Set(aggregations));
    for (const aggregation of aggregations) {
      const result = results.get(aggregation)!;
      descriptors.forEach(({ tag, code, name }, k) => {
        const value = result.values[k];
        const feature: FeatureValue = { family, tag, code, name, aggregation, value };
        if (!Number.isFinite(value)) feature.reason = reasonFor(family, aggregation, result, region.grid.roi.length);
        out.push(feature);
      });
    }
  }
  return out;
}
