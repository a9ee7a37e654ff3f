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
  // 26-connected (3D): the 26 neighbour tests written out without branches, into the bits of one
  // word; then only the neighbours that join are visited. Twice as fast in V8 as the loop with a
  // branch per neighbour, which mispredicts on noisy levels, and faster than pushing every
  // neighbour and keeping those that join (26 stores and 26 read-modify-writes per voxel).
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
        // Bit b: neighbour u + offsets[b] is open with this level. Each voxel joins once, so about
        // one bit per voxel is set: the loop over the set bits runs about once.
        const same =
          ((((open[u + o0] ^ g) - 1) >>> 31) << 0) |
          ((((open[u + o1] ^ g) - 1) >>> 31) << 1) |
          ((((open[u + o2] ^ g) - 1) >>> 31) << 2) |
          ((((open[u + o3] ^ g) - 1) >>> 31) << 3) |
          ((((open[u + o4] ^ g) - 1) >>> 31) << 4) |
          ((((open[u + o5] ^ g) - 1) >>> 31) << 5) |
          ((((open[u + o6] ^ g) - 1) >>> 31) << 6) |
          ((((open[u + o7] ^ g) - 1) >>> 31) << 7) |
          ((((open[u + o8] ^ g) - 1) >>> 31) << 8) |
          ((((open[u + o9] ^ g) - 1) >>> 31) << 9) |
          ((((open[u + o10] ^ g) - 1) >>> 31) << 10) |
          ((((open[u + o11] ^ g) - 1) >>> 31) << 11) |
          ((((open[u + o12] ^ g) - 1) >>> 31) << 12) |
          ((((open[u + o13] ^ g) - 1) >>> 31) << 13) |
          ((((open[u + o14] ^ g) - 1) >>> 31) << 14) |
          ((((open[u + o15] ^ g) - 1) >>> 31) << 15) |
          ((((open[u + o16] ^ g) - 1) >>> 31) << 16) |
          ((((open[u + o17] ^ g) - 1) >>> 31) << 17) |
          ((((open[u + o18] ^ g) - 1) >>> 31) << 18) |
          ((((open[u + o19] ^ g) - 1) >>> 31) << 19) |
          ((((open[u + o20] ^ g) - 1) >>> 31) << 20) |
          ((((open[u + o21] ^ g) - 1) >>> 31) << 21) |
          ((((open[u + o22] ^ g) - 1) >>> 31) << 22) |
          ((((open[u + o23] ^ g) - 1) >>> 31) << 23) |
          ((((open[u + o24] ^ g) - 1) >>> 31) << 24) |
          ((((open[u + o25] ^ g) - 1) >>> 31) << 25);
        for (let bits = same; bits !== 0; bits &= bits - 1) {
          const w = u + offsets[31 - Math.clz32(bits & -bits)];
          open[w] = 0;
          stack[top++] = w;
        }
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
