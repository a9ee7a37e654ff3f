/** Small synthetic volumes for the radiomics unit tests. */
import { Mask, Vec3, Volume } from '../../../src/radiomics/volume';

/** Deterministic pseudo-random numbers (so failures reproduce). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A ball of `radiusMm` centred in a grid of `dims` and `spacing` (voxel centres within the radius). */
export function ballMask(dims: Vec3, spacing: Vec3, radiusMm: number, centre?: Vec3): Mask {
  const c = centre ?? ([0, 1, 2].map((d) => ((dims[d] - 1) * spacing[d]) / 2) as Vec3);
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let z = 0, i = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, i++) {
        const d = Math.hypot(x * spacing[0] - c[0], y * spacing[1] - c[1], z * spacing[2] - c[2]);
        data[i] = d <= radiusMm ? 1 : 0;
      }
  return { dims, spacing, origin: [0, 0, 0], data };
}

export function volumeOf(dims: Vec3, spacing: Vec3, value: (x: number, y: number, z: number) => number): Volume<Float32Array> {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let z = 0, i = 0; z < dims[2]; z++) for (let y = 0; y < dims[1]; y++) for (let x = 0; x < dims[0]; x++, i++) data[i] = value(x, y, z);
  return { dims, spacing, origin: [0, 0, 0], data };
}

export function count(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}
