/**
 * A lesion's key slice for its picture (pure): the axial CT slice where the lesion's area is
 * largest, cut out around the lesion with a margin, with the lesion mask the features used and
 * the peritumoral ring's outer extent on that slice. Taken while the lesion's HU volume is in
 * memory; it is small (a crop of one slice), so the study's pictures can be drawn once every
 * lesion has its class (which needs all the study's scores).
 */
import { cropMask, dilateMm, grownBox, nonZeroBox } from '../radiomics';
import type { InstanceRef } from '../results/types';
import type { Vec3 } from './geometry';
import type { Lesion } from './study';

export interface KeySlice {
  /** Crop size in pixels: columns, rows. */
  width: number;
  height: number;
  /** HU of the crop, row by row (x fastest). */
  hu: Float32Array;
  /** 1 inside the lesion (the mask the features used). */
  lesion: Uint8Array;
  /** 1 within the peritumoral ring's outer distance of the lesion (3D dilation, cut on this slice). */
  ringOuter: Uint8Array;
  /** Pixel spacing, mm: [along a row (column step), along a column (row step)]. */
  pixelSpacingMm: [number, number];
  /** Patient directions (LPS) in which the crop's x and y grow: for the orientation letters. */
  rowDirection: Vec3;
  columnDirection: Vec3;
  /** The CT image the slice is, for the picture's Source Image Sequence. */
  image: InstanceRef;
  /** Where the crop starts in that image (column, row), for Referenced Image references. */
  offset: [number, number];
  /** Index of the slice in the series. */
  sliceIndex: number;
}

/**
 * Cuts the key slice of `lesion` out of its CT volume: the lesion's box on its largest slice grown
 * by the ring's width and `marginMm` (at least half the lesion's size), made square, kept inside
 * the image.
 */
export function keySliceOf(lesion: Lesion, ringOuterMm: number, marginMm = 15): KeySlice {
  const { image, geometry } = lesion.ct;
  const [nx, ny] = image.dims;
  const k = lesion.summary.largestSlice - lesion.ct.range.first;
  const plane = nx * ny;
  const onSlice = lesion.mask.data.subarray(k * plane, (k + 1) * plane);
  const box = nonZeroBox(onSlice, [nx, ny, 1]);
  if (!box) throw new RangeError(`lesion ${lesion.trackingId} has no voxel on its largest slice ${lesion.summary.largestSlice}`);
  const [sx, sy, sz] = image.spacing;

  // The ring's outer edge on this slice comes from the 3D dilation (slices above and below reach it).
  const reach = [0, 1, 2].map((d) => Math.ceil(ringOuterMm / image.spacing[d]) + 1);
  const lesionBox = nonZeroBox(lesion.mask.data, image.dims)!;
  const ringBox = grownBox(lesionBox, reach, image.dims);
  const sub = cropMask(lesion.mask.data, image.dims, ringBox);
  const dilated = dilateMm(sub.data, sub.dims, [sx, sy, sz], ringOuterMm);

  // A square crop (in mm) centred on the lesion, with room for the ring and some context.
  const extentMm = Math.max((box.hi[0] - box.lo[0] + 1) * sx, (box.hi[1] - box.lo[1] + 1) * sy);
  const halfMm = extentMm / 2 + ringOuterMm + Math.max(marginMm, extentMm / 2);
  const cx = (box.lo[0] + box.hi[0]) / 2;
  const cy = (box.lo[1] + box.hi[1]) / 2;
  const half = [Math.ceil(halfMm / sx), Math.ceil(halfMm / sy)];
  const x0 = Math.max(0, Math.floor(cx - half[0]));
  const y0 = Math.max(0, Math.floor(cy - half[1]));
  const x1 = Math.min(nx - 1, Math.ceil(cx + half[0]));
  const y1 = Math.min(ny - 1, Math.ceil(cy + half[1]));
  const width = x1 - x0 + 1;
  const height = y1 - y0 + 1;

  const hu = new Float32Array(width * height);
  const inside = new Uint8Array(width * height);
  const ringOuter = new Uint8Array(width * height);
  const [rx, ry] = sub.dims;
  const rk = k - ringBox.lo[2];
  for (let y = 0; y < height; y++) {
    const from = k * plane + (y0 + y) * nx + x0;
    hu.set(image.data.subarray(from, from + width), y * width);
    inside.set(lesion.mask.data.subarray(from, from + width), y * width);
    const gy = y0 + y - ringBox.lo[1];
    if (gy < 0 || gy >= ry) continue;
    for (let x = 0; x < width; x++) {
      const gx = x0 + x - ringBox.lo[0];
      if (gx >= 0 && gx < rx && dilated[gx + rx * (gy + ry * rk)]) ringOuter[y * width + x] = 1;
    }
  }
  const slice = lesion.ct.slices[k];
  return {
    width,
    height,
    hu,
    lesion: inside,
    ringOuter,
    pixelSpacingMm: [sx, sy],
    rowDirection: [...geometry.rowDirection],
    columnDirection: [...geometry.columnDirection],
    image: { sopClassUid: slice.sopClassUid, sopInstanceUid: slice.sopInstanceUid },
    offset: [x0, y0],
    sliceIndex: lesion.summary.largestSlice,
  };
}
