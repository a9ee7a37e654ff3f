/**
 * Boxes of voxel indices on a grid (x fastest, as in volume.ts): the bounding box of a mask and
 * copies of the part of a mask inside a box. Every stage that works on "the region and a
 * margin" (interpolation, ring, mesh, texture) crops with these.
 */
import { Vec3 } from './volume';

/** Inclusive voxel index box [lo, hi] per axis. */
export interface IndexBox {
  lo: Vec3;
  hi: Vec3;
}

export function boxDims(box: IndexBox): Vec3 {
  return [box.hi[0] - box.lo[0] + 1, box.hi[1] - box.lo[1] + 1, box.hi[2] - box.lo[2] + 1];
}

/** `box` grown by `margin[d]` voxels along each axis d and clipped to a grid of `dims`. */
export function grownBox(box: IndexBox, margin: readonly number[], dims: Vec3): IndexBox {
  return {
    lo: [0, 1, 2].map((d) => Math.max(0, box.lo[d] - margin[d])) as Vec3,
    hi: [0, 1, 2].map((d) => Math.min(dims[d] - 1, box.hi[d] + margin[d])) as Vec3,
  };
}

/** Whether bytes[from .. to) holds a non-zero value, four bytes (one word of `words`, the same memory) at a time. */
function anyNonZeroBytes(bytes: Uint8Array, words: Uint32Array, from: number, to: number): boolean {
  let i = from;
  for (; i < to && (i & 3) !== 0; i++) if (bytes[i] !== 0) return true;
  const lastWord = (to >> 2) - 1;
  for (let w = i >> 2; w <= lastWord; w++) if (words[w] !== 0) return true;
  for (i = Math.max(i, (lastWord + 1) << 2); i < to; i++) if (bytes[i] !== 0) return true;
  return false;
}

function anyNonZeroValues(data: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (data[i] !== 0) return true;
  return false;
}

/**
 * Whether data[from .. to) holds a non-zero value; for byte masks (`words` given: a word view
 * of them), four bytes at a time. Plain functions rather than a closure made per call, which V8
 * compiled again on every call.
 */
function anyIn(data: ArrayLike<number>, words: Uint32Array | null, from: number, to: number): boolean {
  return words !== null ? anyNonZeroBytes(data as Uint8Array, words, from, to) : anyNonZeroValues(data, from, to);
}

/** A word view of a byte mask when it is aligned for one (four bytes at a time), else null. */
function wordsOf(data: ArrayLike<number>): Uint32Array | null {
  return data instanceof Uint8Array && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
}

/** Whether any value is non-zero (byte masks four bytes at a time). */
export function anyNonZero(data: ArrayLike<number>): boolean {
  return anyIn(data, wordsOf(data), 0, data.length);
}

/**
 * Bounding box of the non-zero voxels, or null when there are none. Empty slices and rows are
 * skipped whole (a word at a time for byte masks), so a small region in a large grid costs
 * little more than reading the grid once.
 */
export function nonZeroBox(data: ArrayLike<number>, dims: Vec3): IndexBox | null {
  const [nx, ny, nz] = dims;
  const words = wordsOf(data);
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  for (let z = 0; z < nz; z++) {
    const slab = nx * ny * z;
    if (!anyIn(data, words, slab, slab + nx * ny)) continue;
    if (lo[2] > z) lo[2] = z;
    hi[2] = z;
    for (let y = 0; y < ny; y++) {
      const row = slab + nx * y;
      if (!anyIn(data, words, row, row + nx)) continue;
      if (lo[1] > y) lo[1] = y;
      if (hi[1] < y) hi[1] = y;
      let x = 0;
      while (data[row + x] === 0) x++;
      if (lo[0] > x) lo[0] = x;
      x = nx - 1;
      while (data[row + x] === 0) x--;
      if (hi[0] < x) hi[0] = x;
    }
  }
  return hi[0] < 0 ? null : { lo, hi };
}

/**
 * The part of `mask` inside `box` (which must lie within the grid), with `pad` empty voxels
 * added on every side.
 */
export function cropMask(mask: Uint8Array, dims: Vec3, box: IndexBox, pad = 0): { data: Uint8Array; dims: Vec3 } {
  const [bx, by, bz] = boxDims(box);
  const out: Vec3 = [bx + 2 * pad, by + 2 * pad, bz + 2 * pad];
  const data = new Uint8Array(out[0] * out[1] * out[2]);
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const src = box.lo[0] + dims[0] * (box.lo[1] + y + dims[1] * (box.lo[2] + z));
      data.set(mask.subarray(src, src + bx), pad + out[0] * (y + pad + out[1] * (z + pad)));
    }
  return { data, dims: out };
}

/**
 * Start and end (exclusive) indices of the x-rows of `box` on a grid of `dims`, in raster order:
 * [start₀, end₀, start₁, end₁, …]. A loop over these visits the box's voxels in ascending index
 * order, as a loop over the whole grid would, without the voxels around it.
 */
export function boxRows(box: IndexBox, dims: Vec3): Int32Array {
  const [bx, by, bz] = boxDims(box);
  const rows = new Int32Array(2 * by * bz);
  for (let z = 0, r = 0; z < bz; z++)
    for (let y = 0; y < by; y++, r += 2) {
      rows[r] = box.lo[0] + dims[0] * (box.lo[1] + y + dims[1] * (box.lo[2] + z));
      rows[r + 1] = rows[r] + bx;
    }
  return rows;
}

/** The rows of a whole array of `n` voxels: one row. */
export function allRows(n: number): Int32Array {
  return Int32Array.of(0, n);
}
