/**
 * Where the body ends (pure): air outside the patient is the region below -500 HU connected, in
 * each axial slice, to the border of the image. Lung air is enclosed by the chest wall and is not
 * counted, so a lung lesion's peritumoral ring is "inside the body" while a skin lesion's ring that
 * reaches into the room air is not.
 */
import { peritumoralRing } from '../radiomics';
import type { Mask, Vec3, Volume } from '../radiomics';

export const AIR_HU = -500;

/** Marks, slice by slice, the voxels of outside air (4-connected to the slice border, below AIR_HU). */
export function outsideAirMask(ct: Volume<Float32Array>, firstSlice = 0, lastSlice = ct.dims[2] - 1): Uint8Array {
  const [nx, ny] = ct.dims;
  const plane = nx * ny;
  const out = new Uint8Array(ct.data.length);
  const stack = new Int32Array(plane);
  for (let z = firstSlice; z <= lastSlice; z++) {
    const base = z * plane;
    let top = 0;
    const seed = (p: number) => {
      if (!out[base + p] && ct.data[base + p] < AIR_HU) {
        out[base + p] = 1;
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
  const [nx, ny, nz] = mask.dims;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        if (!mask.data[i]) continue;
        const p = [x, y, z];
        for (let d = 0; d < 3; d++) {
          if (p[d] < lo[d]) lo[d] = p[d];
          if (p[d] > hi[d]) hi[d] = p[d];
        }
      }
  if (hi[0] < 0) return 0;
  // Work on the lesion's box grown by the ring width: the ring cannot reach further.
  for (let d = 0; d < 3; d++) {
    const grow = Math.ceil(ring.outerMm / mask.spacing[d]) + 1;
    lo[d] = Math.max(0, lo[d] - grow);
    hi[d] = Math.min(mask.dims[d] - 1, hi[d] + grow);
  }
  const dims: Vec3 = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
  const crop = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let z = 0, j = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, j++) crop[j] = mask.data[lo[0] + x + nx * (lo[1] + y + ny * (lo[2] + z))];
  const ringMask = peritumoralRing(crop, dims, mask.spacing, ring).ring;
  const air = outsideAirMask(ct, lo[2], hi[2]);
  let inRing = 0;
  let outside = 0;
  for (let z = 0, j = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, j++) {
        if (!ringMask[j]) continue;
        inRing++;
        if (air[lo[0] + x + nx * (lo[1] + y + ny * (lo[2] + z))]) outside++;
      }
  return inRing === 0 ? 0 : outside / inRing;
}
