/**
 * Exact Euclidean distance transform in physical units on an anisotropic grid
 * (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm, one pass per axis).
 * Gives, for every voxel, the squared distance in mm² from its centre to the nearest centre of
 * a "feature" voxel, so that a spherical structuring element of radius r mm is simply
 * `distance² ≤ r²` whatever the voxel spacing.
 *
 * The first pass (along x) sees a binary input, where the lower envelope is simply the nearest
 * feature voxel of the row: two scans. The passes along y and z build the envelope of parabolas.
 */
import { Vec3 } from '../volume';

/** Squared distance (mm²) to the nearest voxel where `feature[i] === featureValue`; Infinity if none. */
export function squaredDistanceToFeature(feature: Uint8Array, dims: Vec3, spacing: Vec3, featureValue = 1): Float64Array {
  const [nx, ny, nz] = dims;
  const d = new Float64Array(feature.length);
  nearestAlongRows(feature, featureValue, nx, ny * nz, spacing[0], d);
  const maxLen = Math.max(ny, nz);
  const f = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const g = new Float64Array(maxLen);
  const zBound = new Float64Array(maxLen + 1);
  for (const axis of [1, 2]) {
    const len = dims[axis];
    const s = spacing[axis];
    const stride = axis === 1 ? nx : nx * ny;
    // Lines along `axis`: x varies fastest between consecutive lines (they share cache lines).
    const outer = axis === 1 ? nz : ny;
    const outerStride = axis === 1 ? nx * ny : nx;
    for (let o = 0; o < outer; o++) {
      for (let x = 0; x < nx; x++) {
        const base = o * outerStride + x;
        let any = false;
        for (let q = 0, i = base; q < len; q++, i += stride) {
          const value = d[i];
          f[q] = value;
          if (value !== Infinity) any = true;
        }
        if (!any) continue; // nothing to propagate along this line
        distance1d(f, len, s, out, v, g, zBound);
        for (let q = 0, i = base; q < len; q++, i += stride) d[i] = out[q];
      }
    }
  }
  return d;
}

/** First pass: per row of length n, the squared distance along the row to its nearest feature voxel. */
function nearestAlongRows(feature: Uint8Array, featureValue: number, n: number, rows: number, s: number, d: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let last = -1;
    for (let q = 0; q < n; q++) {
      if (feature[base + q] === featureValue) last = q;
      if (last < 0) d[base + q] = Infinity;
      else {
        const dq = (q - last) * s;
        d[base + q] = dq * dq;
      }
    }
    if (last < 0) continue;
    // Backwards: a feature voxel ahead may be nearer.
    let next = -1;
    for (let q = n - 1; q >= 0; q--) {
      if (feature[base + q] === featureValue) next = q;
      if (next < 0) continue;
      const dq = (q - next) * s;
      const e = dq * dq;
      if (e < d[base + q]) d[base + q] = e;
    }
  }
}

/**
 * 1-D squared distance transform of sampled function f (Infinity = no feature): the lower
 * envelope of the parabolas (x·s − q·s)² + f(q) over the finite f(q). `g[k]` keeps
 * f(v[k]) + (v[k]·s)² of the envelope's parabolas.
 */
function distance1d(f: Float64Array, n: number, s: number, out: Float64Array, v: Int32Array, g: Float64Array, z: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const fq = f[q] + q * s * q * s;
    while (k >= 0) {
      const p = v[k];
      const cross = (fq - g[k]) / (2 * s * s * (q - p));
      if (cross <= z[k]) k--;
      else {
        k++;
        v[k] = q;
        g[k] = fq;
        z[k] = cross;
        break;
      }
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      g[0] = fq;
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
