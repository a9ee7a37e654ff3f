/**
 * The peritumoral ring: the band between the contour eroded by `innerMm` and dilated by
 * `outerMm`, with a spherical structuring element in physical units (so 3 mm slices and 0.7 mm
 * pixels are handled alike), clipped to the image. "Clipped" tells the caller the ring would
 * have left the image, which invalidates a ring measurement near the edge of the scan.
 */
import { Vec3 } from '../volume';
import { IndexBox, boxDims, cropMask, grownBox, nonZeroBox } from '../indexBox';
import { squaredDistanceToFeature } from './distance';

export interface RingWidth {
  /** Depth of the band inside the contour, mm (0 = ring starts at the contour). */
  innerMm: number;
  /** Width of the band outside the contour, mm. */
  outerMm: number;
}

export interface RingResult {
  ring: Uint8Array;
  voxels: number;
  /** True when the dilation reached beyond the image: the ring was cut by the image border. */
  clipped: boolean;
  /** Which borders cut it, e.g. ["z-", "x+"]. */
  clippedAt: string[];
}

// Squared-distance comparisons get a relative slack: a voxel exactly at r must be inside.
const SLACK = 1e-9;

/** Flags on the voxels of a box of the grid (x fastest). */
interface BoxFlags {
  box: IndexBox;
  flags: Uint8Array;
}

/**
 * Whether the ball test can be done by rows of bits (withinBall) with the transform's very
 * decisions: spacings that are multiples of 1/1024 mm (DICOM's usual 0.9765625, 0.703125, 1.25,
 * 3 … and the resampled 1 mm) make every squared distance an exact double, so the distance
 * transform and the ball agree on every voxel. Other spacings keep the transform.
 */
function exactSpacing(spacing: Vec3, radiusMm: number): boolean {
  return spacing.every((s) => s > 0 && Number.isInteger(s * 1024) && radiusMm / s <= 1024);
}

/**
 * Voxels of a box (dims) within squared distance r2 (mm²) of a voxel where sub[j] ===
 * featureValue, as flags: the ball is a set of (dy, dz) rows, each |dx| ≤ h(dy, dz) long; every
 * row of feature bits is widened by each h once, and a voxel's row is the OR of the widened rows
 * at its (dy, dz) offsets. A box row of 100 voxels is 4 words, so this costs a few word
 * operations per voxel instead of the transform's three passes. The squared distance is formed
 * as the transform forms it ((dz·sz)² + ((dy·sy)² + (dx·sx)²)), exactly for exactSpacing.
 */
function withinBall(sub: Uint8Array, dims: Vec3, spacing: Vec3, featureValue: number, r2: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const nw = (nx + 31) >>> 5;
  const nRows = ny * nz;
  const bits = new Uint32Array(nRows * nw);
  // A word at a time, without a branch per voxel (for bytes 0 ≤ b and f, ((b ^ f) − 1) >>> 31 is 1 when b = f).
  for (let row = 0; row < nRows; row++) {
    const base = row * nx;
    const w0 = row * nw;
    for (let w = 0; w < nw; w++) {
      const x0 = base + 32 * w;
      const n = Math.min(32, nx - 32 * w);
      let word = 0;
      for (let b = 0; b < n; b++) word |= (((sub[x0 + b] ^ featureValue) - 1) >>> 31) << b;
      bits[w0 + w] = word;
    }
  }
  // Half-width h of the ball's row at (dy, dz); −1 where the row is empty.
  const [sx, sy, sz] = spacing;
  const sq = (k: number, s: number) => k * s * (k * s);
  const ry = Math.floor(Math.sqrt(r2) / sy) + 1;
  const rz = Math.floor(Math.sqrt(r2) / sz) + 1;
  const offsets: Array<{ dy: number; dz: number; h: number }> = [];
  for (let dz = -rz; dz <= rz; dz++) {
    for (let dy = -ry; dy <= ry; dy++) {
      let h = -1;
      while (sq(dz, sz) + (sq(dy, sy) + sq(h + 1, sx)) <= r2) h++;
      if (h >= 0) offsets.push({ dy, dz, h });
    }
  }
  const widened = widenRows(bits, nw, nRows, nx, new Set(offsets.map((o) => o.h)));
  // The ball is symmetric in dz: first, per |dz|, each slice's OR of its rows' widened rows at their
  // dy (a disc); then the OR of those discs at their dz. Fewer passes than one per (dy, dz) row.
  const discs = new Map<number, Uint32Array>();
  for (const { dy, dz, h } of offsets) {
    if (dz < 0) continue;
    let disc = discs.get(dz);
    if (!disc) discs.set(dz, (disc = new Uint32Array(nRows * nw)));
    const src = widened.get(h)!;
    const shift = dy * nw;
    for (let z = 0; z < nz; z++) {
      const from = (Math.max(0, -dy) + ny * z) * nw;
      const to = (Math.min(ny, ny - dy) + ny * z) * nw;
      for (let w = from; w < to; w++) disc[w] |= src[w + shift];
    }
  }
  const out = new Uint32Array(nRows * nw);
  for (const [adz, disc] of discs) {
    for (const dz of adz === 0 ? [0] : [-adz, adz]) {
      const shift = ny * dz * nw;
      const from = Math.max(0, -dz) * ny * nw;
      const to = Math.min(nz, nz - dz) * ny * nw;
      for (let w = from; w < to; w++) out[w] |= disc[w + shift];
    }
  }
  const flags = new Uint8Array(nx * nRows);
  for (let row = 0; row < nRows; row++) {
    const base = row * nx;
    const w0 = row * nw;
    for (let x = 0; x < nx; x++) flags[base + x] = (out[w0 + (x >>> 5)] >>> (x & 31)) & 1;
  }
  return flags;
}

/**
 * Each row of `bits` (nw words, nx bits used) with every set bit spread to ±h along the row, for
 * each h of `widths`: spreading by ±1, ±2, … in turn, kept at each wanted h (one pass per step).
 */
function widenRows(bits: Uint32Array, nw: number, nRows: number, nx: number, widths: ReadonlySet<number>): Map<number, Uint32Array> {
  const out = new Map<number, Uint32Array>();
  const cur = bits.slice();
  const widest = Math.max(...widths);
  if (widths.has(0)) out.set(0, cur.slice());
  for (let k = 1; k <= widest; k++) {
    spreadRows(bits, cur, nw, nRows, nx, k);
    if (widths.has(k)) out.set(k, cur.slice());
  }
  return out;
}

/** ORs into `out` every row of `bits` shifted by −k and +k bits along the row. */
function spreadRows(bits: Uint32Array, out: Uint32Array, nw: number, nRows: number, nx: number, k: number): void {
  const q = k >>> 5;
  const r = k & 31;
  for (let row = 0; row < nRows; row++) {
    const w0 = row * nw;
    for (let w = 0; w < nw; w++) {
      // Bit x of the output gets bits x − k and x + k of the input.
      const lo = w - q; // word holding bit x − k (with the one below it for the carry)
      const hi = w + q; // word holding bit x + k (with the one above it)
      let v = 0;
      if (lo >= 0) v |= r === 0 ? bits[w0 + lo] : (bits[w0 + lo] << r) | (lo > 0 ? bits[w0 + lo - 1] >>> (32 - r) : 0);
      if (hi < nw) v |= r === 0 ? bits[w0 + hi] : (bits[w0 + hi] >>> r) | (hi + 1 < nw ? bits[w0 + hi + 1] << (32 - r) : 0);
      out[w0 + w] |= v;
    }
    // Bits beyond the row's end stay clear.
    if (nx & 31) out[w0 + nw - 1] &= (1 << (nx & 31)) - 1;
  }
}

/** The mask dilated by a ball of `radiusMm`, on the box it can reach (the mask's box `bbox` grown by the radius). */
function dilatedInBox(mask: Uint8Array, bbox: IndexBox, dims: Vec3, spacing: Vec3, radiusMm: number): BoxFlags {
  const box = grownBox(bbox, [0, 1, 2].map((d) => Math.ceil(radiusMm / spacing[d]) + 1), dims);
  const sub = cropMask(mask, dims, box);
  const r2 = radiusMm * radiusMm * (1 + SLACK) + SLACK;
  if (exactSpacing(spacing, radiusMm)) return { box, flags: withinBall(sub.data, sub.dims, spacing, 1, r2) };
  // Only distances up to r matter: the transform may skip the rest.
  const d2 = squaredDistanceToFeature(sub.data, sub.dims, spacing, 1, r2);
  const flags = new Uint8Array(d2.length);
  for (let j = 0; j < d2.length; j++) flags[j] = d2[j] <= r2 ? 1 : 0;
  return { box, flags };
}

/**
 * The mask eroded by a ball of `radiusMm`. The nearest background voxel of a mask voxel always
 * lies within one voxel of the mask's bounding box (beyond it, its projection onto that shell is
 * background and nearer), so the box grown by one voxel suffices.
 */
function erodedInBox(mask: Uint8Array, bbox: IndexBox, dims: Vec3, spacing: Vec3, radiusMm: number): BoxFlags {
  const box = grownBox(bbox, [1, 1, 1], dims);
  const sub = cropMask(mask, dims, box);
  const r2 = radiusMm * radiusMm * (1 + SLACK) + SLACK;
  if (exactSpacing(spacing, radiusMm)) {
    const near = withinBall(sub.data, sub.dims, spacing, 0, r2);
    // Mask voxels (value 1) not near the background, without a branch per voxel.
    for (let j = 0; j < near.length; j++) near[j] = (((sub.data[j] ^ 1) - 1) >>> 31) & (near[j] ^ 1);
    return { box, flags: near };
  }
  const d2 = squaredDistanceToFeature(sub.data, sub.dims, spacing, 0, r2);
  const flags = new Uint8Array(d2.length);
  for (let j = 0; j < d2.length; j++) flags[j] = sub.data[j] === 1 && d2[j] > r2 ? 1 : 0;
  return { box, flags };
}

/** Box flags as a mask of the whole grid. */
function onGrid(n: number, dims: Vec3, { box, flags }: BoxFlags): Uint8Array {
  const out = new Uint8Array(n);
  const [bx, by, bz] = boxDims(box);
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const j = bx * (y + by * z);
      out.set(flags.subarray(j, j + bx), box.lo[0] + dims[0] * (box.lo[1] + y + dims[1] * (box.lo[2] + z)));
    }
  return out;
}

/** Voxels within `radiusMm` of the mask (the mask dilated by a ball). */
export function dilateMm(mask: Uint8Array, dims: Vec3, spacing: Vec3, radiusMm: number): Uint8Array {
  const bbox = nonZeroBox(mask, dims);
  return bbox ? onGrid(mask.length, dims, dilatedInBox(mask, bbox, dims, spacing, radiusMm)) : new Uint8Array(mask.length);
}

/**
 * Mask voxels farther than `radiusMm` from every non-mask voxel of the grid (the mask eroded by
 * a ball). Beyond the grid counts as unknown, not as background: a contour cut by the image
 * border is not eroded along that border.
 */
export function erodeMm(mask: Uint8Array, dims: Vec3, spacing: Vec3, radiusMm: number): Uint8Array {
  const bbox = nonZeroBox(mask, dims);
  return bbox ? onGrid(mask.length, dims, erodedInBox(mask, bbox, dims, spacing, radiusMm)) : new Uint8Array(mask.length);
}

/**
 * @param imageBox voxels of this grid that lie inside the image (the grid may extend beyond it);
 *   defaults to the whole grid, whose edges are then the image edges.
 */
export function peritumoralRing(mask: Uint8Array, dims: Vec3, spacing: Vec3, width: RingWidth, imageBox?: IndexBox): RingResult {
  const image: IndexBox = imageBox ?? { lo: [0, 0, 0], hi: [dims[0] - 1, dims[1] - 1, dims[2] - 1] };
  const ring = new Uint8Array(mask.length);
  const bbox = nonZeroBox(mask, dims);
  if (!bbox) return { ring, voxels: 0, clipped: false, clippedAt: [] };
  // The ring leaves the image where the nearest voxel outside it, just past the image box, is
  // within the outer width of the contour's extreme voxels.
  const r = width.outerMm * (1 + SLACK) + SLACK;
  const clippedAt: string[] = [];
  for (let d = 0; d < 3; d++) {
    if ((bbox.lo[d] - image.lo[d] + 1) * spacing[d] <= r) clippedAt.push(`${'xyz'[d]}-`);
    if ((image.hi[d] - bbox.hi[d] + 1) * spacing[d] <= r) clippedAt.push(`${'xyz'[d]}+`);
  }
  const dilated = dilatedInBox(mask, bbox, dims, spacing, width.outerMm);
  const eroded = width.innerMm > 0 ? erodedInBox(mask, bbox, dims, spacing, width.innerMm) : null;
  const { lo, hi } = dilated.box;
  const [ex, ey] = eroded ? boxDims(eroded.box) : [0, 0];
  const e = eroded?.box;
  let voxels = 0;
  // Row by row: the image box and the eroded box decided once per row, then a plain loop along x.
  const x0 = Math.max(lo[0], image.lo[0]);
  const x1 = Math.min(hi[0], image.hi[0]);
  const [dx] = boxDims(dilated.box);
  for (let z = lo[2]; z <= hi[2]; z++) {
    if (z < image.lo[2] || z > image.hi[2]) continue;
    for (let y = lo[1]; y <= hi[1]; y++) {
      if (y < image.lo[1] || y > image.hi[1]) continue;
      const j = dx * (y - lo[1] + (hi[1] - lo[1] + 1) * (z - lo[2])) - lo[0];
      const row = dims[0] * (y + dims[1] * z);
      // The eroded contour (always inside the eroded box) on this row: flags from index e0 - e.lo[0].
      const inEroded = e !== undefined && y >= e.lo[1] && y <= e.hi[1] && z >= e.lo[2] && z <= e.hi[2];
      const e0 = inEroded ? ex * (y - e.lo[1] + ey * (z - e.lo[2])) - e.lo[0] : 0;
      for (let x = x0; x <= x1; x++) {
        if (!dilated.flags[j + x]) continue;
        if (e) {
          if (inEroded && x >= e.lo[0] && x <= e.hi[0] && eroded!.flags[e0 + x]) continue;
        } else if (mask[row + x]) continue; // innerMm 0: the contour itself is not part of the ring
        ring[row + x] = 1;
        voxels++;
      }
    }
  }
  return { ring, voxels, clipped: clippedAt.length > 0, clippedAt: clippedAt.sort() };
}
