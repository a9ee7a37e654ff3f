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
  const oneWay = new Float64Array(ng * ng);
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const h = levels[v + step];
    if (h === 0) continue;
    oneWay[(levels[v] - 1) * ng + (h - 1)] += 1;
  }
  const counts = m.counts;
  for (let i = 0; i < ng; i++) {
    for (let j = 0; j < ng; j++) counts[i * ng + j] += oneWay[i * ng + j] + oneWay[j * ng + i];
  }
}

export function glcmTotal(m: Glcm): number {
  let s = 0;
  for (let k = 0; k < m.counts.length; k++) s += m.counts[k];
  return s;
}
