/**
 * What the NGTDM and the NGLDM (IBSI 3.10, 3.11) need of each voxel's neighbourhood, gathered in
 * one pass over the neighbours: how many lie inside the ROI, the sum of their grey levels, and
 * how many have a grey level within the coarseness α of the voxel's own. Both families read it,
 * so a region visits each neighbourhood once.
 */
import { Step } from './directions';
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

export function neighbourhoodStats(grid: PaddedGrid, neighbourhood: readonly Step[], coarseness: number): NeighbourhoodStats {
  const { levels, roi } = grid;
  const offsets = Int32Array.from(neighbourhood.map(([x, y, z]) => offsetOf(grid, x, y, z)));
  const nOffsets = offsets.length;
  const n = roi.length;
  const inRoi = new Int32Array(n);
  const levelSum = new Int32Array(n);
  const similar = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const v = roi[k];
    const g = levels[v];
    let w = 0;
    let sum = 0;
    let same = 0;
    if (coarseness === 0) {
      // The usual α = 0: similar means equal (g > 0, so voxels outside the ROI never are).
      for (let o = 0; o < nOffsets; o++) {
        const h = levels[v + offsets[o]];
        if (h > 0) {
          w++;
          sum += h;
          if (h === g) same++;
        }
      }
    } else {
      for (let o = 0; o < nOffsets; o++) {
        const h = levels[v + offsets[o]];
        if (h > 0) {
          w++;
          sum += h;
          if (Math.abs(h - g) <= coarseness) same++;
        }
      }
    }
    inRoi[k] = w;
    levelSum[k] = sum;
    similar[k] = same;
  }
  return { inRoi, levelSum, similar };
}
