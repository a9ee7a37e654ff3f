/** The whole chain on synthetic volumes whose features are known in closed form. */
import { RadiomicsInputError, extractFeatures, extractRegions } from '../../../src/radiomics/extract';
import { ExtractionStopped } from '../../../src/radiomics/stop';
import { parseRadiomicsSettings } from '../../../src/radiomics/settings';
import { FeatureValue, featureKey } from '../../../src/radiomics/feature';
import { Mask, Vec3 } from '../../../src/radiomics/volume';
import { ballMask, count, volumeOf } from './helpers';

const settings = (over: Record<string, unknown> = {}) =>
  parseRadiomicsSettings({
    interpolation: { method: 'linear', spacingMm: [1, 1, 1] },
    resegmentation: { lower: -1000, upper: null },
    discretisation: { method: 'fixed_bin_size', binWidth: 25 },
    features: { families: ['morphology', 'local_intensity', 'intensity_statistics', 'intensity_histogram', 'intensity_volume_histogram'], exclude: ['morph_moran_i', 'morph_geary_c'] },
    ring: { innerMm: 2, outerMm: 3 },
    ...over,
  });

const value = (r: { features: FeatureValue[] }, tag: string) => r.features.find((f) => featureKey(f) === tag)!.value;

describe('extractFeatures', () => {
  // A ball of 12 mm radius at 40 HU in water (0 HU), sampled at 1 × 1 × 2 mm.
  const dims: Vec3 = [40, 40, 20];
  const spacing: Vec3 = [1, 1, 2];
  const centre: Vec3 = [19.5, 19.5, 19];
  const mask = ballMask(dims, spacing, 12, centre);
  const image = volumeOf(dims, spacing, () => 40);

  test('a constant ball: intensity features in closed form, volume of the sphere', () => {
    const r = extractFeatures(image, mask, settings());
    expect(value(r, 'stat_mean')).toBe(40);
    expect(value(r, 'stat_var')).toBe(0);
    expect(value(r, 'stat_skew')).toBe(0);
    expect(value(r, 'loc_peak_glob')).toBe(40);
    expect(value(r, 'ih_mean')).toBe(Math.floor((40 + 1000) / 25) + 1);
    expect(value(r, 'ih_entropy')).toBe(0);
    const v = (4 / 3) * Math.PI * 12 ** 3;
    expect(Math.abs(value(r, 'morph_vol') / v - 1)).toBeLessThan(0.03);
    expect(value(r, 'morph_integ_int')).toBeCloseTo(40 * value(r, 'morph_vol'), 6);
    // A voxelised ball (2 mm slices resampled to 1 mm) keeps some staircase: sphericity below 1.
    expect(value(r, 'morph_sphericity')).toBeGreaterThan(0.8);
    expect(Math.abs(value(r, 'morph_pca_major') / value(r, 'morph_pca_least') - 1)).toBeLessThan(0.05);
    // Excluded features are absent; everything else is a number.
    expect(r.features.find((f) => f.tag === 'morph_moran_i')).toBeUndefined();
    expect(r.diagnostics.grid.spacing).toEqual([1, 1, 1]);
    expect(r.diagnostics.voxels.morphological).toBe(r.diagnostics.voxels.intensity);
  });

  test('a two-level ball: mean, variance and histogram from the two volumes', () => {
    // Upper half (z > centre) at 100 HU, lower half at 0 HU; no interpolation so the counts are exact.
    const twoLevel = volumeOf(dims, spacing, (_x, _y, z) => (z * 2 > centre[2] ? 100 : 0));
    const r = extractFeatures(twoLevel, mask, settings({ interpolation: { method: 'none' } }));
    let high = 0;
    let n = 0;
    mask.data.forEach((m, i) => {
      if (!m) return;
      n++;
      if (twoLevel.data[i] === 100) high++;
    });
    const p = high / n;
    expect(value(r, 'stat_mean')).toBeCloseTo(100 * p, 10);
    expect(value(r, 'stat_var')).toBeCloseTo(100 * 100 * p * (1 - p), 8);
    expect(value(r, 'ih_uniformity')).toBeCloseTo(p * p + (1 - p) * (1 - p), 12);
    expect(value(r, 'stat_min')).toBe(0);
    expect(value(r, 'stat_max')).toBe(100);
  });

  test('re-segmentation removes voxels from the intensity mask only', () => {
    const withAir = volumeOf(dims, spacing, (x) => (x < 19 ? -900 : 40));
    const r = extractFeatures(withAir, mask, settings({ interpolation: { method: 'none' }, resegmentation: { lower: -500, upper: null } }));
    expect(r.diagnostics.voxels.intensity).toBeLessThan(r.diagnostics.voxels.morphological);
    expect(r.diagnostics.voxels.morphological).toBe(count(mask.data));
    expect(value(r, 'stat_min')).toBe(40);
    expect(value(r, 'morph_approx_vol')).toBe(count(mask.data) * 2);
  });

  test('ring and tumour share one interpolation; the ring is a shell of the expected volume', () => {
    const both = extractRegions(image, mask, settings(), ['roi', 'ring']);
    const ring = both.ring!;
    expect(ring.diagnostics.region).toBe('ring');
    expect(ring.diagnostics.ring!.clipped).toBe(false);
    const shell = (4 / 3) * Math.PI * (15 ** 3 - 10 ** 3);
    expect(Math.abs(value(ring, 'morph_approx_vol') / shell - 1)).toBeLessThan(0.1);
    expect(value(ring, 'stat_mean')).toBeCloseTo(40, 6);
    expect(both.roi!.diagnostics.region).toBe('roi');
  });

  test('a caller that no longer needs the result stops it between steps; asked and never stopping, it changes nothing', () => {
    const asked: number[] = [];
    let calls = 0;
    const whole = extractRegions(image, mask, settings(), ['roi', 'ring'], { shouldStop: () => (asked.push(++calls), false) });
    // Asked before the interpolation, before each region and before each of its five families.
    expect(calls).toBe(1 + 2 * (1 + 5));
    const plain = extractRegions(image, mask, settings(), ['roi', 'ring']);
    expect(whole.roi!.features).toEqual(plain.roi!.features);
    expect(whole.ring!.features).toEqual(plain.ring!.features);
    // With texture: asked before the texture step and before each texture family's matrices too.
    let textureCalls = 0;
    const texture = settings({ features: { families: ['morphology', 'glcm', 'glrlm'], exclude: ['morph_moran_i', 'morph_geary_c'] } });
    expect(() => extractRegions(image, mask, texture, ['roi'], { shouldStop: () => ++textureCalls === 5 })).toThrow(ExtractionStopped);
    expect(textureCalls).toBe(5); // interpolation, region, morphology, texture, glcm: stopped before glcm's matrices
    for (const at of [1, 2, calls]) {
      let n = 0;
      expect(() => extractRegions(image, mask, settings(), ['roi', 'ring'], { shouldStop: () => ++n === at })).toThrow(ExtractionStopped);
      expect(n).toBe(at);
    }
  });

  test('a ring cut by the image border is flagged', () => {
    const edge = ballMask(dims, spacing, 6, [19.5, 19.5, 4]);
    const r = extractFeatures(image, edge, settings(), 'ring');
    expect(r.diagnostics.ring!.clipped).toBe(true);
    expect(r.diagnostics.ring!.clippedAt).toContain('z-');
    expect(r.diagnostics.warnings.join(' ')).toMatch(/reaches beyond the image/);
  });

  test('a partial volume aligned on its whole image gives the features of the whole image', () => {
    const d: Vec3 = [40, 40, 26];
    const ball = ballMask(d, spacing, 12, [19.5, 19.5, 25]); // slices 7..19
    const textured = volumeOf(d, spacing, (x, y, z) => ((x * 7 + y * 13 + z * 29) % 50) - 10);
    const whole = extractFeatures(textured, ball, settings());
    // Slices 2..23 only: enough for the interpolated mask (±1 slice) and the 6.2 mm sphere of
    // the local peaks; the origin moves with the first slice.
    const first = 2;
    const count = 22;
    const n = d[0] * d[1];
    const part = { dims: [d[0], d[1], count] as Vec3, spacing, origin: [0, 0, first * spacing[2]] as Vec3, data: textured.data.slice(first * n, (first + count) * n) };
    const partMask: Mask = { ...part, data: ball.data.slice(first * n, (first + count) * n) };
    const aligned = extractFeatures(part, partMask, settings(), 'roi', { alignTo: { dims: d, spacing, origin: [0, 0, 0] } });
    // Equal up to rounding (positions are measured from a different working box).
    for (const f of whole.features) {
      const g = aligned.features.find((x) => x.tag === f.tag)!.value;
      expect([f.tag, Math.abs(g - f.value) <= 1e-9 * Math.max(1, Math.abs(f.value))]).toEqual([f.tag, true]);
    }
    // Without alignTo the grid would be centred on the part, and the values would move.
    const unaligned = extractFeatures(part, partMask, settings());
    expect(unaligned.diagnostics.grid.dims[2]).not.toBe(whole.diagnostics.grid.dims[2]);
  });

  test('invalid input is refused with what to do', () => {
    const empty: Mask = { ...mask, data: new Uint8Array(mask.data.length) };
    expect(() => extractFeatures(image, empty, settings())).toThrow(RadiomicsInputError);
    expect(() => extractFeatures(image, empty, settings())).toThrow(/mask is empty/);
    const shifted: Mask = { ...mask, origin: [5, 0, 0] };
    expect(() => extractFeatures(image, shifted, settings())).toThrow(/differs from the image grid.*resample the mask/);
  });

  test('texture families compute every requested aggregation that applies to them', () => {
    const r = extractFeatures(image, mask, settings({ features: { families: ['glcm', 'ngtdm', 'intensity_statistics'], texture: { aggregations: ['3D merged', '3D'] } } }));
    expect(r.diagnostics.texture).toBe('computed');
    expect(r.features.filter((f) => f.family === 'glcm').map((f) => f.aggregation)).toEqual(Array(25).fill('3D merged'));
    expect(r.features.filter((f) => f.family === 'ngtdm').map((f) => f.aggregation)).toEqual(Array(5).fill('3D'));
    // A constant ball holds one grey level: contrast 0, joint maximum 1.
    expect(value(r, 'cm_contrast[3D merged]')).toBe(0);
    expect(value(r, 'cm_joint_max[3D merged]')).toBe(1);
  });

  test('texture of a region emptied by re-segmentation is undefined, with the reason', () => {
    const r = extractFeatures(image, mask, settings({ resegmentation: { lower: 100, upper: null }, features: { families: ['glcm', 'intensity_statistics'] } }));
    expect(r.diagnostics.voxels.intensity).toBe(0);
    const glcm = r.features.filter((f) => f.family === 'glcm');
    expect(glcm.length).toBeGreaterThan(0);
    for (const f of glcm) expect([f.tag, f.value, f.reason]).toEqual([f.tag, NaN, 'the ROI intensity mask is empty']);
  });
});
