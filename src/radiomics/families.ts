/**
 * The one table of feature families, in IBSI order: what each reports (its descriptors, which
 * the registry lists) and how the extractor computes it from a region (`prepare` does the heavy
 * work once, `compute` evaluates every feature on it). The texture families share one engine
 * that builds their matrices together (texture/), so their entries carry descriptors only and
 * the extractor runs them as one step.
 */
import { DocumentedDescriptor, FEATURE_FAMILIES, FeatureFamily, FeatureValue } from './feature';
import type { Vec3 } from './volume';
import type { IndexBox } from './indexBox';
import type { RadiomicsSettings } from './settings';
import type { Discretised } from './preprocess/discretise';
import { FamilyDefinition, describe, evaluateFamily } from './features/family';
import { MORPHOLOGY, prepareMorphology } from './features/morphology';
import { LOCAL_INTENSITY, SphereMeans, prepareLocalIntensity } from './features/localIntensity';
import { STATISTICS, prepareStatistics } from './features/statistics';
import { HISTOGRAM, prepareHistogram } from './features/histogram';
import { IVH, IvhDiscretisation, prepareIvh } from './features/ivh';
import { TEXTURE_DESCRIPTORS, TextureFamily } from './texture';

/** One region after interpolation, re-segmentation and discretisation: what a family computes from. */
export interface RegionData {
  dims: Vec3;
  spacing: Vec3;
  image: Float64Array;
  morphMask: Uint8Array;
  intensityMask: Uint8Array;
  /** Intensities of the intensity mask's voxels, in index order. */
  intensities: Float64Array;
  /** Null when no family needed it. */
  discretised: Discretised | null;
  /** The region's bounding box as [start, end) index pairs (the per-voxel loops visit only these). */
  rows: Int32Array;
  /** That bounding box (null for an empty region). */
  box: IndexBox | null;
  settings: RadiomicsSettings;
  /** Work that depends on the image alone, shared by the regions of one lesion. */
  shared: { sphereMeans?: SphereMeans };
}

type Prepared<D> = D | { unavailable: string };

export interface VoxelFamily<D = unknown> {
  family: FeatureFamily;
  descriptors: readonly DocumentedDescriptor[];
  prepare(region: RegionData): Prepared<D>;
  compute(prepared: Prepared<D>, exclude: ReadonlySet<string>): FeatureValue[];
}

export interface TextureFamilyEntry {
  family: TextureFamily;
  descriptors: readonly DocumentedDescriptor[];
  texture: true;
}

export type FamilyEntry = VoxelFamily | TextureFamilyEntry;

function voxelFamily<D>(definition: FamilyDefinition<D>, prepare: (region: RegionData) => Prepared<D>): VoxelFamily {
  return {
    family: definition.family,
    descriptors: describe(definition),
    prepare,
    compute: (prepared, exclude) => evaluateFamily(definition, prepared as Prepared<D>, exclude),
  };
}

const texture = (family: TextureFamily): TextureFamilyEntry => ({ family, descriptors: TEXTURE_DESCRIPTORS.filter((d) => d.family === family), texture: true });

function ivhDiscretisation(settings: RadiomicsSettings): IvhDiscretisation {
  const s = settings.ivh;
  if (s.method === 'fixed_bin_size') return { method: 'fixed_bin_size', binWidth: s.binWidth };
  if (s.method === 'fixed_bin_number') return { method: 'fixed_bin_number', binCount: s.binCount };
  return { method: 'none' };
}

const TABLE: Record<FeatureFamily, FamilyEntry> = {
  morphology: voxelFamily(MORPHOLOGY, (r) => prepareMorphology({ dims: r.dims, spacing: r.spacing, image: r.image, morphologicalMask: r.morphMask, intensityMask: r.intensityMask, box: r.box })),
  local_intensity: voxelFamily(LOCAL_INTENSITY, (r) => {
    const sphereMeans = (r.shared.sphereMeans ??= new SphereMeans(r.image, r.dims, r.spacing));
    // The intensity mask lies within the morphological mask's box (and is empty when no intensity is left).
    const box = r.intensities.length > 0 ? r.box : null;
    return prepareLocalIntensity({ dims: r.dims, spacing: r.spacing, image: r.image, intensityMask: r.intensityMask, sphereMeans, box });
  }),
  intensity_statistics: voxelFamily(STATISTICS, (r) => prepareStatistics(r.intensities)),
  intensity_histogram: voxelFamily(HISTOGRAM, (r) =>
    r.discretised ? prepareHistogram(r.discretised.levels, r.discretised.nLevels, r.rows) : { unavailable: 'the ROI intensity mask is empty' },
  ),
  // The IVH range G is the re-segmentation range the user set (IBSI P88C), not the outlier
  // bounds, which depend on the data; open sides are taken from the ROI.
  intensity_volume_histogram: voxelFamily(IVH, (r) =>
    prepareIvh(r.intensities, ivhDiscretisation(r.settings), { lower: r.settings.resegmentation.lower, upper: r.settings.resegmentation.upper }),
  ),
  glcm: texture('glcm'),
  glrlm: texture('glrlm'),
  glszm: texture('glszm'),
  gldzm: texture('gldzm'),
  ngtdm: texture('ngtdm'),
  ngldm: texture('ngldm'),
};

/** Every family, in IBSI order. */
export const FAMILY_TABLE: readonly FamilyEntry[] = FEATURE_FAMILIES.map((f) => TABLE[f]);

export function isVoxelFamily(entry: FamilyEntry): entry is VoxelFamily {
  return !('texture' in entry);
}
