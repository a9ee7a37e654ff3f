/** Small numeric helpers shared by the intensity-based families. */

/**
 * Percentile of ascending `sorted` values with linear interpolation between order statistics
 * (numpy's default "linear" method, which the IBSI reference implementations use).
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

/**
 * Ascending copy as Float64Array. Integer data over a moderate range (HU after rounding) is
 * sorted by counting, O(n + range); anything else by the numeric typed-array sort.
 */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  let integers = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    if (integers && !Number.isInteger(v)) integers = false;
  }
  if (integers && n > 0 && max - min < Math.max(4 * n, 65536)) {
    const counts = new Uint32Array(max - min + 1);
    for (let i = 0; i < n; i++) counts[values[i] - min]++;
    const out = new Float64Array(n);
    let p = 0;
    for (let k = 0; k < counts.length; k++) {
      const c = counts[k];
      if (c === 0) continue;
      out.fill(min + k, p, p + c);
      p += c;
    }
    return out;
  }
  const out = Float64Array.from(values);
  out.sort();
  return out;
}

export interface Moments {
  n: number;
  mean: number;
  /** Population variance (divided by N), as IBSI defines intensity variance. */
  variance: number;
  /** Biased sample skewness m3 / m2^1.5. */
  skewness: number;
  /** Excess kurtosis m4 / m2^2 - 3. */
  kurtosis: number;
}

export function moments(values: ArrayLike<number>): Moments {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return {
    n,
    mean,
    variance: m2,
    skewness: m2 === 0 ? 0 : m3 / Math.pow(m2, 1.5),
    kurtosis: m2 === 0 ? 0 : m4 / (m2 * m2) - 3,
  };
}

/** A sample summarised as the intensity families use it: ascending values, moments, percentiles. */
export interface Distribution extends Moments {
  sorted: Float64Array;
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
}

/** The summary of ascending `sorted` values (not empty). */
export function distribution(sorted: Float64Array): Distribution {
  return {
    ...moments(sorted),
    sorted,
    p10: percentileSorted(sorted, 10),
    p25: percentileSorted(sorted, 25),
    median: percentileSorted(sorted, 50),
    p75: percentileSorted(sorted, 75),
    p90: percentileSorted(sorted, 90),
  };
}

/** Mean of |v − centre| over values[from .. to). */
export function meanAbsoluteDeviation(values: ArrayLike<number>, centre: number, from = 0, to = values.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += Math.abs(values[i] - centre);
  return s / (to - from);
}

/** Robust mean absolute deviation: that of the values between the 10th and 90th percentile, from their own mean. */
export function robustMeanAbsoluteDeviation(d: Distribution): number {
  const v = d.sorted;
  let from = 0;
  while (from < v.length && v[from] < d.p10) from++;
  let to = v.length;
  while (to > from && v[to - 1] > d.p90) to--;
  let sum = 0;
  for (let i = from; i < to; i++) sum += v[i];
  return meanAbsoluteDeviation(v, sum / (to - from), from, to);
}
