/**
 * The peritumoral ring: the band between the contour eroded by `innerMm` and dilated by
 * `outerMm`, with a spherical structuring element in physical units (so 3 mm slices and 0.7 mm
 * pixels are handled alike), clipped to the image. "Clipped" tells the caller the ring would
 * have left the image, which invalidates a ring measurement near the edge of the scan.
 */
import { Vec3 } from '../volume';
import { IndexBox, cropMask, grownBox, nonZeroBox } from '../indexBox';
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

/** Writes the box's flags (where `value(i)` is true) into a full-grid mask. */
function writeBack(out: Uint8Array, dims: Vec3, lo: Vec3, bd: Vec3, value: (j: number) => boolean): void {
  for (let z = 0, j = 0; z < bd[2]; z++)
    for (let y = 0; y < bd[1]; y++) {
      const dst = lo[0] + dims[0] * (lo[1] + y + dims[1] * (lo[2] + z));
      for (let x = 0; x < bd[0]; x++, j++) if (value(j)) out[dst + x] = 1;
    }
}

/** Voxels within `radiusMm` of the mask (the mask dilated by a ball). */
export function dilateMm(mask: Uint8Array, dims: Vec3, spacing: Vec3, radiusMm: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  const bbox = nonZeroBox(mask, dims);
  if (!bbox) return out;
  // Only voxels within the radius of the mask's bounding box can be reached.
  const box = grownBox(bbox, [0, 1, 2].map((d) => Math.ceil(radiusMm / spacing[d]) + 1), dims);
  const sub = cropMask(mask, dims, box);
  const d2 = squaredDistanceToFeature(sub.data, sub.dims, spacing, 1);
  const r2 = radiusMm * radiusMm * (1 + SLACK) + SLACK;
  writeBack(out, dims, box.lo, sub.dims, (j) => d2[j] <= r2);
  return out;
}

/**
 * Mask voxels farther than `radiusMm` from every non-mask voxel of the grid (the mask eroded by
 * a ball). Beyond the grid counts as unknown, not as background: a contour cut by the image
 * border is not eroded along that border.
 */
export function erodeMm(mask: Uint8Array, dims: Vec3, spacing: Vec3, radiusMm: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  const bbox = nonZeroBox(mask, dims);
  if (!bbox) return out;
  // The nearest background voxel of a mask voxel always lies within one voxel of the mask's
  // bounding box (beyond it, its projection onto that shell is background and nearer).
  const box = grownBox(bbox, [1, 1, 1], dims);
  const sub = cropMask(mask, dims, box);
  const d2 = squaredDistanceToFeature(sub.data, sub.dims, spacing, 0);
  const r2 = radiusMm * radiusMm * (1 + SLACK) + SLACK;
  writeBack(out, dims, box.lo, sub.dims, (j) => sub.data[j] === 1 && d2[j] > r2);
  return out;
}

/**
 * @param imageBox voxels of this grid that lie inside the image (the grid may extend beyond it);
 *   defaults to the whole grid, whose edges are then the image edges.
 */
export function peritumoralRing(mask: Uint8Array, dims: Vec3, spacing: Vec3, width: RingWidth, imageBox?: IndexBox): RingResult {
  const box: IndexBox = imageBox ?? { lo: [0, 0, 0], hi: [dims[0] - 1, dims[1] - 1, dims[2] - 1] };
  const dilated = dilateMm(mask, dims, spacing, width.outerMm);
  const eroded = width.innerMm > 0 ? erodeMm(mask, dims, spacing, width.innerMm) : mask;
  const ring = new Uint8Array(mask.length);
  let voxels = 0;
  const [nx, ny, nz] = dims;
  const clippedAt = new Set<string>();
  const r = width.outerMm * (1 + SLACK) + SLACK;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (mask[i]) {
          // The nearest voxel outside the image along an axis is the one just past the box.
          if ((x - box.lo[0] + 1) * spacing[0] <= r) clippedAt.add('x-');
          if ((box.hi[0] - x + 1) * spacing[0] <= r) clippedAt.add('x+');
          if ((y - box.lo[1] + 1) * spacing[1] <= r) clippedAt.add('y-');
          if ((box.hi[1] - y + 1) * spacing[1] <= r) clippedAt.add('y+');
          if ((z - box.lo[2] + 1) * spacing[2] <= r) clippedAt.add('z-');
          if ((box.hi[2] - z + 1) * spacing[2] <= r) clippedAt.add('z+');
        }
        if (!dilated[i] || eroded[i]) continue;
        if (x < box.lo[0] || x > box.hi[0] || y < box.lo[1] || y > box.hi[1] || z < box.lo[2] || z > box.hi[2]) continue;
        ring[i] = 1;
        voxels++;
      }
    }
  }
  return { ring, voxels, clipped: clippedAt.size > 0, clippedAt: [...clippedAt].sort() };
}
