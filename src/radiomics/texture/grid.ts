/**
 * The ROI cropped to its bounding box and padded with empty voxels, so that every neighbour
 * lookup within the padding distance stays inside the array: no bounds checks in the hot loops,
 * and "outside the image" behaves exactly like "outside the ROI" (as IBSI requires for
 * neighbourhoods, runs and the GLDZM distance to the edge).
 */
import type { DiscretisedRoi } from './index';

export interface PaddedGrid {
  /** Padded box size along x, y, z. */
  nx: number;
  ny: number;
  nz: number;
  /** Empty voxels added on every side. */
  pad: number;
  nLevels: number;
  /** Grey level 1..nLevels inside the intensity mask, 0 elsewhere (padded box layout, x fastest). */
  levels: Int32Array;
  /** Morphological mask (united with the intensity mask), 1 inside. */
  morph: Uint8Array;
  /** Indices (into the padded box) of the intensity-mask voxels, ascending, hence grouped by slice. */
  roi: Int32Array;
  /** roi[sliceStart[z] .. sliceStart[z + 1]) are the voxels of padded slice z. */
  sliceStart: Int32Array;
}

export class TextureInputError extends Error {}

/** Index offset of a step (dx, dy, dz) in the padded box. */
export function offsetOf(grid: Pick<PaddedGrid, 'nx' | 'ny'>, dx: number, dy: number, dz: number): number {
  return dx + grid.nx * (dy + grid.ny * dz);
}

export function padRoi(roi: DiscretisedRoi, pad: number): PaddedGrid {
  const [nx0, ny0, nz0] = roi.dims;
  const n0 = nx0 * ny0 * nz0;
  if (roi.levels.length !== n0) throw new TextureInputError(`texture: levels has ${roi.levels.length} voxels but dims ${roi.dims.join('×')} need ${n0}.`);
  if (roi.morphMask.length !== n0) throw new TextureInputError(`texture: morphMask has ${roi.morphMask.length} voxels but dims ${roi.dims.join('×')} need ${n0}.`);
  if (!Number.isInteger(roi.nLevels) || roi.nLevels < 1) throw new TextureInputError(`texture: nLevels must be a positive integer, got ${roi.nLevels}.`);

  // Bounding box of intensity mask ∪ morphological mask.
  const src = roi.levels;
  const srcMorph = roi.morphMask;
  const ng = roi.nLevels;
  let x0 = nx0, y0 = ny0, z0 = nz0, x1 = -1, y1 = -1, z1 = -1;
  for (let z = 0; z < nz0; z++) {
    for (let y = 0; y < ny0; y++) {
      const row = nx0 * (y + ny0 * z);
      let first = -1;
      let last = -1;
      for (let x = 0; x < nx0; x++) {
        const g = src[row + x];
        if (g === 0 && srcMorph[row + x] === 0) continue;
        if (g < 0 || g > ng) {
          throw new TextureInputError(`texture: voxel (${x}, ${y}, ${z}) has grey level ${g}; levels must be 1..nLevels (${ng}) inside the mask and 0 outside.`);
        }
        if (first < 0) first = x;
        last = x;
      }
      if (first < 0) continue;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (z < z0) z0 = z;
      z1 = z;
    }
  }
  if (x1 < 0) {
    // Nothing in either mask: an empty box keeps every later loop trivially empty.
    x0 = y0 = z0 = 0;
    x1 = y1 = z1 = -1;
  }
  const nx = x1 - x0 + 1 + 2 * pad;
  const ny = y1 - y0 + 1 + 2 * pad;
  const nz = z1 - z0 + 1 + 2 * pad;
  const levels = new Int32Array(nx * ny * nz);
  const morph = new Uint8Array(nx * ny * nz);
  let count = 0;
  for (let z = z0; z <= z1; z++) {
    for (let y = y0; y <= y1; y++) {
      const from = nx0 * (y + ny0 * z);
      const to = pad - x0 + nx * (y - y0 + pad + ny * (z - z0 + pad));
      for (let x = x0; x <= x1; x++) {
        const g = src[from + x];
        levels[to + x] = g;
        if (g > 0) {
          count++;
          morph[to + x] = 1;
        } else if (srcMorph[from + x] !== 0) {
          morph[to + x] = 1;
        }
      }
    }
  }
  const list = new Int32Array(count);
  const sliceStart = new Int32Array(nz + 1);
  const sliceSize = nx * ny;
  for (let z = 0, k = 0; z < nz; z++) {
    sliceStart[z] = k;
    const end = (z + 1) * sliceSize;
    for (let i = z * sliceSize; i < end; i++) if (levels[i] > 0) list[k++] = i;
  }
  sliceStart[nz] = count;
  return { nx, ny, nz, pad, nLevels: roi.nLevels, levels, morph, roi: list, sliceStart };
}

/** Padded slice indices that hold at least one intensity-mask voxel. */
export function occupiedSlices(grid: PaddedGrid): number[] {
  const out: number[] = [];
  for (let z = 0; z < grid.nz; z++) if (grid.sliceStart[z + 1] > grid.sliceStart[z]) out.push(z);
  return out;
}
