import { STATISTICS, prepareStatistics } from '../../../src/radiomics/features/statistics';
import { HISTOGRAM, prepareHistogram } from '../../../src/radiomics/features/histogram';
import { IVH, prepareIvh } from '../../../src/radiomics/features/ivh';
import { PEAK_RADIUS_MM, SphereMeans, prepareLocalIntensity } from '../../../src/radiomics/features/localIntensity';
import { evaluateFamily } from '../../../src/radiomics/features/family';
import { Vec3 } from '../../../src/radiomics/volume';
import { rng } from './helpers';

const byTag = (values: Array<{ tag: string; value: number }>) => Object.fromEntries(values.map((v) => [v.tag, v.value]));

describe('intensity statistics', () => {
  test('hand-computed values of 1, 2, 2, 3, 10', () => {
    const f = byTag(evaluateFamily(STATISTICS, prepareStatistics([1, 2, 2, 3, 10])));
    expect(f.stat_mean).toBe(3.6);
    expect(f.stat_var).toBeCloseTo(((2.6 ** 2) + 2 * 1.6 ** 2 + 0.6 ** 2 + 6.4 ** 2) / 5, 12);
    expect(f.stat_median).toBe(2);
    expect(f.stat_p10).toBeCloseTo(1.4, 12); // linear interpolation between order statistics
    expect(f.stat_p90).toBeCloseTo(7.2, 12);
    expect(f.stat_iqr).toBe(1);
    expect(f.stat_range).toBe(9);
    expect(f.stat_energy).toBe(118);
    expect(f.stat_medad).toBeCloseTo((1 + 0 + 0 + 1 + 8) / 5, 12);
    // Robust MAD: only values in [P10, P90] = [1.4, 7.2] → 2, 2, 3.
    expect(f.stat_rmad).toBeCloseTo((1 / 3 + 1 / 3 + 2 / 3) / 3, 12);
  });

  test('an empty intensity mask gives NaN with the reason', () => {
    const out = evaluateFamily(STATISTICS, prepareStatistics([]));
    expect(out.every((f) => Number.isNaN(f.value) && f.reason === 'the ROI intensity mask is empty')).toBe(true);
  });

  test('excluded features are left out', () => {
    const out = evaluateFamily(STATISTICS, prepareStatistics([1, 2]), new Set(['stat_mean', 'ECT3']));
    expect(out.map((f) => f.tag)).not.toContain('stat_mean');
    expect(out.map((f) => f.tag)).not.toContain('stat_var');
    expect(out).toHaveLength(STATISTICS.features.length - 2);
  });
});

describe('intensity histogram', () => {
  test('mode ties go to the level nearest the mean; gradient is non-sparse', () => {
    // Levels 1 ×3, 2 ×0, 3 ×3, 4 ×1: mean 2.43; modes 1 and 3 → 3.
    const data = prepareHistogram(Int32Array.from([1, 1, 1, 3, 3, 3, 4, 0, 0]), 4);
    const f = byTag(evaluateFamily(HISTOGRAM, data));
    expect(f.ih_mode).toBe(3);
    // H' = [n2 − n1, (n3 − n1)/2, (n4 − n2)/2, n4 − n3] = [−3, 0, 0.5, −2].
    expect(f.ih_max_grad).toBe(0.5);
    expect(f.ih_max_grad_g).toBe(3);
    expect(f.ih_min_grad).toBe(-3); // at level 1: n2 − n1
    expect(f.ih_min_grad_g).toBe(1);
    expect(f.ih_entropy).toBeCloseTo(-(2 * (3 / 7) * Math.log2(3 / 7) + (1 / 7) * Math.log2(1 / 7)), 12);
  });
});

describe('intensity-volume histogram', () => {
  test('discrete HU in a re-segmentation range: G is the range', () => {
    const f = byTag(evaluateFamily(IVH, prepareIvh([0, 10, 20, 30, 40, 50, 60, 70, 80, 90], { method: 'none' }, { lower: 0, upper: 100 })));
    // γ ≥ 0.1 from intensity 10: 90 % of the voxels are ≥ 10.
    expect(f.ivh_v10).toBeCloseTo(0.9, 12);
    // γ ≥ 0.9 from intensity 90: ν(90) = 0.1.
    expect(f.ivh_v90).toBeCloseTo(0.1, 12);
    // I10: lowest intensity with ν ≤ 0.1 is 81 (only the 90 is ≥ 81).
    expect(f.ivh_i10).toBe(81);
  });

  test('fixed bin number for arbitrary units uses bin numbers 1..N', () => {
    const d = prepareIvh([0, 1, 2, 3], { method: 'fixed_bin_number', binCount: 4 }, { lower: null, upper: null });
    expect('intensity' in d && [...d.intensity]).toEqual([1, 2, 3, 4]);
  });
});

describe('local intensity peaks', () => {
  /** Peaks by direct averaging over every voxel within the 1 cm³ sphere. */
  function bruteForcePeaks(dims: Vec3, spacing: Vec3, image: Float64Array, mask: Uint8Array) {
    const [nx, ny] = dims;
    const at = (i: number) => [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
    const reach = [0, 1, 2].map((d) => Math.floor(PEAK_RADIUS_MM / spacing[d]));
    const r2 = PEAK_RADIUS_MM * PEAK_RADIUS_MM;
    const sphereMean = (i: number) => {
      const p = at(i);
      let s = 0, n = 0;
      for (let z = Math.max(0, p[2] - reach[2]); z <= Math.min(dims[2] - 1, p[2] + reach[2]); z++)
        for (let y = Math.max(0, p[1] - reach[1]); y <= Math.min(ny - 1, p[1] + reach[1]); y++)
          for (let x = Math.max(0, p[0] - reach[0]); x <= Math.min(nx - 1, p[0] + reach[0]); x++) {
            if (((p[0] - x) * spacing[0]) ** 2 + ((p[1] - y) * spacing[1]) ** 2 + ((p[2] - z) * spacing[2]) ** 2 > r2) continue;
            s += image[x + nx * (y + ny * z)];
            n++;
          }
      return s / n;
    };
    let global = -Infinity, local = -Infinity, max = -Infinity;
    mask.forEach((m, i) => { if (m) max = Math.max(max, image[i]); });
    mask.forEach((m, i) => {
      if (!m) return;
      const v = sphereMean(i);
      global = Math.max(global, v);
      if (image[i] === max) local = Math.max(local, v);
    });
    return { global, local };
  }

  test('the fast sphere sums equal a direct average over the 1 cm³ sphere', () => {
    const dims: Vec3 = [18, 17, 9];
    const spacing: Vec3 = [0.9, 1.2, 2.5];
    const random = rng(9);
    const image = Float64Array.from({ length: 18 * 17 * 9 }, () => Math.round(random() * 100));
    const mask = Uint8Array.from({ length: image.length }, () => (random() < 0.3 ? 1 : 0));
    const d = prepareLocalIntensity({ dims, spacing, image, intensityMask: mask });
    const expected = bruteForcePeaks(dims, spacing, image, mask);
    expect('global' in d && d.global).toBeCloseTo(expected.global, 10);
    expect('local' in d && d.local).toBeCloseTo(expected.local, 10);
  });

  test('integer images: the block-pruned global peak search finds exactly the peak of a full search', () => {
    // Dims not a multiple of the 4 × 2 × 2 blocks. The highest sphere mean is around the dark
    // centre of a bright shell (its own block holds no bright voxel: the bound must come from the
    // neighbourhood); a plateau of 300 gives a good mean early; a spike of 2000 near the border
    // is the highest bound with a low mean; noise everywhere; regions reach the image border.
    const dims: Vec3 = [37, 29, 23];
    const spacing: Vec3 = [1, 1, 1];
    const [nx, ny] = dims;
    const random = rng(5);
    const image = new Float64Array(nx * ny * dims[2]);
    const shellCentre = (i: number) => Math.hypot((i % nx) - 10, (Math.floor(i / nx) % ny) - 14, Math.floor(i / (nx * ny)) - 11);
    for (let i = 0; i < image.length; i++) {
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      const r = shellCentre(i);
      const base = r > 3.5 && r < 6.5 ? 1000 : Math.hypot(x - 26, y - 14, z - 12) < 5 ? 300 : 0;
      image[i] = base + Math.round(random() * 120 - 60);
    }
    image[33 + nx * (4 + ny * 3)] = 2000;
    const regions = [
      Uint8Array.from(image, (_, i) => (random() < 0.06 || shellCentre(i) <= 1 ? 1 : 0)), // everywhere, border included
      Uint8Array.from(image, (_, i) => ((i % nx > 20 && random() < 0.2) || shellCentre(i) <= 1 ? 1 : 0)),
    ];
    const shared = new SphereMeans(image, dims, spacing);
    for (const mask of regions) {
      const expected = bruteForcePeaks(dims, spacing, image, mask);
      const d = prepareLocalIntensity({ dims, spacing, image, intensityMask: mask, sphereMeans: shared });
      expect(d).toEqual({ local: expected.local, global: expected.global });
    }
  });

  test('regions of one image share the sphere means, whole spheres and cut ones alike, integer or not', () => {
    // Large enough for spheres that lie wholly inside the image; a second region overlapping the first.
    const dims: Vec3 = [32, 30, 24];
    const spacing: Vec3 = [1, 1, 1];
    const random = rng(21);
    for (const integers of [true, false]) {
      const image = Float64Array.from({ length: dims[0] * dims[1] * dims[2] }, () => (integers ? Math.round(random() * 200 - 100) : random() * 200 - 100));
      const first = Uint8Array.from({ length: image.length }, () => (random() < 0.03 ? 1 : 0));
      const second = Uint8Array.from(first, (v, i) => (random() < 0.5 ? v : i % 29 === 0 ? 1 : 0));
      const shared = new SphereMeans(image, dims, spacing);
      for (const mask of [first, second]) {
        const alone = prepareLocalIntensity({ dims, spacing, image, intensityMask: mask });
        const withShared = prepareLocalIntensity({ dims, spacing, image, intensityMask: mask, sphereMeans: shared });
        expect(withShared).toEqual(alone);
        // A larger box than the mask's, as the extraction passes the morphological mask's: the same peaks.
        const box = { lo: [0, 1, 0] as Vec3, hi: [31, 29, 23] as Vec3 };
        expect(prepareLocalIntensity({ dims, spacing, image, intensityMask: mask, box })).toEqual(alone);
        const expected = bruteForcePeaks(dims, spacing, image, mask);
        expect('global' in alone && alone.global).toBeCloseTo(expected.global, 9);
        expect('local' in alone && alone.local).toBeCloseTo(expected.local, 9);
      }
    }
  });

  test('a box given by the caller (any box holding the mask, e.g. the morphological one; null: empty mask)', () => {
    const dims: Vec3 = [12, 11, 10];
    const n = dims[0] * dims[1] * dims[2];
    expect(prepareLocalIntensity({ dims, spacing: [1, 1, 1], image: new Float64Array(n), intensityMask: new Uint8Array(n), box: null })).toEqual({ unavailable: 'the ROI intensity mask is empty' });
  });
});
