import { resegment } from '../../../src/radiomics/preprocess/resegment';
import { DiscretisationError, discretise } from '../../../src/radiomics/preprocess/discretise';
import { roundHalfEven, roundSignificant } from '../../../src/radiomics/math/rounding';

const all = (n: number) => new Uint8Array(n).fill(1);

describe('re-segmentation', () => {
  const image = Float64Array.from([-1200, -900, -10, 0, 10, 380, 500, 3000]);
  test('by range keeps [lower, upper], bounds included', () => {
    const r = resegment(image, all(8), { lower: -900, upper: 380 }, null);
    expect([...r.intensityMask]).toEqual([0, 1, 1, 1, 1, 1, 0, 0]);
    expect(r.applied).toEqual({ lower: -900, upper: 380 });
  });

  test('by outliers keeps mean ± 3 SD of the (morphological) ROI', () => {
    const values = Float64Array.from([...Array(99).fill(0).map((_, i) => (i % 3) - 1), 1000]);
    const r = resegment(values, all(100), null, 3);
    const mean = values.reduce((a, b) => a + b) / 100;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / 100);
    expect(r.applied.lower).toBeCloseTo(mean - 3 * sd, 9);
    expect(r.applied.upper).toBeCloseTo(mean + 3 * sd, 9);
    expect(r.intensityMask[99]).toBe(0);
    expect(r.voxels).toBe(99);
  });

  test('range and outliers combine as the intersection', () => {
    const r = resegment(image, all(8), { lower: -1000, upper: 400 }, 100);
    expect(r.applied.lower).toBe(-1000);
    expect(r.applied.upper!).toBeLessThanOrEqual(400);
  });

  test('voxels outside the morphological mask never enter', () => {
    const mask = Uint8Array.from([0, 1, 1, 1, 1, 1, 1, 0]);
    expect([...resegment(image, mask, null, null).intensityMask]).toEqual([...mask]);
  });

  test('the same pass counts the morphological voxels and, when asked, those below an intensity (the ring\'s air)', () => {
    const mask = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0]);
    const r = resegment(image, mask, { lower: -1000, upper: null }, null, undefined, -500);
    expect(r.voxels).toBe(5); // −1200 is cut, 0 and 3000 lie outside the mask
    expect(r.morphological).toBe(6);
    expect(r.below).toBe(2); // −1200 and −900; −500 itself is not below
    expect(resegment(image, mask, null, null).below).toBe(0);
  });
});

describe('discretisation', () => {
  const image = Float64Array.from([-1000, -976, -975, 0, 24.9, 25, 400]);
  test('fixed bin size counts bins of width w from the lower bound, first bin 1', () => {
    const d = discretise(image, all(7), { method: 'fixed_bin_size', binWidth: 25, lowerBound: -1000 });
    expect([...d.levels]).toEqual([1, 1, 2, 41, 41, 42, 57]);
    expect(d.nLevels).toBe(57);
  });

  test('fixed bin number spans the ROI min..max; the maximum falls in the last bin', () => {
    const d = discretise(Float64Array.from([10, 20, 30, 40]), all(4), { method: 'fixed_bin_number', binCount: 3 });
    expect([...d.levels]).toEqual([1, 2, 3, 3]);
    expect(d.nLevels).toBe(3);
  });

  test('voxels outside the intensity mask stay 0', () => {
    const d = discretise(image, Uint8Array.from([1, 0, 1, 0, 1, 0, 1]), { method: 'fixed_bin_number', binCount: 4 });
    expect([...d.levels].filter((_, i) => i % 2 === 1)).toEqual([0, 0, 0]);
  });

  test('"none" demands integer grey levels from 1', () => {
    expect(discretise(Float64Array.from([1, 6, 4]), all(3), { method: 'none' }).nLevels).toBe(6);
    expect(() => discretise(Float64Array.from([0, 2]), all(2), { method: 'none' })).toThrow(DiscretisationError);
  });
});

describe('rounding', () => {
  test('interpolated intensities round to the nearest integer, ties to even (as numpy)', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, -3]);
  });
  test('the same values as Math.round with ties moved to even, the sign of zero and awkward doubles included', () => {
    const reference = (x: number) => {
      const r = Math.round(x);
      return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    const awkward = [0, -0, 0.49999999999999994, -0.49999999999999994, 0.5000000000000001, -0.5000000000000001, 1e-300, -1e-300,
      2 ** 52 - 0.5, -(2 ** 52) + 0.5, 2 ** 52 + 1, 2 ** 53, -(2 ** 53) - 2, 4503599627370495.5, -4503599627370495.5,
      Number.MIN_VALUE, -Number.MIN_VALUE, Infinity, -Infinity, NaN, -1, -2, -1.5, -2.5, 3.5, 1 - 2 ** -53, -1 + 2 ** -53];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const values = [...awkward];
    for (let i = 0; i < 20000; i++) values.push((random() - 0.5) * 4000, Math.round((random() - 0.5) * 8000) / 2, (random() - 0.5) * 2);
    for (const x of values) expect(Object.is(roundHalfEven(x), reference(x)) ? x : [x, roundHalfEven(x), reference(x)]).toBe(x);
  });
  test('significant digits', () => {
    expect(roundSignificant(0.094596, 3)).toBe(0.0946);
    expect(roundSignificant(-18035000, 2)).toBe(-18000000);
  });
});
