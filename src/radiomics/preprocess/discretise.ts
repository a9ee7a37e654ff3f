/**
 * Intensity discretisation (IBSI 4R0B) of the voxels of the intensity mask into grey levels
 * 1..N_g: fixed bin size (Q3RU) from a lower bound, fixed bin number (K15C) over the actual
 * minimum and maximum in the ROI, or `none` for images that already hold grey levels.
 */
import { allRows } from '../indexBox';

export type DiscretisationSettings =
  | { method: 'fixed_bin_size'; binWidth: number; lowerBound: number | null }
  | { method: 'fixed_bin_number'; binCount: number }
  | { method: 'none' };

export interface Discretised {
  /** Grey level per voxel of the grid, 0 outside the intensity mask. */
  levels: Int32Array;
  /** Number of grey levels N_g. */
  nLevels: number;
  /** What was used, for the diagnostics. */
  lowerBound: number;
  binWidth: number | null;
}

export class DiscretisationError extends Error {

  override readonly name = 'DiscretisationError';

}

function roiRange(image: ArrayLike<number>, mask: Uint8Array, rows: Int32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (!mask[i]) continue;
      const v = image[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min, max };
}

/** Fixed bin size: levels[i] = ⌊(image[i] − lower) / w⌋ + 1 (at least 1) in the mask; the highest level and the voxel count. */
function fixedBinSize(image: ArrayLike<number>, intensityMask: Uint8Array, rows: Int32Array, levels: Int32Array, lower: number, w: number): { nLevels: number; voxels: number } {
  let nLevels = 0;
  let voxels = 0;
  for (let r = 0; r < rows.length; r += 2) for (let i = rows[r]; i < rows[r + 1]; i++) {
    if (!intensityMask[i]) continue;
    let g = Math.floor((image[i] - lower) / w) + 1;
    if (g < 1) g = 1;
    levels[i] = g;
    if (g > nLevels) nLevels = g;
    voxels++;
  }
  return { nLevels, voxels };
}

/** @param rows where the intensity mask can be non-zero (indexBox.boxRows); default everywhere. */
export function discretise(image: ArrayLike<number>, intensityMask: Uint8Array, settings: DiscretisationSettings, rows: Int32Array = allRows(intensityMask.length)): Discretised {
  const levels = new Int32Array(intensityMask.length);
  if (settings.method === 'fixed_bin_size' && settings.lowerBound !== null) {
    // A given lower bound needs no pass for the ROI's range.
    const fixed = fixedBinSize(image, intensityMask, rows, levels, settings.lowerBound, settings.binWidth);
    if (fixed.voxels > 0) return { levels, nLevels: fixed.nLevels, lowerBound: settings.lowerBound, binWidth: settings.binWidth };
  }
  const { min, max } = roiRange(image, intensityMask, rows);
  if (min === Infinity) return { levels, nLevels: 0, lowerBound: NaN, binWidth: null };
  if (settings.method === 'fixed_bin_number') {
    const nb = settings.binCount;
    const width = max - min;
    for (let r = 0; r < rows.length; r += 2) for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (!intensityMask[i]) continue;
      let g = width > 0 ? Math.floor((nb * (image[i] - min)) / width) + 1 : Math.ceil(nb / 2);
      if (g < 1) g = 1;
      if (g > nb) g = nb; // the maximum itself belongs to the last bin
      levels[i] = g;
    }
    return { levels, nLevels: nb, lowerBound: min, binWidth: width / nb };
  }
  if (settings.method === 'fixed_bin_size') {
    // Without a re-segmentation lower bound, IBSI falls back to the ROI minimum (reported).
    const lower = settings.lowerBound ?? min;
    const w = settings.binWidth;
    return { levels, nLevels: fixedBinSize(image, intensityMask, rows, levels, lower, w).nLevels, lowerBound: lower, binWidth: w };
  }
  // `none`: intensities must already be grey levels 1, 2, ...
  let nLevels = 0;
  for (let r = 0; r < rows.length; r += 2) for (let i = rows[r]; i < rows[r + 1]; i++) {
    if (!intensityMask[i]) continue;
    const v = image[i];
    if (!Number.isInteger(v) || v < 1) {
      throw new DiscretisationError(
        `discretisation "none" needs integer grey levels ≥ 1 inside the ROI, found ${v}; use fixed_bin_size or fixed_bin_number.`,
      );
    }
    levels[i] = v;
    if (v > nLevels) nLevels = v;
  }
  return { levels, nLevels, lowerBound: 1, binWidth: 1 };
}
