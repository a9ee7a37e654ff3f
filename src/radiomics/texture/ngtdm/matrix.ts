/**
 * Neighbourhood grey tone difference matrix (IBSI 3.10): for each grey level i, s_i = Σ |i − X̄_k|
 * over voxels k of level i, X̄_k the mean grey level of k's neighbours inside the ROI (centre
 * excluded), and n_i the number of such voxels; voxels without any neighbour in the ROI are left
 * out (IBSI's "valid neighbourhood"). Merging adds s and n.
 */
import { PaddedGrid } from '../grid';
import { NeighbourhoodStats } from '../neighbourhood';

export interface Ngtdm {
  nLevels: number;
  /** s_i at index i-1. */
  s: Float64Array;
  /** n_i at index i-1. */
  n: Float64Array;
}

export function emptyNgtdm(nLevels: number): Ngtdm {
  return { nLevels, s: new Float64Array(nLevels), n: new Float64Array(nLevels) };
}

export function addNgtdm(into: Ngtdm, from: Ngtdm): void {
  for (let i = 0; i < into.nLevels; i++) {
    into.s[i] += from.s[i];
    into.n[i] += from.n[i];
  }
}

/** Adds the voxels grid.roi[from .. to), whose neighbourhoods `stats` describes. */
export function accumulateNgtdm(m: Ngtdm, grid: PaddedGrid, stats: NeighbourhoodStats, from: number, to: number): void {
  const { levels, roi } = grid;
  const { inRoi, levelSum } = stats;
  for (let k = from; k < to; k++) {
    const w = inRoi[k];
    if (w === 0) continue;
    const g = levels[roi[k]];
    m.s[g - 1] += Math.abs(g - levelSum[k] / w);
    m.n[g - 1] += 1;
  }
}

export function ngtdmVoxelCount(m: Ngtdm): number {
  let n = 0;
  for (let i = 0; i < m.nLevels; i++) n += m.n[i];
  return n;
}
