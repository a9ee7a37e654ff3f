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

/** Adds the runs along index offset `step` that start in grid.roi[from .. to); N_v grows by their voxels. */
export function accumulateGlrlm(m: LevelTable, grid: PaddedGrid, step: number, from: number, to: number): void {
  const { levels, roi } = grid;
  const nCols = m.colValues.length;
  const counts = m.counts;
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const g = levels[v];
    if (levels[v - step] === g) continue; // not the first voxel of its run
    let length = 1;
    for (let w = v + step; levels[w] === g; w += step) length++;
    counts[(g - 1) * nCols + length - 1] += 1;
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
