/**
 * Grey level run length matrix (IBSI 3.7): for one direction, the number of runs (maximal
 * sequences of equal grey level along the direction, inside the ROI) of grey level i and
 * length j. Each run is found once, from its first voxel; voxels outside the ROI end runs.
 */
import { PaddedGrid } from '../grid';
import { denseTable, LevelTable } from '../levelTable';

/** An empty run length table wide enough for any run in the padded box. */
export function emptyGlrlm(grid: PaddedGrid): LevelTable {
  return denseTable(grid.nLevels, Math.max(grid.nx, grid.ny, grid.nz));
}

/**
 * Adds the runs along index offset `step` of the voxels grid.roi[from .. to); N_v grows by their
 * voxels. The range must hold whole runs (the whole ROI, or whole slices for an in-slice step),
 * as every caller's does.
 *
 * Runs along −step are the same runs, so the pass always goes along the positive offset s, in
 * ascending index order: a voxel's run length is its predecessor's (v − s) plus one when that
 * has the same level, and a run is counted at its last voxel (v + s of another level). Without
 * data-dependent branches (run lengths are short, so a branch per voxel mostly mispredicts):
 * the tests are bit tricks on levels (0 ≤ level < 2^31), and a voxel that ends no run adds 0.
 * Lengths live in a ring buffer longer than s, indexed by v modulo its length, which still
 * holds v − s when v is reached (every later write is to an index above v − s and below it + length).
 */
export function accumulateGlrlm(m: LevelTable, grid: PaddedGrid, step: number, from: number, to: number): void {
  const { levels, roi } = grid;
  const nCols = m.colValues.length;
  const counts = m.counts;
  const s = Math.abs(step);
  let size = 1;
  while (size <= s) size *= 2;
  const mask = size - 1;
  const length = new Int32Array(size);
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const g = levels[v];
    const continues = ((levels[v - s] ^ g) - 1) >>> 31; // 1: the predecessor has the same level
    const run = continues * length[(v - s) & mask] + 1;
    length[v & mask] = run;
    const ends = 1 - (((levels[v + s] ^ g) - 1) >>> 31); // 1: the successor has another level
    counts[(g - 1) * nCols + run - 1] += ends;
  }
  m.nVoxels += to - from;
}

export function clearTable(m: LevelTable): void {
  m.counts.fill(0);
  m.nVoxels = 0;
}

/** Element-wise sum into `into` (both tables have the same columns). */
export function addTable(into: LevelTable, from: LevelTable): void {
  const a = into.counts;
  const b = from.counts;
  for (let k = 0; k < a.length; k++) a[k] += b[k];
  into.nVoxels += from.nVoxels;
}
