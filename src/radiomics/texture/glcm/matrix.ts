/**
 * Grey level co-occurrence matrix (IBSI 3.6): Ng × Ng counts of grey level pairs of voxels one
 * step apart, counted in both senses of the direction so the matrix is symmetric
 * (M_m = M_m+ + M_m+ᵀ). Merging matrices is element-wise addition.
 */
import { PaddedGrid } from '../grid';

export interface Glcm {
  nLevels: number;
  /** Row-major Ng × Ng counts; element (i-1, j-1) for grey levels i, j. */
  counts: Float64Array;
}

export function emptyGlcm(nLevels: number): Glcm {
  return { nLevels, counts: new Float64Array(nLevels * nLevels) };
}

export function clearGlcm(m: Glcm): void {
  m.counts.fill(0);
}

export function addGlcm(into: Glcm, from: Glcm): void {
  const a = into.counts;
  const b = from.counts;
  for (let k = 0; k < a.length; k++) a[k] += b[k];
}

/**
 * Adds the co-occurrences of the voxels grid.roi[from .. to) with their neighbour at index
 * offset `step` (a scaled direction vector); pairs with a voxel outside the ROI do not count.
 * Pairs are counted one way, then added in both senses (M+ + M+ᵀ) once.
 */
export function accumulateGlcm(m: Glcm, grid: PaddedGrid, step: number, from: number, to: number): void {
  const { levels, roi } = grid;
  const ng = m.nLevels;
  // Column 0 takes the pairs whose neighbour is outside the ROI (level 0): counting them there
  // and dropping the column is cheaper than a data-dependent branch per voxel.
  const width = ng + 1;
  const oneWay = new Float64Array(ng * width);
  for (let k = from; k < to; k++) {
    const v = roi[k];
    oneWay[(levels[v] - 1) * width + levels[v + step]] += 1;
  }
  const counts = m.counts;
  for (let i = 0; i < ng; i++) {
    for (let j = 0; j < ng; j++) counts[i * ng + j] += oneWay[i * width + j + 1] + oneWay[j * width + i + 1];
  }
}

export function glcmTotal(m: Glcm): number {
  let s = 0;
  for (let k = 0; k < m.counts.length; k++) s += m.counts[k];
  return s;
}
