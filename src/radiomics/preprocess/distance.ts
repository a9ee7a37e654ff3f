/**
 * Exact Euclidean distance transform in physical units on an anisotropic grid
 * (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm, one pass per axis).
 * Gives, for every voxel, the squared distance in mm² from its centre to the nearest centre of
 * a "feature" voxel, so that a spherical structuring element of radius r mm is simply
 * `distance² ≤ r²` whatever the voxel spacing.
 */
import { Vec3 } from '../volume';

/** Squared distance (mm²) to the nearest voxel where `feature[i]` is true; Infinity if none. */
export function squaredDistanceToFeature(feature: Uint8Array, dims: Vec3, spacing: Vec3, featureValue = 1): Float64Array {
  const n = feature.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = feature[i] === featureValue ? 0 : Infinity;
  const maxLen = Math.max(dims[0], dims[1], dims[2]);
  const f = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const zBound = new Float64Array(maxLen + 1);
  for (let axis = 0; axis < 3; axis++) {
    const len = dims[axis];
    const s = spacing[axis];
    const stride = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
    const [a1, a2] = [0, 1, 2].filter((x) => x !== axis);
    const s1 = a1 === 0 ? 1 : a1 === 1 ? dims[0] : dims[0] * dims[1];
    const s2 = a2 === 0 ? 1 : a2 === 1 ? dims[0] : dims[0] * dims[1];
    for (let i2 = 0; i2 < dims[a2]; i2++) {
      for (let i1 = 0; i1 < dims[a1]; i1++) {
        const base = i1 * s1 + i2 * s2;
        let any = false;
        for (let q = 0; q < len; q++) {
          const value = d[base + q * stride];
          f[q] = value;
          if (value !== Infinity) any = true;
        }
        if (!any) continue; // nothing to propagate along this line
        distance1d(f, len, s, out, v, zBound);
        for (let q = 0; q < len; q++) d[base + q * stride] = out[q];
      }
    }
  }
  return d;
}

/** 1-D squared distance transform of sampled function f (Infinity = no feature). */
function distance1d(f: Float64Array, n: number, s: number, out: Float64Array, v: Int32Array, z: Float64Array): void {
  // Lower envelope of the parabolas (x·s - q·s)² + f(q) over the finite f(q) only.
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const fq = f[q] + q * s * q * s;
    while (k >= 0) {
      const p = v[k];
      const cross = (fq - (f[p] + p * s * p * s)) / (2 * s * s * (q - p));
      if (cross <= z[k]) k--;
      else {
        k++;
        v[k] = q;
        z[k] = cross;
        break;
      }
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
    }
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) out[q] = Infinity;
    return;
  }
  z[k + 1] = Infinity;
  let j = 0;
  for (let q = 0; q < n; q++) {
    while (z[j + 1] < q) j++;
    const p = v[j];
    const dq = (q - p) * s;
    out[q] = dq * dq + f[p];
  }
}
