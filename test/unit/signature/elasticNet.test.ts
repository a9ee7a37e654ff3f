/**
 * The elastic net's numerics against closed forms: on an orthogonal design the solution is the
 * soft-thresholded correlation shrunk by the ridge part; λ_max is the smallest λ with no input;
 * interpolation between path points; folds keep a patient's lesions together. (The comparison with
 * R glmnet itself is in test/integration/signature.)
 */
import { assignFolds, coefficientsAt, elasticNetPath, ElasticNetError } from '../../../src/signature/elasticNet';

// Hadamard columns: centred, orthogonal, 1/n variance 1.
const H = [
  [1, 1, 1, 1, 1, 1, 1, 1],
  [1, -1, 1, -1, 1, -1, 1, -1],
  [1, 1, -1, -1, 1, 1, -1, -1],
  [1, -1, -1, 1, 1, -1, -1, 1],
];
const x = [H[1], H[2], H[3]].map((c, j) => Float64Array.from(c, (v) => 10 + (j + 1) * v)); // sd j+1, mean 10
const y = Float64Array.from([3, 1, 4, 1, 5, 9, 2, 6]);
const n = 8;
const ybar = y.reduce((a, b) => a + b, 0) / n;
const soft = (z: number, t: number) => Math.sign(z) * Math.max(Math.abs(z) - t, 0);

describe('elasticNetPath', () => {
  // glmnet scales y to unit variance before fitting, so its ridge part acts as λ(1−α)/σ_y on the original scale.
  it.each([1, 0.5, 0.2])('orthogonal design, alpha %s: β_j = S(<x̃_j, y>/n, λα) / (1 + λ(1−α)/σ_y) / sd_j, intercept ȳ − Σ β_j x̄_j', (alpha) => {
    const z = [H[1], H[2], H[3]].map((h) => h.reduce((s, v, i) => s + v * (y[i] - ybar), 0) / n);
    const sy = Math.sqrt(y.reduce((s, v) => s + (v - ybar) ** 2, 0) / n);
    for (const lambda of [0.9, 0.4, 0.05]) {
      const path = elasticNetPath(x, y, { alpha, lambda: [lambda], thresh: 1e-14 });
      const expected = z.map((zj, j) => soft(zj, lambda * alpha) / (1 + (lambda * (1 - alpha)) / sy) / (j + 1));
      path.beta[0].forEach((b, j) => expect(b).toBeCloseTo(expected[j], 10));
      expect(path.a0[0]).toBeCloseTo(ybar - expected.reduce((s, b) => s + b * 10, 0), 10);
    }
  });

  it('starts at λ_max = max|<x̃_j, y − ȳ>| / (n max(α, 0.001)) with no input, 100 λ down to 1e-4 λ_max when n > p (or stops early)', () => {
    const alpha = 0.5;
    const path = elasticNetPath(x, y, { alpha });
    const z = [H[1], H[2], H[3]].map((h) => Math.abs(h.reduce((s, v, i) => s + v * (y[i] - ybar), 0) / n));
    expect(path.lambda[0]).toBeCloseTo(Math.max(...z) / alpha, 10);
    expect(path.beta[0]).toEqual([0, 0, 0]);
    expect(path.beta[1].some((b) => b !== 0)).toBe(true);
    const ratio = path.lambda[1] / path.lambda[0];
    expect(ratio).toBeCloseTo(1e-4 ** (1 / 99), 12);
    expect(path.lambda.length).toBeLessThanOrEqual(100);
    expect(path.devRatio.every((d, i) => i === 0 || d >= path.devRatio[i - 1] - 1e-12)).toBe(true);
  });

  it('keeps a constant column out with a zero coefficient; refuses a constant target', () => {
    const withConstant = [...x, new Float64Array(n).fill(7)];
    const path = elasticNetPath(withConstant, y, { alpha: 1, lambda: [0.1] });
    expect(path.beta[0][3]).toBe(0);
    expect(() => elasticNetPath(x, new Float64Array(n).fill(2), { alpha: 1 })).toThrow(ElasticNetError);
  });
});

describe('coefficientsAt', () => {
  it('interpolates linearly in λ between path points and clamps outside the path', () => {
    const path = { lambda: [4, 2, 1], a0: [0, 1, 3], beta: [[0], [2], [4]], devRatio: [0, 0, 0], nulldev: 1, passes: 0 };
    const [mid, top, below, exact] = coefficientsAt(path, [1.5, 9, 0.5, 2]);
    expect(mid.a0).toBeCloseTo(2, 12);
    expect(mid.beta[0]).toBeCloseTo(3, 12);
    expect(top).toEqual({ a0: 0, beta: [0] });
    expect(below).toEqual({ a0: 3, beta: [4] });
    expect(exact).toEqual({ a0: 1, beta: [2] });
  });
});

describe('assignFolds', () => {
  it('keeps every lesion of a patient in one fold, deals patients evenly, and is reproducible from the seed', () => {
    const groups = Array.from({ length: 40 }, (_, i) => `p${i % 13}`);
    const folds = assignFolds(groups, 5, 11);
    for (const g of new Set(groups)) expect(new Set(folds.filter((_, i) => groups[i] === g)).size).toBe(1);
    const perFold = [1, 2, 3, 4, 5].map((k) => new Set(groups.filter((_, i) => folds[i] === k)).size);
    expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    expect(assignFolds(groups, 5, 11)).toEqual(folds);
    expect(assignFolds(groups, 5, 12)).not.toEqual(folds);
  });
});
