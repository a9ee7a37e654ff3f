/**
 * Exact Euclidean distance transform in physical units on an anisotropic grid
 * (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm, one pass per axis).
 * Gives, for every voxel, the squared distance in mm² from its centre to the nearest centre of
 * a "feature" voxel, so that a spherical structuring element of radius r mm is simply
 * `distance² ≤ r²` whatever the voxel spacing.
 *
 * The first pass (along x) sees a binary input, where the lower envelope is simply the nearest
 * feature voxel of the row: two scans. The passes along y and z build the envelope of parabolas,
 * but only over the runs of non-feature voxels (value > 0) and the feature voxels bounding them:
 * no point beyond a feature voxel can be nearer than it, and feature voxels stay at 0. So the
 * work follows the voxels outside the features, not the whole box.
 */
import { Vec3 } from '../volume';

/**
 * Squared distance (mm²) to the nearest voxel where `feature[i] === featureValue`; Infinity if none.
 * With `maxSquared`, only distances up to it are wanted: larger ones may come back as Infinity.
 * Partial sums only grow from pass to pass, so a partial value above the bound can never give
 * a final one within it; dropping those leaves fewer parabolas and lines to process, and the
 * values within the bound are those of the full transform.
 */
export function squaredDistanceToFeature(feature: Uint8Array, dims: Vec3, spacing: Vec3, featureValue = 1, maxSquared = Infinity): Float64Array {
  const [nx, ny, nz] = dims;
  const d = new Float64Array(feature.length);
  nearestAlongRows(feature, featureValue, nx, ny * nz, spacing[0], d, maxSquared);
  const lines = new LineWork(Math.max(ny, nz));
  // Along y: the nx columns of each plane (stride nx); along z: the nx columns of each y (stride nx·ny),
  // read in place.
  for (let z = 0; z < nz; z++) lines.columns(d, z * nx * ny, nx, nx, ny, spacing[1], maxSquared);
  for (let y = 0; y < ny; y++) lines.columns(d, y * nx, nx, nx * ny, nz, spacing[2], Infinity);
  return d;
}

/** Scratch arrays of the 1-D transforms, sized for the longest line. */
class LineWork {
  private readonly f: Float64Array;
  private readonly out: Float64Array;
  private readonly v: Int32Array;
  private readonly g: Float64Array;
  private readonly z: Float64Array;

  constructor(maxLen: number) {
    this.f = new Float64Array(maxLen);
    this.out = new Float64Array(maxLen);
    this.v = new Int32Array(maxLen);
    this.g = new Float64Array(maxLen);
    this.z = new Float64Array(maxLen + 1);
  }

  /**
   * Transforms, in place, the `width` lines of length `len` starting at data[base + x] with
   * `stride` between their voxels; values above `maxSquared` become Infinity.
   */
  columns(data: Float64Array, base: number, width: number, stride: number, len: number, s: number, maxSquared: number): void {
    const { f, out, v, g, z } = this;
    for (let x = 0; x < width; x++) {
      let finite = false;
      let unfinished = false;
      for (let q = 0, i = base + x; q < len; q++, i += stride) {
        const value = data[i];
        f[q] = value;
        if (value !== Infinity) finite = true;
        if (value !== 0) unfinished = true;
      }
      // Nothing to propagate along this line, or nothing to change (all feature voxels).
      if (!finite || !unfinished) continue;
      for (let q = 0; q < len; ) {
        if (f[q] === 0) {
          q++;
          continue;
        }
        // Run [a, b] of non-feature voxels, with the feature voxels around it.
        const a = q;
        while (q < len && f[q] !== 0) q++;
        const b = q - 1;
        if (!distance1d(f, a > 0 ? a - 1 : a, b < len - 1 ? b + 1 : b, s, out, v, g, z)) continue;
        for (let r = a, i = base + x + a * stride; r <= b; r++, i += stride) data[i] = out[r] > maxSquared ? Infinity : out[r];
      }
    }
  }
}

/** First pass: per row of length n, the squared distance along the row to its nearest feature voxel. */
function nearestAlongRows(feature: Uint8Array, featureValue: number, n: number, rows: number, s: number, d: Float64Array, maxSquared: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    let last = -1;
    for (let q = 0; q < n; q++) {
      if (feature[base + q] === featureValue) last = q;
      if (last < 0) d[base + q] = Infinity;
      else {
        const dq = (q - last) * s;
        d[base + q] = dq * dq > maxSquared ? Infinity : dq * dq;
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
      if (e < d[base + q] && e <= maxSquared) d[base + q] = e;
    }
  }
}

/**
 * 1-D squared distance transform over f[from .. to] (Infinity = no feature): the lower envelope
 * of the parabolas (x·s − q·s)² + f(q) over the finite f(q), written to out[from .. to]; false
 * (and nothing written) when no value is finite. `g[k]` keeps f(v[k]) + (v[k]·s)² of the
 * envelope's parabolas. Positions are those of the whole line, so a sub-range computes exactly
 * what the whole line would.
 */
function distance1d(f: Float64Array, from: number, to: number, s: number, out: Float64Array, v: Int32Array, g: Float64Array, z: Float64Array): boolean {
  let k = -1;
  for (let q = from; q <= to; q++) {
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
  if (k < 0) return false;
  z[k + 1] = Infinity;
  let j = 0;
  for (let q = from; q <= to; q++) {
    while (z[j + 1] < q) j++;
    const p = v[j];
    const dq = (q - p) * s;
    out[q] = dq * dq + f[p];
  }
  return true;
}
