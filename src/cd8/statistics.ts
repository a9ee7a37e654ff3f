/** Descriptive statistics of lesion scores (pure). */

/** Percentile by linear interpolation between order statistics (Hyndman–Fan type 7, as R and numpy default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * (p / 100);
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleSd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

/**
 * Shannon entropy (bits) of the lesion-score histogram, a dispersion measure of inter-lesion
 * heterogeneity. Bins: Sturges' rule, ⌈log2 n⌉ + 1 equal-width bins spanning [min, max];
 * all scores equal (or a single lesion) → 0. The publications use "entropy" without giving
 * their binning (cd8-signature.md: definition PENDING), so this one is documented, not claimed.
 */
export function histogramEntropy(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return 0;
  const bins = Math.ceil(Math.log2(n)) + 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins))]++;
  return -counts.filter((c) => c > 0).reduce((a, c) => a + (c / n) * Math.log2(c / n), 0);
}
