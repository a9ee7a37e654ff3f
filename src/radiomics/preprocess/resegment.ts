/**
 * Re-segmentation (IBSI IF9H): the intensity mask keeps the voxels of the morphological mask
 * whose intensity lies in the allowed range. Range (USB3) and outlier filtering (7ACA,
 * mean ± k·SD of the ROI before re-segmentation) combine as the intersection of their ranges.
 */
import { allRows } from '../indexBox';

export interface ResegmentationRange {
  /** null = unbounded. */
  lower: number | null;
  upper: number | null;
}

export interface ResegmentationResult {
  intensityMask: Uint8Array;
  /** The combined range that was applied (null side = unbounded). */
  applied: ResegmentationRange;
  voxels: number;
}

/** Mean and population SD of the intensities inside `mask` (non-zero only within `rows`, see indexBox.boxRows). */
export function maskedMeanSd(image: ArrayLike<number>, mask: Uint8Array, rows: Int32Array = allRows(mask.length)): { mean: number; sd: number; n: number } {
  let n = 0;
  let sum = 0;
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (mask[i]) {
        n++;
        sum += image[i];
      }
    }
  }
  const mean = sum / n;
  let ss = 0;
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (mask[i]) {
        const d = image[i] - mean;
        ss += d * d;
      }
    }
  }
  return { mean, sd: Math.sqrt(ss / n), n };
}

/** @param rows where the morphological mask can be non-zero (indexBox.boxRows); default everywhere. */
export function resegment(
  image: ArrayLike<number>,
  morphologicalMask: Uint8Array,
  range: ResegmentationRange | null,
  outlierSigma: number | null,
  rows: Int32Array = allRows(morphologicalMask.length),
): ResegmentationResult {
  let lower = range?.lower ?? -Infinity;
  let upper = range?.upper ?? Infinity;
  if (outlierSigma !== null) {
    const { mean, sd, n } = maskedMeanSd(image, morphologicalMask, rows);
    if (n > 0) {
      lower = Math.max(lower, mean - outlierSigma * sd);
      upper = Math.min(upper, mean + outlierSigma * sd);
    }
  }
  const intensityMask = new Uint8Array(morphologicalMask.length);
  let voxels = 0;
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (!morphologicalMask[i]) continue;
      const v = image[i];
      if (v >= lower && v <= upper) {
        intensityMask[i] = 1;
        voxels++;
      }
    }
  }
  return {
    intensityMask,
    applied: { lower: Number.isFinite(lower) ? lower : null, upper: Number.isFinite(upper) ? upper : null },
    voxels,
  };
}
