/**
 * Resampling of an image or mask onto an IBSI interpolation grid (see grid.ts), evaluated only
 * on a sub-box of the new grid (the region around the ROI) so a whole CT never has to be
 * interpolated. Interpolation is separable: one pass per axis, each new sample a weighted sum
 * of a few original samples (1 nearest, 2 linear, 4 cubic B-spline).
 *
 * Boundary handling follows the IBSI recommendation and the coordinators' toolkit:
 * images are padded with their nearest boundary value; masks are zero outside the image.
 * The cubic spline is the interpolating cubic B-spline (spline coefficients by recursive
 * prefiltering, as scipy.ndimage.map_coordinates order 3 which mirp uses for IBSI
 * configuration E), with 12 voxels of edge padding before prefiltering.
 */
import { Vec3 } from '../volume';
import { ResampledGrid } from './grid';
import { IndexBox, boxDims } from '../indexBox';

export type Interpolator = 'nearest' | 'linear' | 'cubic-spline';
/** `edge`: values beyond the image repeat the boundary voxel; `zero`: nothing outside the image. */
export type Boundary = 'edge' | 'zero';

type Samples = ArrayLike<number>;

interface AxisTaps {
  /** Taps per output sample. */
  k: number;
  /** Absolute source indices (may fall outside the source; resolved by the caller). */
  index: Int32Array;
  weight: Float64Array;
}

const SPLINE_PAD = 12;
const SPLINE_POLE = Math.sqrt(3) - 2;

function axisTaps(method: Interpolator, boundary: Boundary, n: number, start: number, step: number, lo: number, hi: number): AxisTaps {
  const m = hi - lo + 1;
  const k = method === 'nearest' ? 1 : method === 'linear' ? 2 : 4;
  const index = new Int32Array(m * k);
  const weight = new Float64Array(m * k);
  for (let j = 0; j < m; j++) {
    let c = start + (lo + j) * step;
    // Grid points that coincide with a source voxel up to rounding noise are taken as exact.
    const nearestInt = Math.round(c);
    if (Math.abs(c - nearestInt) < 1e-9) c = nearestInt;
    const outside = c < -1e-9 || c > n - 1 + 1e-9;
    const o = j * k;
    if (boundary === 'zero' && outside) {
      index.fill(0, o, o + k);
      continue; // weights stay 0
    }
    if (method === 'nearest') {
      index[o] = Math.min(n - 1, Math.max(0, Math.floor(c + 0.5)));
      weight[o] = 1;
    } else if (method === 'linear') {
      const cc = Math.min(n - 1, Math.max(0, c));
      const i0 = Math.floor(cc);
      const t = cc - i0;
      index[o] = i0;
      index[o + 1] = i0 + 1;
      weight[o] = 1 - t;
      weight[o + 1] = t;
    } else {
      const i0 = Math.floor(c);
      const t = c - i0;
      const t2 = t * t;
      const t3 = t2 * t;
      const u = 1 - t;
      index[o] = i0 - 1;
      index[o + 1] = i0;
      index[o + 2] = i0 + 1;
      index[o + 3] = i0 + 2;
      weight[o] = (u * u * u) / 6;
      weight[o + 1] = (4 - 6 * t2 + 3 * t3) / 6;
      weight[o + 2] = (1 + 3 * t + 3 * t2 - 3 * t3) / 6;
      weight[o + 3] = t3 / 6;
    }
  }
  return { k, index, weight };
}

/**
 * One separable pass along `axis`: dims change from `dims` to dims with dims[axis] = outLength.
 * Along y and z a whole row (or plane) is a linear combination of input rows (planes), so the
 * inner loops run over consecutive memory; each sample sums its taps in tap order, as along x.
 */
function applyAxis(input: Float64Array, dims: Vec3, axis: number, taps: AxisTaps, offset: number, outLength: number): Float64Array {
  const n = dims[axis];
  const out = new Float64Array((input.length / n) * outLength);
  const { k, index, weight } = taps;
  // Tap indices relative to the input array, clamped to it (edge repetition).
  const local = new Int32Array(index.length);
  for (let t = 0; t < index.length; t++) local[t] = Math.min(n - 1, Math.max(0, index[t] - offset));
  if (axis === 0) {
    const rows = dims[1] * dims[2];
    // Two taps (linear): the loop below written out, the same sum in the same order (from 0, which
    // turns a −0 product into +0 as the loop does).
    if (k === 2) {
      for (let r = 0; r < rows; r++) {
        const inBase = r * n;
        const outBase = r * outLength;
        for (let j = 0, o = 0; j < outLength; j++, o += 2) out[outBase + j] = 0 + weight[o] * input[inBase + local[o]] + weight[o + 1] * input[inBase + local[o + 1]];
      }
      return out;
    }
    for (let r = 0; r < rows; r++) {
      const inBase = r * n;
      const outBase = r * outLength;
      for (let j = 0; j < outLength; j++) {
        let s = 0;
        const o = j * k;
        for (let t = 0; t < k; t++) s += weight[o + t] * input[inBase + local[o + t]];
        out[outBase + j] = s;
      }
    }
    return out;
  }
  // `inner` consecutive values per step along the axis (a row for y, a plane for z), `outer` blocks.
  const inner = axis === 1 ? dims[0] : dims[0] * dims[1];
  const outer = axis === 1 ? dims[2] : 1;
  for (let b = 0; b < outer; b++) {
    const inBlock = b * n * inner;
    for (let j = 0; j < outLength; j++) {
      const o = j * k;
      const dst = (b * outLength + j) * inner;
      if (k === 2) {
        const w0 = weight[o];
        const w1 = weight[o + 1];
        const a0 = inBlock + local[o] * inner;
        const a1 = inBlock + local[o + 1] * inner;
        for (let t = 0; t < inner; t++) out[dst + t] = w0 * input[a0 + t] + w1 * input[a1 + t];
      } else {
        for (let t = 0; t < k; t++) {
          const w = weight[o + t];
          const a = inBlock + local[o + t] * inner;
          if (t === 0) for (let v = 0; v < inner; v++) out[dst + v] = w * input[a + v];
          else for (let v = 0; v < inner; v++) out[dst + v] += w * input[a + v];
        }
      }
    }
  }
  return out;
}

/** Cubic B-spline coefficients of one line, mirror-symmetric boundary (in place). */
function splineCoefficientsLine(c: Float64Array, n: number): void {
  const z = SPLINE_POLE;
  if (n === 1) return;
  const gain = (1 - z) * (1 - 1 / z);
  for (let i = 0; i < n; i++) c[i] *= gain;
  // Causal initialisation for the mirror extension (period 2n - 2), summed exactly.
  const zn = Math.pow(z, n - 1);
  let sum = c[0] + zn * c[n - 1];
  let zk = z;
  const z2n2 = zn * zn;
  let zRev = z2n2 / z; // z^(2n-3)
  for (let k = 1; k < n - 1; k++) {
    sum += (zk + zRev) * c[k];
    zk *= z;
    zRev /= z;
  }
  c[0] = sum / (1 - z2n2);
  for (let k = 1; k < n; k++) c[k] += z * c[k - 1];
  c[n - 1] = (z / (z * z - 1)) * (c[n - 1] + z * c[n - 2]);
  for (let k = n - 2; k >= 0; k--) c[k] = z * (c[k + 1] - c[k]);
}

function splineFilterAxis(data: Float64Array, dims: Vec3, axis: number): void {
  const n = dims[axis];
  if (n < 2) return;
  const stride = axis === 0 ? 1 : axis === 1 ? dims[0] : dims[0] * dims[1];
  const [a1, a2] = [0, 1, 2].filter((d) => d !== axis);
  const s1 = a1 === 0 ? 1 : a1 === 1 ? dims[0] : dims[0] * dims[1];
  const s2 = a2 === 0 ? 1 : a2 === 1 ? dims[0] : dims[0] * dims[1];
  const line = new Float64Array(n);
  for (let i2 = 0; i2 < dims[a2]; i2++) {
    for (let i1 = 0; i1 < dims[a1]; i1++) {
      const base = i1 * s1 + i2 * s2;
      for (let t = 0; t < n; t++) line[t] = data[base + t * stride];
      splineCoefficientsLine(line, n);
      for (let t = 0; t < n; t++) data[base + t * stride] = line[t];
    }
  }
}

export interface ResampleSource {
  dims: Vec3;
  data: Samples;
}

/**
 * Samples `source` on the part `region` (inclusive indices of the new grid) of `grid`.
 * Returns the samples of the region, x fastest, as Float64.
 */
export function resampleRegion(
  source: ResampleSource,
  grid: ResampledGrid,
  region: IndexBox,
  method: Interpolator,
  boundary: Boundary,
): Float64Array {
  const outDims = boxDims(region);
  const taps: AxisTaps[] = [];
  const srcLo: Vec3 = [0, 0, 0];
  const srcHi: Vec3 = [0, 0, 0];
  const identity: boolean[] = [];
  for (let d = 0; d < 3; d++) {
    const n = source.dims[d];
    const isIdentity = grid.step[d] === 1 && grid.start[d] === 0;
    identity.push(isIdentity);
    const axisMethod: Interpolator = isIdentity ? 'nearest' : method;
    const t = axisTaps(axisMethod, boundary, n, grid.start[d], grid.step[d], region.lo[d], region.hi[d]);
    taps.push(t);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < t.index.length; i++) {
      if (t.weight[i] === 0) continue;
      lo = Math.min(lo, t.index[i]);
      hi = Math.max(hi, t.index[i]);
    }
    if (lo === Infinity) {
      lo = 0;
      hi = 0;
    }
    if (method === 'cubic-spline' && !isIdentity) {
      // Spline coefficients depend on the whole line; 12 extra samples make the truncation
      // error negligible (|pole|^12 ≈ 1e-7 of a tap that itself decays further).
      lo = Math.max(lo - SPLINE_PAD, -SPLINE_PAD);
      hi = Math.min(hi + SPLINE_PAD, n - 1 + SPLINE_PAD);
    }
    srcLo[d] = lo;
    srcHi[d] = hi;
  }
  // Gather the source box (indices beyond the image repeat the edge; for `zero` boundary such
  // samples carry weight 0 anyway).
  const bx = srcHi[0] - srcLo[0] + 1;
  const by = srcHi[1] - srcLo[1] + 1;
  const bz = srcHi[2] - srcLo[2] + 1;
  let work: Float64Array = new Float64Array(bx * by * bz);
  const [nx, ny, nz] = source.dims;
  let p = 0;
  for (let z = 0; z < bz; z++) {
    const sz = Math.min(nz - 1, Math.max(0, srcLo[2] + z));
    for (let y = 0; y < by; y++) {
      const sy = Math.min(ny - 1, Math.max(0, srcLo[1] + y));
      const rowBase = nx * (sy + ny * sz);
      for (let x = 0; x < bx; x++) {
        const sx = Math.min(nx - 1, Math.max(0, srcLo[0] + x));
        work[p++] = source.data[rowBase + sx];
      }
    }
  }
  let dims: Vec3 = [bx, by, bz];
  if (method === 'cubic-spline') {
    for (let d = 0; d < 3; d++) if (!identity[d]) splineFilterAxis(work, dims, d);
  }
  for (let d = 0; d < 3; d++) {
    work = applyAxis(work, dims, d, taps[d], srcLo[d], outDims[d]);
    dims = [dims[0], dims[1], dims[2]];
    dims[d] = outDims[d];
  }
  return work;
}
