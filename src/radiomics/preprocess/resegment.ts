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
  /** Voxels of the morphological mask (before re-segmentation). */
  morphological: number;
  /** Voxels of the morphological mask below `countBelow` (0 without it). */
  below: number;
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

/**
 * @param rows where the morphological mask can be non-zero (indexBox.boxRows); default everywhere.
 * @param countBelow also count the morphological mask's voxels below this intensity (e.g. air
 *   in the ring), in the same pass.
 */
export function resegment(
  image: ArrayLike<number>,
  morphologicalMask: Uint8Array,
  range: ResegmentationRange | null,
  outlierSigma: number | null,
  rows: Int32Array = allRows(morphologicalMask.length),
  countBelow = -Infinity,
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
  const counts = rangeMask(image, morphologicalMask, rows, lower, upper, countBelow, intensityMask);
  return {
    intensityMask,
    applied: { lower: Number.isFinite(lower) ? lower : null, upper: Number.isFinite(upper) ? upper : null },
    voxels: counts[0],
    morphological: counts[1],
    below: counts[2],
  };
}

/**
 * Sets `out` to 1 on the voxels of `mask` (within `rows`) whose intensity lies in [lower, upper];
 * returns how many, the voxels of the mask, and those below `below`. One pass, in a function of
 * its own (V8 compiles such loops better alone).
 */
function rangeMask(image: ArrayLike<number>, mask: Uint8Array, rows: Int32Array, lower: number, upper: number, below: number, out: Uint8Array): [number, number, number] {
  let kept = 0;
  let inMask = 0;
  let under = 0;
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      if (!mask[i]) continue;
      const v = image[i];
      inMask++;
      if (v < below) under++;
      if (v >= lower && v <= upper) {
        out[i] = 1;
        kept++;
      }
    }
  }
  return [kept, inMask, under];
}
