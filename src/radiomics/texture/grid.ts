/**
 * The ROI cropped to its bounding box and padded with empty voxels, so that every neighbour
 * lookup within the padding distance stays inside the array: no bounds checks in the hot loops,
 * and "outside the image" behaves exactly like "outside the ROI" (as IBSI requires for
 * neighbourhoods, runs and the GLDZM distance to the edge).
 */
import type { DiscretisedRoi } from './index';
import { nonZeroBox } from '../indexBox';

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
  /** Morphological mask, 1 inside. */
  morph: Uint8Array;
  /** Indices (into the padded box) of the intensity-mask voxels, ascending, hence grouped by slice. */
  roi: Int32Array;
  /** roi[sliceStart[z] .. sliceStart[z + 1]) are the voxels of padded slice z. */
  sliceStart: Int32Array;
}

export class TextureInputError extends Error {

  override readonly name = 'TextureInputError';

}

/** Index offset of a step (dx, dy, dz) in the padded box. */
export function offsetOf(grid: Pick<PaddedGrid, 'nx' | 'ny'>, dx: number, dy: number, dz: number): number {
  return dx + grid.nx * (dy + grid.ny * dz);
}

/**
 * Crops and pads the region. The intensity mask must lie inside the morphological mask (as
 * re-segmentation guarantees); the box is found from the morphological mask alone, which is fast
 * on a whole image. A region without any morphological mask is taken to be its intensity mask.
 */
export function padRoi(roi: DiscretisedRoi, pad: number): PaddedGrid {
  const [nx0, ny0, nz0] = roi.dims;
  const n0 = nx0 * ny0 * nz0;
  if (roi.levels.length !== n0) throw new TextureInputError(`texture: levels has ${roi.levels.length} voxels but dims ${roi.dims.join('×')} need ${n0}.`);
  if (roi.morphMask.length !== n0) throw new TextureInputError(`texture: morphMask has ${roi.morphMask.length} voxels but dims ${roi.dims.join('×')} need ${n0}.`);
  // nLevels 0 is an empty intensity mask (every level 0): the features come back undefined, with that reason.
  if (!Number.isInteger(roi.nLevels) || roi.nLevels < 0) throw new TextureInputError(`texture: nLevels must be a non-negative integer, got ${roi.nLevels}.`);
  const src = roi.levels;
  const srcMorph = roi.morphMask;
  let box = roi.morphBox !== undefined ? roi.morphBox : nonZeroBox(srcMorph, roi.dims);
  const morphGiven = box !== null;
  if (!box) box = nonZeroBox(src, roi.dims);
  // Nothing in either mask: an empty box keeps every later loop trivially empty.
  const [x0, y0, z0] = box?.lo ?? [0, 0, 0];
  const [x1, y1, z1] = box?.hi ?? [-1, -1, -1];

  const ng = roi.nLevels;
  const nx = x1 - x0 + 1 + 2 * pad;
  const ny = y1 - y0 + 1 + 2 * pad;
  const nz = z1 - z0 + 1 + 2 * pad;
  const levels = new Int32Array(nx * ny * nz);
  const morph = new Uint8Array(nx * ny * nz);
  // The box is visited in ascending padded index, so the voxel list and the slice starts are
  // built in the same pass (padded slices before the box start at 0, those after it at the count).
  const list = new Int32Array(Math.max(0, (x1 - x0 + 1) * (y1 - y0 + 1) * (z1 - z0 + 1)));
  const sliceStart = new Int32Array(nz + 1);
  let count = 0;
  for (let z = z0; z <= z1; z++) {
    sliceStart[z - z0 + pad] = count;
    for (let y = y0; y <= y1; y++) {
      const from = nx0 * (y + ny0 * z);
      const to = pad - x0 + nx * (y - y0 + pad + ny * (z - z0 + pad));
      for (let x = x0; x <= x1; x++) {
        const g = src[from + x];
        const inMorph = morphGiven ? srcMorph[from + x] !== 0 : g !== 0;
        if (g !== 0) {
          if (g < 0 || g > ng) {
            throw new TextureInputError(`texture: voxel (${x}, ${y}, ${z}) has grey level ${g}; levels must be 1..nLevels (${ng}) inside the mask and 0 outside.`);
          }
          if (!inMorph) {
            throw new TextureInputError(`texture: voxel (${x}, ${y}, ${z}) is in the intensity mask (level ${g}) but not in the morphological mask; the intensity mask must lie within it.`);
          }
          list[count++] = to + x;
        }
        levels[to + x] = g;
        morph[to + x] = inMorph ? 1 : 0;
      }
    }
  }
  for (let z = z1 - z0 + 1 + pad; z <= nz; z++) sliceStart[z] = count;
  return { nx, ny, nz, pad, nLevels: ng, levels, morph, roi: list.subarray(0, count), sliceStart };
}

/** Padded slice indices that hold at least one intensity-mask voxel. */
export function occupiedSlices(grid: PaddedGrid): number[] {
  const out: number[] = [];
  for (let z = 0; z < grid.nz; z++) if (grid.sliceStart[z + 1] > grid.sliceStart[z]) out.push(z);
  return out;
}
