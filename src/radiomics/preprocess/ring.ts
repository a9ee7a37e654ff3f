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

/** The mask dilated by a ball of `radiusMm`, on the box it can reach (the mask's box `bbox` grown by the radius). */
function dilatedInBox(mask: Uint8Array, bbox: IndexBox, dims: Vec3, spacing: Vec3, radiusMm: number): BoxFlags {
  const box = grownBox(bbox, [0, 1, 2].map((d) => Math.ceil(radiusMm / spacing[d]) + 1), dims);
  const sub = cropMask(mask, dims, box);
  const r2 = radiusMm * radiusMm * (1 + SLACK) + SLACK;
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
  for (let z = lo[2], j = 0; z <= hi[2]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      for (let x = lo[0]; x <= hi[0]; x++, j++) {
        if (!dilated.flags[j]) continue;
        if (x < image.lo[0] || x > image.hi[0] || y < image.lo[1] || y > image.hi[1] || z < image.lo[2] || z > image.hi[2]) continue;
        const i = x + dims[0] * (y + dims[1] * z);
        if (e) {
          // The eroded contour (always inside the eroded box).
          if (x >= e.lo[0] && x <= e.hi[0] && y >= e.lo[1] && y <= e.hi[1] && z >= e.lo[2] && z <= e.hi[2]) {
            if (eroded!.flags[x - e.lo[0] + ex * (y - e.lo[1] + ey * (z - e.lo[2]))]) continue;
          }
        } else if (mask[i]) continue; // innerMm 0: the contour itself is not part of the ring
        ring[i] = 1;
        voxels++;
      }
    }
  }
  return { ring, voxels, clipped: clippedAt.length > 0, clippedAt: clippedAt.sort() };
}
