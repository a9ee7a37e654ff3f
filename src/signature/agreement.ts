/**
 * How well scores agree with a ground truth (pure): Spearman correlation and the AUC of a binary
 * split, each with a 95 % confidence interval, and a calibration table.
 *  - Spearman ρ: Pearson correlation of mid-ranks; CI by Fisher's z with the Bonett–Wright
 *    standard error √((1 + ρ²/2)/(n − 3)).
 *  - AUC: Mann–Whitney probability that a positive outranks a negative (ties count ½); CI
 *    AUC ± 1.96·SE with DeLong's variance (as R's pROC::ci.auc, method "delong"), clipped to [0, 1].
 */
import { percentile } from '../cd8/statistics';

const Z95 = 1.959963984540054;

export interface Estimate {
  value: number;
  low: number;
  high: number;
  n: number;
}

/** Mid-ranks (1-based), ties sharing their average rank. */
export function ranks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

export function spearman(x: readonly number[], y: readonly number[]): Estimate {
  const n = x.length;
  const rho = pearson(ranks(x), ranks(y));
  if (n < 4 || !Number.isFinite(rho) || Math.abs(rho) === 1) return { value: rho, low: NaN, high: NaN, n };
  const z = Math.atanh(rho);
  const se = Math.sqrt((1 + (rho * rho) / 2) / (n - 3));
  return { value: rho, low: Math.tanh(z - Z95 * se), high: Math.tanh(z + Z95 * se), n };
}

/** AUC of `scores` for `positive` (true = the class a higher score should mean), DeLong CI. */
export function auc(scores: readonly number[], positive: readonly boolean[]): Estimate {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  const m = pos.length;
  const k = neg.length;
  const n = scores.length;
  if (m === 0 || k === 0) return { value: NaN, low: NaN, high: NaN, n };
  const psi = (a: number, b: number) => (a > b ? 1 : a === b ? 0.5 : 0);
  const v10 = pos.map((p) => neg.reduce((s, q) => s + psi(p, q), 0) / k);
  const v01 = neg.map((q) => pos.reduce((s, p) => s + psi(p, q), 0) / m);
  const a = v10.reduce((s, x) => s + x, 0) / m;
  const variance = (v: number[]) => (v.length < 2 ? 0 : v.reduce((s, x) => s + (x - a) ** 2, 0) / (v.length - 1));
  const se = Math.sqrt(variance(v10) / m + variance(v01) / k);
  // Complete separation (or too few of a class) leaves DeLong's variance at 0: no interval, rather than one of no width.
  if (!(se > 0)) return { value: a, low: NaN, high: NaN, n };
  return { value: a, low: Math.max(0, a - Z95 * se), high: Math.min(1, a + Z95 * se), n };
}

export interface CalibrationRow {
  group: number;
  n: number;
  scoreLow: number;
  scoreHigh: number;
  meanScore: number;
  meanTarget: number;
}

/** Lesions in `groups` groups of equal size by score (quantiles); mean score and mean target in each. */
export function calibrationTable(scores: readonly number[], target: readonly number[], groups = 5): CalibrationRow[] {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const g = Math.max(1, Math.min(groups, order.length));
  const rows: CalibrationRow[] = [];
  for (let k = 0; k < g; k++) {
    const idx = order.slice(Math.floor((k * order.length) / g), Math.floor(((k + 1) * order.length) / g));
    if (idx.length === 0) continue;
    const s = idx.map((i) => scores[i]);
    rows.push({
      group: k + 1,
      n: idx.length,
      scoreLow: Math.min(...s),
      scoreHigh: Math.max(...s),
      meanScore: s.reduce((a, b) => a + b, 0) / s.length,
      meanTarget: idx.reduce((a, i) => a + target[i], 0) / idx.length,
    });
  }
  return rows;
}

/** The median of the target: lesions at or above it are the positive ("hot") class. */
export function medianSplit(target: readonly number[]): { cut: number; positive: boolean[] } {
  const cut = percentile([...target].sort((a, b) => a - b), 50);
  return { cut, positive: target.map((t) => t >= cut) };
}
