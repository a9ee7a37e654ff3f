/**
 * Neighbouring grey level dependence matrix (IBSI 3.11): for each voxel k of the intensity mask,
 * its dependence j_k = 1 + the number of neighbours inside the ROI whose grey level differs from
 * k's by at most the coarseness α; counted by (grey level, j_k). N_v = N_s.
 */
import { Step } from '../directions';
import { offsetOf, PaddedGrid } from '../grid';
import { denseTable, LevelTable } from '../levelTable';

/** An empty dependence table for a neighbourhood of the given size (j runs 1 .. size + 1). */
export function emptyNgldm(nLevels: number, neighbourhoodSize: number): LevelTable {
  return denseTable(nLevels, neighbourhoodSize + 1);
}

/** Adds the voxels grid.roi[from .. to). */
export function accumulateNgldm(m: LevelTable, grid: PaddedGrid, neighbourhood: readonly Step[], coarseness: number, from: number, to: number): void {
  const { levels, roi } = grid;
  const offsets = Int32Array.from(neighbourhood.map(([x, y, z]) => offsetOf(grid, x, y, z)));
  const nCols = m.colValues.length;
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const g = levels[v];
    let j = 1;
    if (coarseness === 0) {
      // The usual α = 0: dependent means equal (g > 0, so outside voxels never match).
      for (let o = 0; o < offsets.length; o++) if (levels[v + offsets[o]] === g) j++;
    } else {
      for (let o = 0; o < offsets.length; o++) {
        const h = levels[v + offsets[o]];
        if (h > 0 && Math.abs(h - g) <= coarseness) j++;
      }
    }
    m.counts[(g - 1) * nCols + j - 1] += 1;
  }
  m.nVoxels += to - from;
}
