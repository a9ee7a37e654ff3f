/**
 * Feature extraction, the IBSI processing chain in one place (reference manual, figure of
 * chapter 2): interpolate image and mask → morphological mask (the ROI, or the peritumoral
 * ring) → re-segment into the intensity mask → discretise → every requested family.
 *
 * Only a box around the ROI is interpolated (the whole grid is still laid out as IBSI aligns
 * it, so values are those of interpolating the full image), with enough margin for the local
 * intensity sphere, the ring and the interpolation kernel. Regions of one lesion (extractRegions:
 * tumour and ring) share that interpolation and the local-intensity sphere means.
 */
import { Mask, Vec3, Volume, sameGrid } from './volume';
import { FeatureValue } from './feature';
import { RadiomicsSettings } from './settings';
import { GridSource, ResampledGrid, alignedGrid } from './preprocess/grid';
import { IndexBox, boxDims, boxRows, nonZeroBox } from './indexBox';
import { resampleRegion } from './preprocess/resample';
import { roundInPlace } from './math/rounding';
import { RingResult, peritumoralRing } from './preprocess/ring';
import { resegment } from './preprocess/resegment';
import { Discretised, DiscretisationSettings, discretise } from './preprocess/discretise';
import { isExcluded } from './features/family';
import { PEAK_RADIUS_MM, SphereMeans } from './features/localIntensity';
import { computeTextureFeatures, isTextureFamily } from './texture';
import { FAMILY_TABLE, isVoxelFamily, RegionData } from './families';
import { StopCheck, stopIfAsked } from './stop';

export type Region = 'roi' | 'ring';

type AnyVolume = Volume<Float32Array | Float64Array | Uint8Array | Int16Array | Int32Array>;

export class RadiomicsInputError extends Error {

  override readonly name = 'RadiomicsInputError';

}

export interface RingDiagnostics {
  innerMm: number;
  outerMm: number;
  voxels: number;
  /** The ring reached beyond the image and was cut there. */
  clipped: boolean;
  clippedAt: string[];
  /** Fraction of ring voxels below -500 (HU): a large value means the ring left the body. */
  airFraction: number;
}

export interface ExtractionDiagnostics {
  region: Region;
  settings: { name: string; status: string };
  /** The grid features were computed on (after interpolation). */
  grid: { dims: Vec3; spacing: Vec3; origin: Vec3; interpolation: string };
  /** The part of that grid that was evaluated (inclusive voxel indices). */
  workingBox: IndexBox;
  voxels: { morphological: number; intensity: number };
  /** Re-segmentation range actually applied (null = open). */
  resegmentation: { lower: number | null; upper: number | null };
  discretisation: { method: string; nLevels: number; lowerBound: number | null; binWidth: number | null } | null;
  ring?: RingDiagnostics;
  texture: 'computed' | 'not requested';
  warnings: string[];
  timingsMs: Record<string, number>;
}

export interface ExtractionResult {
  features: FeatureValue[];
  diagnostics: ExtractionDiagnostics;
}

/** Image and ROI mask on the (cropped) interpolation grid, shared by the regions. */
export interface PreparedImage {
  dims: Vec3;
  spacing: Vec3;
  /** Origin of the working box (centre of its first voxel), mm in the grid's axes. */
  origin: Vec3;
  image: Float64Array;
  roiMask: Uint8Array;
  grid: ResampledGrid;
  workingBox: IndexBox;
  interpolation: string;
  timingsMs: Record<string, number>;
  /** Work that depends on the image alone, done once for all regions when first needed. */
  shared?: { sphereMeans?: SphereMeans };
}

const now = (): number => performance.now();

function validateInput(image: AnyVolume, mask: Mask): void {
  if (!sameGrid(image, mask)) {
    throw new RadiomicsInputError(
      `the mask grid (${mask.dims.join('×')} voxels of ${mask.spacing.join('×')} mm at ${mask.origin.join(', ')}) differs from the image grid (${image.dims.join('×')} of ${image.spacing.join('×')} mm at ${image.origin.join(', ')}); resample the mask onto the image first.`,
    );
  }
  const n = image.dims[0] * image.dims[1] * image.dims[2];
  if (image.data.length !== n || mask.data.length !== n) {
    throw new RadiomicsInputError(`image/mask data length (${image.data.length}/${mask.data.length}) does not match their dimensions (${n} voxels).`);
  }
}

/** Margin (mm) the working box needs around the ROI for the requested regions and families. */
function marginFor(settings: RadiomicsSettings, regions: Region[]): number {
  let margin = 0;
  if (settings.features.families.includes('local_intensity')) margin += PEAK_RADIUS_MM;
  if (regions.includes('ring')) margin += settings.ring.outerMm;
  return margin;
}

export interface ExtractOptions {
  /**
   * The grid of the whole image when `image` is only part of it (e.g. the slices around a
   * lesion): the interpolation grid is then aligned on the whole image, as IBSI prescribes, so
   * the features do not depend on how much of the scan was loaded. `image` must lie on this
   * grid (same spacing, origin shifted by whole voxels) and cover the ROI plus the margins.
   */
  alignTo?: GridSource;
  /** Asked before each step (interpolation, each region, each feature family, each texture family). */
  shouldStop?: StopCheck;
}

/** The IBSI grid for `image`, aligned on `alignTo` when given (expressed in `image`'s indices). */
function interpolationGrid(image: AnyVolume, newSpacing: [number | null, number | null, number | null], alignTo?: GridSource): ResampledGrid {
  if (!alignTo) return alignedGrid(image, newSpacing);
  const grid = alignedGrid(alignTo, newSpacing);
  const start = [...grid.start] as Vec3;
  for (let d = 0; d < 3; d++) {
    if (Math.abs(alignTo.spacing[d] - image.spacing[d]) > 1e-4 * image.spacing[d]) {
      throw new RadiomicsInputError(`alignTo: the image spacing (${image.spacing.join(' × ')} mm) differs from the whole-image grid (${alignTo.spacing.join(' × ')} mm).`);
    }
    const offset = (image.origin[d] - alignTo.origin[d]) / image.spacing[d];
    if (Math.abs(offset - Math.round(offset)) > 1e-3) {
      throw new RadiomicsInputError(`alignTo: the image is not on the whole-image grid (its origin is ${offset.toFixed(3)} voxels from it along axis ${'xyz'[d]}).`);
    }
    start[d] -= Math.round(offset);
  }
  return { ...grid, start };
}

/** Interpolates image and mask around the ROI (IBSI steps 1–2). */
export function prepareImage(image: AnyVolume, mask: Mask, settings: RadiomicsSettings, regions: Region[] = ['roi'], options: ExtractOptions = {}): PreparedImage {
  stopIfAsked(options.shouldStop);
  validateInput(image, mask);
  const t0 = now();
  const roiBox = nonZeroBox(mask.data, mask.dims);
  if (!roiBox) throw new RadiomicsInputError('the ROI mask is empty: no voxel of the image lies inside the contour.');
  const interp = settings.interpolation;
  const interpolate = interp.method !== 'none';
  const spacing = interp.spacingMm;
  const grid = interpolationGrid(
    image,
    interpolate ? [spacing[0], spacing[1], settings.dimensionality === '2D' ? null : spacing[2]] : [null, null, null],
    options.alignTo,
  );
  // New-grid voxels whose interpolated mask can be non-zero (maskBox), then the margin.
  const margin = marginFor(settings, regions);
  const lo = [0, 0, 0] as Vec3;
  const hi = [0, 0, 0] as Vec3;
  const maskBox: IndexBox = { lo: [0, 0, 0], hi: [0, 0, 0] };
  for (let d = 0; d < 3; d++) {
    const support = grid.step[d] === 1 && grid.start[d] === 0 ? 0 : 1;
    const first = Math.ceil((roiBox.lo[d] - support - grid.start[d]) / grid.step[d] - 1e-9);
    const last = Math.floor((roiBox.hi[d] + support - grid.start[d]) / grid.step[d] + 1e-9);
    const extra = Math.ceil(margin / grid.spacing[d]) + 1;
    // Stay on grid voxels whose centre lies within the given image (for a whole image, every one).
    const firstInside = Math.ceil((-0.5 - grid.start[d]) / grid.step[d] - 1e-9);
    const lastInside = Math.floor((image.dims[d] - 0.5 - grid.start[d]) / grid.step[d] + 1e-9);
    lo[d] = Math.max(0, firstInside, first - extra);
    hi[d] = Math.min(grid.dims[d] - 1, lastInside, last + extra);
    maskBox.lo[d] = Math.max(lo[d], first);
    maskBox.hi[d] = Math.min(hi[d], last);
  }
  const workingBox: IndexBox = { lo, hi };
  const dims = boxDims(workingBox);
  const imageMethod = interpolate ? (interp.method as 'nearest' | 'linear' | 'cubic-spline') : 'nearest';
  const values = resampleRegion(image, grid, workingBox, imageMethod, 'edge');
  if (interpolate && interp.roundIntensities) roundInPlace(values);
  const t1 = now();
  // The mask is interpolated only where it can be non-zero; the rest of the working box is 0.
  const roiMask = new Uint8Array(values.length);
  const maskDims = boxDims(maskBox);
  if (maskDims.every((n) => n > 0)) {
    const maskValues = resampleRegion(mask, grid, maskBox, interpolate ? interp.maskMethod : 'nearest', 'zero');
    // Many voxels land exactly on the threshold; a small tolerance keeps float noise from deciding.
    const threshold = interp.maskThreshold - 1e-6;
    for (let z = 0, j = 0; z < maskDims[2]; z++)
      for (let y = 0; y < maskDims[1]; y++) {
        const row = maskBox.lo[0] - lo[0] + dims[0] * (maskBox.lo[1] - lo[1] + y + dims[1] * (maskBox.lo[2] - lo[2] + z));
        for (let x = 0; x < maskDims[0]; x++, j++) roiMask[row + x] = maskValues[j] >= threshold ? 1 : 0;
      }
  }
  const t2 = now();
  const origin: Vec3 = [0, 1, 2].map((d) => grid.origin[d] + lo[d] * grid.spacing[d]) as Vec3;
  return {
    dims,
    spacing: grid.spacing,
    origin,
    image: values,
    roiMask,
    grid,
    workingBox,
    interpolation: interpolate ? `${interp.method} (${settings.dimensionality === '2D' ? 'in-plane' : '3D'}), mask ${interp.maskMethod} ≥ ${interp.maskThreshold}` : 'none',
    timingsMs: { interpolateImage: t1 - t0, interpolateMask: t2 - t1 },
  };
}

/** Intensities below this (HU) are air: the ring's air fraction here, outside air in imaging/body.ts. */
export const AIR_HU = -500;

function textureDiscretisation(settings: RadiomicsSettings): DiscretisationSettings {
  const s = settings.discretisation;
  if (s.method === 'fixed_bin_size') return { method: 'fixed_bin_size', binWidth: s.binWidth, lowerBound: s.lowerBound ?? settings.resegmentation.lower };
  if (s.method === 'fixed_bin_number') return { method: 'fixed_bin_number', binCount: s.binCount };
  return { method: 'none' };
}

// The per-voxel loops of extractFromPrepared live in small functions of their own, which the
// JIT optimises far better than the same loops inside that long function.

/** The `count` intensities of the voxels of `mask` within `rows`, in index order. */
function gatherIntensities(mask: Uint8Array, image: Float64Array, rows: Int32Array, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let r = 0, k = 0; r < rows.length; r += 2) for (let i = rows[r]; i < rows[r + 1]; i++) if (mask[i]) out[k++] = image[i];
  return out;
}

/** Features of one region of a prepared image (IBSI steps 3–5). */
export function extractFromPrepared(prepared: PreparedImage, settings: RadiomicsSettings, region: Region = 'roi', shouldStop?: StopCheck): ExtractionResult {
  stopIfAsked(shouldStop);
  const timings: Record<string, number> = { ...prepared.timingsMs };
  const warnings: string[] = [];
  const { dims, spacing, image } = prepared;
  const families = new Set(settings.features.families);
  let t = now();
  let morphMask = prepared.roiMask;
  let ringResult: RingResult | undefined;
  if (region === 'ring') {
    ringResult = peritumoralRing(prepared.roiMask, dims, spacing, settings.ring);
    morphMask = ringResult.ring;
    if (ringResult.clipped) warnings.push(`the peritumoral ring reaches beyond the image (${ringResult.clippedAt.join(', ')}) and was clipped there.`);
    timings.ring = now() - t;
    t = now();
  }
  // Per-voxel loops visit the region's bounding box only (in the same order as the whole grid).
  const regionBox = nonZeroBox(morphMask, dims);
  const rows = regionBox ? boxRows(regionBox, dims) : new Int32Array(0);
  // The ring's air fraction counts its voxels below −500 (HU) in the re-segmentation's pass.
  const reseg = resegment(image, morphMask, { lower: settings.resegmentation.lower, upper: settings.resegmentation.upper }, settings.resegmentation.outlierSigma, rows, AIR_HU);
  const morphVoxels = reseg.morphological;
  const air = reseg.below;
  const ring: RingDiagnostics | undefined = ringResult && {
    innerMm: settings.ring.innerMm,
    outerMm: settings.ring.outerMm,
    voxels: ringResult.voxels,
    clipped: ringResult.clipped,
    clippedAt: ringResult.clippedAt,
    airFraction: morphVoxels ? air / morphVoxels : 0,
  };
  const intensityMask = reseg.intensityMask;
  const intensities = gatherIntensities(intensityMask, image, rows, reseg.voxels);
  if (reseg.voxels === 0) warnings.push('no voxel of the region is left after re-segmentation; intensity features are undefined.');
  timings.resegment = now() - t;

  const wantTexture = settings.features.families.filter(isTextureFamily);
  let discretised: Discretised | null = null;
  if (families.has('intensity_histogram') || wantTexture.length > 0) {
    t = now();
    const ds = textureDiscretisation(settings);
    discretised = discretise(image, intensityMask, ds, rows);
    if (ds.method === 'fixed_bin_size' && ds.lowerBound === null) warnings.push('fixed bin size without a lower bound: the ROI minimum was used (IBSI advises the re-segmentation lower bound).');
    timings.discretise = now() - t;
  }

  const exclude = new Set(settings.features.exclude);
  const features: FeatureValue[] = [];
  const run = (name: string, f: () => FeatureValue[]) => {
    stopIfAsked(shouldStop);
    const start = now();
    features.push(...f());
    timings[name] = now() - start;
  };
  const data: RegionData = { dims, spacing, image, morphMask, intensityMask, intensities, discretised, rows, box: regionBox, settings, shared: (prepared.shared ??= {}) };
  for (const entry of FAMILY_TABLE) {
    if (isVoxelFamily(entry) && families.has(entry.family)) run(entry.family, () => entry.compute(entry.prepare(data), exclude));
  }

  if (discretised && wantTexture.length > 0) {
    const tex = settings.features.texture;
    // The texture engine crops the region to the morphological mask's bounding box itself.
    const roi = { dims, spacing, levels: discretised.levels, nLevels: discretised.nLevels, morphMask, morphBox: regionBox };
    run('texture', () =>
      computeTextureFeatures(roi, {
        families: wantTexture,
        aggregations: tex.aggregations,
        glcmDistance: tex.glcmDistance,
        ngtdmDistance: tex.ngtdmDistance,
        ngldmDistance: tex.ngldmDistance,
        ngldmCoarseness: tex.ngldmCoarseness,
        ...(shouldStop ? { shouldStop } : {}),
      }).filter((f) => !isExcluded(f, exclude)),
    );
  }

  return {
    features,
    diagnostics: {
      region,
      settings: { name: settings.name, status: settings.status },
      grid: { dims: prepared.grid.dims, spacing, origin: prepared.grid.origin, interpolation: prepared.interpolation },
      workingBox: prepared.workingBox,
      voxels: { morphological: morphVoxels, intensity: reseg.voxels },
      resegmentation: reseg.applied,
      discretisation: discretised
        ? { method: settings.discretisation.method, nLevels: discretised.nLevels, lowerBound: Number.isFinite(discretised.lowerBound) ? discretised.lowerBound : null, binWidth: discretised.binWidth }
        : null,
      ...(ring ? { ring } : {}),
      texture: wantTexture.length > 0 ? 'computed' : 'not requested',
      warnings,
      timingsMs: timings,
    },
  };
}

/**
 * IBSI features of `mask` (region "roi") or of its peritumoral ring (region "ring") in `image`,
 * processed as `settings` say. Pure: arrays in, numbers out.
 */
export function extractFeatures(image: AnyVolume, mask: Mask, settings: RadiomicsSettings, region: Region = 'roi', options: ExtractOptions = {}): ExtractionResult {
  return extractFromPrepared(prepareImage(image, mask, settings, [region], options), settings, region, options.shouldStop);
}

/** Several regions of one lesion, sharing the interpolation (what the CD8 score needs: roi + ring). */
export function extractRegions(image: AnyVolume, mask: Mask, settings: RadiomicsSettings, regions: Region[], options: ExtractOptions = {}): Record<Region, ExtractionResult | undefined> {
  const prepared = prepareImage(image, mask, settings, regions, options);
  const out: Record<Region, ExtractionResult | undefined> = { roi: undefined, ring: undefined };
  for (const region of regions) out[region] = extractFromPrepared(prepared, settings, region, options.shouldStop);
  return out;
}
