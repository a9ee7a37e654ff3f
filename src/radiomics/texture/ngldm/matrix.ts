/**
 * Neighbouring grey level dependence matrix (IBSI 3.11): for each voxel k of the intensity mask,
 * its dependence j_k = 1 + the number of neighbours inside the ROI whose grey level differs from
 * k's by at most the coarseness α; counted by (grey level, j_k). N_v = N_s.
 */
import { PaddedGrid } from '../grid';
import { NeighbourhoodStats } from '../neighbourhood';
import { denseTable, LevelTable } from '../levelTable';

/** An empty dependence table for a neighbourhood of the given size (j runs 1 .. size + 1). */
export function emptyNgldm(nLevels: number, neighbourhoodSize: number): LevelTable {
  return denseTable(nLevels, neighbourhoodSize + 1);
}

/** Adds the voxels grid.roi[from .. to), whose neighbourhoods `stats` describes (with the coarseness α wanted). */
export function accumulateNgldm(m: LevelTable, grid: PaddedGrid, stats: NeighbourhoodStats, from: number, to: number): void {
  const { levels, roi } = grid;
  const { similar } = stats;
  const nCols = m.colValues.length;
  for (let k = from; k < to; k++) {
    const g = levels[roi[k]];
    m.counts[(g - 1) * nCols + similar[k]] += 1;
  }
  m.nVoxels += to - from;
}
