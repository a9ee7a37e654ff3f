/**
 * Where the body ends (pure): air outside the patient is the region below -500 HU connected, in
 * each axial slice, to the border of the image. Lung air is enclosed by the chest wall and is not
 * counted, so a lung lesion's peritumoral ring is "inside the body" while a skin lesion's ring that
 * reaches into the room air is not.
 */
import { AIR_HU, cropMask, grownBox, nonZeroBox, peritumoralRing } from '../radiomics';
import type { Mask, Volume } from '../radiomics';

/**
 * Marks, slice by slice, the voxels of outside air (4-connected to the slice border, below AIR_HU)
 * in slices firstSlice..lastSlice; the result holds those slices only (index 0 = firstSlice).
 */
export function outsideAirMask(ct: Volume<Float32Array>, firstSlice = 0, lastSlice = ct.dims[2] - 1): Uint8Array {
  const [nx, ny] = ct.dims;
  const plane = nx * ny;
  const out = new Uint8Array(plane * (lastSlice - firstSlice + 1));
  const stack = new Int32Array(plane);
  const data = ct.data;
  for (let z = firstSlice; z <= lastSlice; z++) {
    const from = z * plane;
    const to = (z - firstSlice) * plane;
    let top = 0;
    const seed = (p: number) => {
      if (out[to + p] === 0 && data[from + p] < AIR_HU) {
        out[to + p] = 1;
        stack[top++] = p;
      }
    };
    for (let x = 0; x < nx; x++) {
      seed(x);
      seed((ny - 1) * nx + x);
    }
    for (let y = 0; y < ny; y++) {
      seed(y * nx);
      seed(y * nx + nx - 1);
    }
    while (top > 0) {
      const p = stack[--top];
      const x = p % nx;
      if (x > 0) seed(p - 1);
      if (x < nx - 1) seed(p + 1);
      if (p >= nx) seed(p - nx);
      if (p < plane - nx) seed(p + nx);
    }
  }
  return out;
}

/**
 * Fraction of the peritumoral ring (contour dilated by outerMm, minus the contour eroded by
 * innerMm, on the CT's own grid) that lies in outside air; 0 when the ring is empty.
 */
export function ringOutsideBodyFraction(ct: Volume<Float32Array>, mask: Mask, ring: { innerMm: number; outerMm: number }): number {
  const [nx, ny] = mask.dims;
  const lesionBox = nonZeroBox(mask.data, mask.dims);
  if (!lesionBox) return 0;
  // Work on the lesion's box grown by the ring width: the ring cannot reach further.
  const box = grownBox(lesionBox, mask.spacing.map((s) => Math.ceil(ring.outerMm / s) + 1), mask.dims);
  const { lo } = box;
  const { data: crop, dims } = cropMask(mask.data, mask.dims, box);
  const ringMask = peritumoralRing(crop, dims, mask.spacing, ring).ring;
  // Only ring voxels below AIR_HU can be outside air: the border-connected air is traced on the
  // slices between the first and last that have such voxels, and not at all for a ring in soft
  // tissue (most lesions; the tracing covers whole slices, ~50 ms for the phantom's 30).
  let inRing = 0;
  let first = dims[2];
  let last = -1;
  for (let z = 0, j = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0, k = lo[0] + nx * (lo[1] + y + ny * (lo[2] + z)); x < dims[0]; x++, j++, k++) {
        if (!ringMask[j]) continue;
        inRing++;
        if (ct.data[k] < AIR_HU) {
          if (first > z) first = z;
          last = z;
        }
      }
  if (inRing === 0 || last < 0) return 0;
  const air = outsideAirMask(ct, lo[2] + first, lo[2] + last);
  let outside = 0;
  for (let z = first; z <= last; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0, j = dims[0] * (y + dims[1] * z), k = lo[0] + nx * (lo[1] + y + ny * (z - first)); x < dims[0]; x++, j++, k++) {
        if (ringMask[j] && air[k]) outside++;
      }
  return outside / inRing;
}
