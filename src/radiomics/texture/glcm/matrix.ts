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

/**
 * The matrices of the 13 3-D directions at once (ms[d] gets the pairs along steps[d]), in one
 * pass over the voxels: each voxel's level is read once and successive increments go to
 * different directions' blocks. The body is accumulateGlcm's, written out per direction (V8 runs
 * a loop over the directions no faster than 13 passes). Counts are small integers, so the
 * matrices equal those of accumulateGlcm per step. Other numbers of steps go one at a time.
 */
export function accumulateGlcmSteps(ms: readonly Glcm[], grid: PaddedGrid, steps: Int32Array, from: number, to: number): void {
  if (steps.length !== 13) {
    steps.forEach((step, d) => accumulateGlcm(ms[d], grid, step, from, to));
    return;
  }
  const { levels, roi } = grid;
  const ng = ms[0].nLevels;
  const width = ng + 1;
  const size = ng * width;
  // As in accumulateGlcm, column 0 of each direction's block takes pairs with a voxel outside the ROI.
  const oneWay = new Float64Array(13 * size);
  const [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12] = steps;
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const b = (levels[v] - 1) * width;
    oneWay[b + levels[v + s0]] += 1;
    oneWay[b + size + levels[v + s1]] += 1;
    oneWay[b + 2 * size + levels[v + s2]] += 1;
    oneWay[b + 3 * size + levels[v + s3]] += 1;
    oneWay[b + 4 * size + levels[v + s4]] += 1;
    oneWay[b + 5 * size + levels[v + s5]] += 1;
    oneWay[b + 6 * size + levels[v + s6]] += 1;
    oneWay[b + 7 * size + levels[v + s7]] += 1;
    oneWay[b + 8 * size + levels[v + s8]] += 1;
    oneWay[b + 9 * size + levels[v + s9]] += 1;
    oneWay[b + 10 * size + levels[v + s10]] += 1;
    oneWay[b + 11 * size + levels[v + s11]] += 1;
    oneWay[b + 12 * size + levels[v + s12]] += 1;
  }
  for (let d = 0; d < 13; d++) {
    const counts = ms[d].counts;
    const o = d * size;
    for (let i = 0; i < ng; i++) {
      for (let j = 0; j < ng; j++) counts[i * ng + j] += oneWay[o + i * width + j + 1] + oneWay[o + j * width + i + 1];
    }
  }
}
