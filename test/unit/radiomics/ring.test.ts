import { dilateMm, erodeMm, peritumoralRing } from '../../../src/radiomics/preprocess/ring';
import { squaredDistanceToFeature } from '../../../src/radiomics/preprocess/distance';
import { Vec3 } from '../../../src/radiomics/volume';
import { ballMask, count, rng } from './helpers';

describe('distance transform in millimetres', () => {
  test('equals the brute-force nearest distance on an anisotropic grid', () => {
    const dims: Vec3 = [9, 8, 6];
    const spacing: Vec3 = [0.7, 1.1, 3];
    const random = rng(7);
    const feature = Uint8Array.from({ length: 9 * 8 * 6 }, () => (random() < 0.05 ? 1 : 0));
    const d2 = squaredDistanceToFeature(feature, dims, spacing);
    const points: Vec3[] = [];
    feature.forEach((v, i) => v && points.push([i % 9, Math.floor(i / 9) % 8, Math.floor(i / 72)]));
    for (let i = 0; i < feature.length; i++) {
      const p = [i % 9, Math.floor(i / 9) % 8, Math.floor(i / 72)];
      const brute = Math.min(...points.map((q) => ((p[0] - q[0]) * 0.7) ** 2 + ((p[1] - q[1]) * 1.1) ** 2 + ((p[2] - q[2]) * 3) ** 2));
      expect(d2[i]).toBeCloseTo(brute, 9);
    }
  });
});

describe('dilation and erosion by rows of bits (spacings in 1/1024 mm)', () => {
  // The ring's slack: a voxel exactly at r is inside.
  const r2 = (r: number) => r * r * (1 + 1e-9) + 1e-9;

  test.each([
    ['1 mm, r = 5 (distances of exactly 5 mm: (3, 4, 0), (0, 0, 5))', [37, 23, 14], [1, 1, 1], 5],
    ['CT-like 0.9765625 × 0.9765625 × 2.5 mm, r = 5', [45, 40, 9], [0.9765625, 0.9765625, 2.5], 5],
    ['0.125 mm in-plane (a ball 40 voxels wide: shifts by more than a word)', [90, 70, 5], [0.125, 0.125, 3], 5],
  ])('equal the distance transform voxel for voxel: %s', (_name, dims, spacing, r) => {
    const d = dims as Vec3;
    const s = spacing as Vec3;
    const random = rng(3);
    const mask = Uint8Array.from({ length: d[0] * d[1] * d[2] }, (_, i) => (Math.hypot((i % d[0]) - d[0] / 2, (Math.floor(i / d[0]) % d[1]) - d[1] / 2) < d[1] / 3 || random() < 0.02 ? 1 : 0));
    const toMask = squaredDistanceToFeature(mask, d, s, 1);
    const toBackground = squaredDistanceToFeature(mask, d, s, 0);
    const dilated = dilateMm(mask, d, s, r);
    const eroded = erodeMm(mask, d, s, r);
    expect(Array.from(dilated)).toEqual(Array.from(toMask, (v) => (v <= r2(r) ? 1 : 0)));
    expect(Array.from(eroded)).toEqual(Array.from(toBackground, (v, i) => (mask[i] === 1 && v > r2(r) ? 1 : 0)));
  });
});

describe('peritumoral ring', () => {
  const dims: Vec3 = [61, 61, 61];
  const spacing: Vec3 = [1, 1, 1];
  const ball = ballMask(dims, spacing, 10);

  /** a ⊆ b, voxel by voxel. */
  const within = (a: Uint8Array, b: Uint8Array) => a.every((v, i) => !v || b[i] === 1);
  // On a lattice, the ball of radius R dilated by r lies between the balls of radius R + r − √3
  // and R + r (triangle inequality; every continuous point is within √3/2 voxel of a lattice one).
  const slack = Math.sqrt(3);

  test('dilation and erosion by r mm lie between balls of radius R ± r (up to the lattice)', () => {
    const dilated = dilateMm(ball.data, dims, spacing, 5);
    expect(within(ballMask(dims, spacing, 15 - slack).data, dilated)).toBe(true);
    expect(within(dilated, ballMask(dims, spacing, 15).data)).toBe(true);
    const eroded = erodeMm(ball.data, dims, spacing, 5);
    expect(within(ballMask(dims, spacing, 5).data, eroded)).toBe(true);
    expect(within(eroded, ballMask(dims, spacing, 5 + slack).data)).toBe(true);
  });

  test('the ring is the band between them, and fits the shell volume', () => {
    const r = peritumoralRing(ball.data, dims, spacing, { innerMm: 3, outerMm: 5 });
    const dilated = dilateMm(ball.data, dims, spacing, 5);
    const eroded = erodeMm(ball.data, dims, spacing, 3);
    expect(r.ring.every((v, i) => v === (dilated[i] && !eroded[i] ? 1 : 0))).toBe(true);
    expect(r.voxels).toBe(count(r.ring));
    const shell = (4 / 3) * Math.PI * (15 ** 3 - 7 ** 3);
    expect(Math.abs(r.voxels - shell) / shell).toBeLessThan(0.08);
    expect(r.clipped).toBe(false);
  });

  test('the structuring element is spherical in mm on anisotropic voxels', () => {
    // 0.5 × 0.5 × 2 mm voxels: a 4 mm outer ring reaches 8 voxels in-plane, 2 slices across.
    const d: Vec3 = [81, 81, 21];
    const s: Vec3 = [0.5, 0.5, 2];
    const b = ballMask(d, s, 8);
    const ring = peritumoralRing(b.data, d, s, { innerMm: 0, outerMm: 4 }).ring;
    const extent = (axis: number) => {
      let lo = Infinity, hi = -Infinity;
      ring.forEach((v, i) => {
        if (!v) return;
        const c = [i % 81, Math.floor(i / 81) % 81, Math.floor(i / 6561)][axis];
        lo = Math.min(lo, c);
        hi = Math.max(hi, c);
      });
      return (hi - lo) * s[axis];
    };
    expect(extent(0)).toBeCloseTo(24, 6);
    expect(extent(2)).toBeCloseTo(24, 6);
    // innerMm 0: the contour itself is not part of the ring.
    expect(ring.some((v, i) => v === 1 && b.data[i] === 1)).toBe(false);
  });

  test('a ring reaching beyond the image is clipped, and says where', () => {
    const d: Vec3 = [30, 30, 12];
    const nearTop = ballMask(d, spacing, 4, [15, 15, 2]);
    const r = peritumoralRing(nearTop.data, d, spacing, { innerMm: 0, outerMm: 5 });
    expect(r.clipped).toBe(true);
    expect(r.clippedAt).toEqual(['z-']);
    const fits = peritumoralRing(ballMask(d, spacing, 3, [15, 15, 6]).data, d, spacing, { innerMm: 0, outerMm: 2 });
    expect(fits.clipped).toBe(false);
  });
});
