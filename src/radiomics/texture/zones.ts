/**
 * Zones shared by GLSZM and GLDZM (IBSI 3.8, 3.9): groups of linked voxels of the intensity mask
 * with the same grey level, linked 26-connected in 3D and 8-connected within a slice in 2D.
 * Each zone keeps its grey level, size, padded slice index and, when a distance map is given,
 * its distance to the ROI edge (the minimum of the map over its voxels).
 */
import { Step } from './directions';
import { offsetOf, PaddedGrid } from './grid';

export interface Zones {
  count: number;
  level: Int32Array;
  size: Int32Array;
  /** Padded slice index of the zone's first voxel (the zone's slice for in-slice zones). */
  slice: Int32Array;
  /** Minimum border distance over the zone's voxels (0 without a distance map). */
  distance: Int32Array;
}

/** Labels the zones of the intensity mask by flood fill. */
export function findZones(grid: PaddedGrid, linkage: readonly Step[], distanceMap: Int32Array | null): Zones {
  const { roi } = grid;
  const offsets = Int32Array.from(linkage.map(([x, y, z]) => offsetOf(grid, x, y, z)));
  const nOffsets = offsets.length;
  const [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10, o11, o12, o13, o14, o15, o16, o17, o18, o19, o20, o21, o22, o23, o24, o25] = offsets;
  // 26-connected (3D): the neighbour tests written out and without branches (a voxel is pushed
  // always and kept when `same`; its `open` entry is cleared by XOR): twice as fast in V8 as the
  // loop with a branch per neighbour, which mispredicts on noisy levels.
  // A voxel leaves `open` (set to 0) when it joins a zone: one read tells "same level, not yet taken".
  // Bytes when the levels fit (the usual case): a quarter of the memory the 26 neighbour reads touch.
  const open = grid.nLevels < 256 ? Uint8Array.from(grid.levels) : grid.levels.slice();
  const stack = new Int32Array(roi.length + 27);
  const n = roi.length;
  const level = new Int32Array(n);
  const size = new Int32Array(n);
  const slice = new Int32Array(n);
  const distance = new Int32Array(n);
  const sliceSize = grid.nx * grid.ny;
  let count = 0;
  for (let k = 0; k < n; k++) {
    const seed = roi[k];
    const g = open[seed];
    if (g === 0) continue;
    open[seed] = 0;
    let top = 0;
    stack[top++] = seed;
    let voxels = 0;
    let nearest = 0x7fffffff;
    if (nOffsets === 26) {
      while (top > 0) {
        const u = stack[--top];
        voxels++;
        if (distanceMap !== null && distanceMap[u] < nearest) nearest = distanceMap[u];
        let w = 0;
        let same = 0;
        w = u + o0;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o1;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o2;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o3;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o4;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o5;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o6;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o7;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o8;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o9;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o10;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o11;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o12;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o13;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o14;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o15;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o16;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o17;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o18;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o19;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o20;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o21;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o22;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o23;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o24;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
        w = u + o25;
        same = ((open[w] ^ g) - 1) >>> 31;
        stack[top] = w;
        top += same;
        open[w] ^= same * g;
      }
    } else
    while (top > 0) {
      const u = stack[--top];
      voxels++;
      if (distanceMap !== null && distanceMap[u] < nearest) nearest = distanceMap[u];
      for (let o = 0; o < nOffsets; o++) {
        const w = u + offsets[o];
        if (open[w] === g) {
          open[w] = 0;
          stack[top++] = w;
        }
      }
    }
    level[count] = g;
    size[count] = voxels;
    slice[count] = Math.floor(seed / sliceSize);
    distance[count] = distanceMap !== null ? nearest : 0;
    count++;
  }
  return { count, level, size, slice, distance };
}
