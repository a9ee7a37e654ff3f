/**
 * What the NGTDM and the NGLDM (IBSI 3.10, 3.11) need of each voxel's neighbourhood, gathered in
 * one pass over the neighbours: how many lie inside the ROI, the sum of their grey levels, and
 * how many have a grey level within the coarseness α of the voxel's own. Both families read it,
 * so a region visits each neighbourhood once.
 */
import { offsetOf, PaddedGrid } from './grid';

/** Per intensity-mask voxel, in grid.roi order. */
export interface NeighbourhoodStats {
  /** Neighbours inside the ROI. */
  inRoi: Int32Array;
  /** Sum of their grey levels. */
  levelSum: Int32Array;
  /** Neighbours inside the ROI whose grey level differs from the voxel's by at most α. */
  similar: Int32Array;
}

/**
 * The stats of every intensity-mask voxel for the Chebyshev neighbourhood of `distance` (in the
 * slice plane for 2 dimensions). The neighbourhood is read row by row (its (dy, dz) rows, each
 * 2·distance + 1 voxels along x, the centre included and taken off afterwards).
 */
export function neighbourhoodStats(grid: PaddedGrid, distance: number, dimensions: 2 | 3, coarseness: number): NeighbourhoodStats {
  const { levels, roi } = grid;
  const dz = dimensions === 3 ? distance : 0;
  const rowOffsets: number[] = [];
  for (let z = -dz; z <= dz; z++) for (let y = -distance; y <= distance; y++) rowOffsets.push(offsetOf(grid, 0, y, z));
  const rows = Int32Array.from(rowOffsets);
  const nRows = rows.length;
  const n = roi.length;
  const inRoi = new Int32Array(n);
  const levelSum = new Int32Array(n);
  const similar = new Int32Array(n);
  if (distance === 1 && coarseness === 0) {
    // The usual case, without data-dependent branches (neighbour in or out, same level or not):
    // for levels 0 ≤ h < 2^31 and g ≥ 1, (−h) >>> 31 is 1 when h > 0, ((h ^ g) − 1) >>> 31 is 1 when h = g.
    for (let k = 0; k < n; k++) {
      const v = roi[k];
      const g = levels[v];
      let w = 0;
      let sum = 0;
      let same = 0;
      for (let r = 0; r < nRows; r++) {
        const centre = v + rows[r];
        const h0 = levels[centre - 1];
        const h1 = levels[centre];
        const h2 = levels[centre + 1];
        w += ((-h0 >>> 31) + (-h1 >>> 31) + (-h2 >>> 31));
        sum += h0 + h1 + h2;
        same += (((h0 ^ g) - 1) >>> 31) + (((h1 ^ g) - 1) >>> 31) + (((h2 ^ g) - 1) >>> 31);
      }
      // The voxel itself was counted (g > 0, and it is similar to itself).
      inRoi[k] = w - 1;
      levelSum[k] = sum - g;
      similar[k] = same - 1;
    }
    return { inRoi, levelSum, similar };
  }
  // Other distances, or a coarseness (rare: one IBSI test setting).
  for (let k = 0; k < n; k++) {
    const v = roi[k];
    const g = levels[v];
    let w = 0;
    let sum = 0;
    let same = 0;
    for (let r = 0; r < nRows; r++) {
      const centre = v + rows[r];
      for (let x = centre - distance; x <= centre + distance; x++) {
        const h = levels[x];
        if (h > 0) {
          w++;
          sum += h;
          if (h === g || (coarseness > 0 && Math.abs(h - g) <= coarseness)) same++;
        }
      }
    }
    // The voxel itself was counted (g > 0, and it is similar to itself).
    inRoi[k] = w - 1;
    levelSum[k] = sum - g;
    similar[k] = same - 1;
  }
  return { inRoi, levelSum, similar };
}
