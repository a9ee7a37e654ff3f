/**
 * Radix-2 complex FFT, in place on separate real/imaginary Float64Arrays, and its 3-D form
 * (1-D transforms along each axis). Used for exact all-pairs sums over a region (Moran's I,
 * Geary's C): O(N log N) instead of O(N²).
 */

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

interface Plan {
  n: number;
  cos: Float64Array;
  sin: Float64Array;
  rev: Uint32Array;
}

const plans = new Map<number, Plan>();

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (n < 1 || (n & (n - 1)) !== 0) throw new Error(`FFT length ${n} is not a power of two.`);
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.round(Math.log2(n));
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) if (i & (1 << b)) r |= 1 << (bits - 1 - b);
    rev[i] = r;
  }
  p = { n, cos, sin, rev };
  plans.set(n, p);
  return p;
}

/** Forward transform X_k = Σ x_j e^{-2πi jk/n} (inverse = true: e^{+…}, unscaled). */
export function fft1d(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n <= 1) return;
  const { cos, sin, rev } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size *= 2) {
    const halfSize = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < halfSize; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = start + k;
        const b = a + halfSize;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/** In-place 3-D FFT of an nx × ny × nz array (x fastest), every size a power of two. */
export function fft3d(re: Float64Array, im: Float64Array, dims: [number, number, number], inverse = false): void {
  const strides = [1, dims[0], dims[0] * dims[1]];
  for (let axis = 0; axis < 3; axis++) {
    const n = dims[axis];
    if (n <= 1) continue;
    const stride = strides[axis];
    const lineRe = new Float64Array(n);
    const lineIm = new Float64Array(n);
    // Iterate over every line along `axis`: the two other indices.
    const [a1, a2] = [0, 1, 2].filter((d) => d !== axis);
    for (let j = 0; j < dims[a2]; j++) {
      for (let i = 0; i < dims[a1]; i++) {
        const base = i * strides[a1] + j * strides[a2];
        let zero = true;
        for (let t = 0; t < n; t++) {
          const r = re[base + t * stride];
          const m = im[base + t * stride];
          lineRe[t] = r;
          lineIm[t] = m;
          if (r !== 0 || m !== 0) zero = false;
        }
        // The transform of a zero line is zero (zero padding leaves many of them).
        if (zero) continue;
        fft1d(lineRe, lineIm, inverse);
        for (let t = 0; t < n; t++) {
          re[base + t * stride] = lineRe[t];
          im[base + t * stride] = lineIm[t];
        }
      }
    }
  }
}
