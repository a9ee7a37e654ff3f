/** Agreement statistics against hand-computed values. */
import { auc, calibrationTable, medianSplit, ranks, spearman } from '../../../src/signature/agreement';
import { formatEstimate } from '../../../src/signature/format';

test('AUC and its DeLong CI on a worked example (3 positives, 4 negatives)', () => {
  // V10 = [1, 1, 0.75], V01 = [2/3, 1, 1, 1]; AUC 11/12; var = S10/3 + S01/4 = 0.0208333/3 + 0.0277778/4.
  const a = auc([0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1], [true, true, true, false, false, false, false]);
  expect(a.value).toBeCloseTo(11 / 12, 12);
  const se = Math.sqrt(0.125 / 6 / 3 + (1 / 36) / 4);
  expect(a.low).toBeCloseTo(11 / 12 - 1.959963984540054 * se, 10);
  expect(a.high).toBe(1);
  // Ties count one half.
  expect(auc([1, 1], [true, false]).value).toBe(0.5);
  expect(Number.isNaN(auc([1, 2], [true, true]).value)).toBe(true);
});

test('Spearman: mid-ranks, ρ = 1 for a monotone relation, Fisher-z CI inside (−1, 1)', () => {
  expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  expect(spearman([1, 2, 3, 4, 5], [1, 8, 27, 64, 125]).value).toBe(1);
  const s = spearman([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7]);
  expect(s.value).toBeCloseTo(1 - (6 * 8) / (8 * 63), 12);
  expect(s.low).toBeGreaterThan(-1);
  expect(s.high).toBeLessThan(1);
  expect(s.low).toBeLessThan(s.value);
});

test('calibration groups by score and the median split', () => {
  const rows = calibrationTable([5, 1, 4, 2, 3, 6], [50, 10, 40, 20, 30, 60], 3);
  expect(rows.map((r) => [r.n, r.scoreLow, r.scoreHigh, r.meanTarget])).toEqual([
    [2, 1, 2, 15],
    [2, 3, 4, 35],
    [2, 5, 6, 55],
  ]);
  expect(medianSplit([1, 2, 3, 4])).toEqual({ cut: 2.5, positive: [false, false, true, true] });
});

test('no confidence interval where its variance is zero (complete separation, a perfect rank order), and the text says so', () => {
  const separated = auc([5, 6, 7, 1, 2, 3], [true, true, true, false, false, false]);
  expect(separated.value).toBe(1);
  expect([separated.low, separated.high].every(Number.isNaN)).toBe(true);
  expect(formatEstimate(separated)).toBe('1 (95 % CI not estimable: too few lesions or perfect agreement)');
  expect(formatEstimate(spearman([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]))).toBe('1 (95 % CI not estimable: too few lesions or perfect agreement)');
  expect(formatEstimate({ value: 0.7412, low: 0.5711, high: 0.8634, n: 100 })).toBe('0.741 (95 % CI 0.571 to 0.863)');
});
