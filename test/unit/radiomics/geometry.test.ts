import { CASES, isClosedOriented, meshArea, meshFromMask, meshVolume } from '../../../src/radiomics/morphology/mesh';
import { convexHull, hullVolumeArea, maximumDiameter, hullPointsMm } from '../../../src/radiomics/morphology/convexHull';
import { ellipsoidSurfaceArea, minimumVolumeEnclosingEllipsoid } from '../../../src/radiomics/morphology/ellipsoid';
import { spatialAutocorrelation } from '../../../src/radiomics/morphology/autocorrelation';
import { symmetricEigen3 } from '../../../src/radiomics/math/eigen';
import { pointMoments } from '../../../src/radiomics/features/morphology';
import { Vec3 } from '../../../src/radiomics/volume';
import { ballMask, rng } from './helpers';

describe('marching cubes mesh', () => {
  test('every one of the 256 cube configurations gives a closed, consistently oriented surface', () => {
    for (let config = 1; config < 255; config++) {
      // The cube's 8 corners as a 2×2×2 mask; padding closes the surface.
      const mask = Uint8Array.from({ length: 8 }, (_, c) => (config >> c) & 1);
      const mesh = meshFromMask(mask, [2, 2, 2], [1, 1, 1]);
      expect({ config, closed: isClosedOriented(mesh) }).toEqual({ config, closed: true });
      expect(meshVolume(mesh)).toBeGreaterThan(0);
    }
    expect(CASES[0]).toEqual([]);
    expect(CASES[255]).toEqual([]);
  });

  test('one voxel is an octahedron of 1/6 voxel volume; a 2×2×2 block cuts its corners', () => {
    const one = meshFromMask(Uint8Array.of(1), [1, 1, 1], [2, 3, 4]);
    expect(meshVolume(one)).toBeCloseTo((2 * 3 * 4) / 6, 12);
    const block = meshFromMask(new Uint8Array(8).fill(1), [2, 2, 2], [1, 1, 1]);
    // The 2×2×2 box between the outer face centres, less 8 corners (1/8 − 1/48 each) and 12
    // edges (1/8 each) cut off by the mid-edge triangles.
    expect(meshVolume(block)).toBeCloseTo(8 - 8 * (1 / 8 - 1 / 48) - 12 / 8, 12);
  });

  test('a random mask with holes and islands stays closed and oriented', () => {
    const random = rng(3);
    const mask = Uint8Array.from({ length: 10 * 9 * 8 }, () => (random() < 0.45 ? 1 : 0));
    const mesh = meshFromMask(mask, [10, 9, 8], [0.8, 1.2, 2.5]);
    expect(isClosedOriented(mesh)).toBe(true);
  });

  test('a ball of voxel centres within 20 mm: mesh volume ≈ the sphere, area a little above', () => {
    const ball = ballMask([45, 45, 45], [1, 1, 1], 20);
    const mesh = meshFromMask(ball.data, ball.dims, ball.spacing);
    expect(Math.abs(meshVolume(mesh) / ((4 / 3) * Math.PI * 20 ** 3) - 1)).toBeLessThan(0.01);
    // The staircase of a voxelised sphere makes any marching-cubes area several per cent too large.
    const areaRatio = meshArea(mesh) / (4 * Math.PI * 20 ** 2);
    expect(areaRatio).toBeGreaterThan(1);
    expect(areaRatio).toBeLessThan(1.1);
  });
});

describe('convex hull', () => {
  test('contains every point, and matches a box exactly', () => {
    const random = rng(11);
    const pts = Int32Array.from({ length: 3 * 400 }, () => Math.floor(random() * 40));
    const hull = convexHull(pts);
    const P = hull.points;
    const F = hull.faces;
    for (let f = 0; f < F.length; f += 3) {
      const [a, b, c] = [F[f], F[f + 1], F[f + 2]].map((v) => [P[3 * v], P[3 * v + 1], P[3 * v + 2]]);
      const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
      const v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
      const n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
      for (let i = 0; i < pts.length; i += 3) expect((pts[i] - a[0]) * n[0] + (pts[i + 1] - a[1]) * n[1] + (pts[i + 2] - a[2]) * n[2]).toBeLessThanOrEqual(0);
    }
    // A box on the lattice: 8 corners plus interior and face points.
    const box: number[] = [];
    for (let x = 0; x <= 4; x++) for (let y = 0; y <= 2; y++) for (let z = 0; z <= 6; z++) box.push(x, y, z);
    const h = convexHull(Int32Array.from(box));
    const { volume, area } = hullVolumeArea(h, [2, 2, 2]); // lattice unit = 1 mm here
    expect(volume).toBeCloseTo(4 * 2 * 6, 9);
    expect(area).toBeCloseTo(2 * (4 * 2 + 4 * 6 + 2 * 6), 9);
    expect(maximumDiameter(hullPointsMm(h, [2, 2, 2]))).toBeCloseTo(Math.hypot(4, 2, 6), 12);
  });
});

describe('ellipsoids and PCA', () => {
  test("ellipsoid surface: IBSI's Legendre series (exact for a sphere)", () => {
    expect(ellipsoidSurfaceArea([3, 3, 3])).toBeCloseTo(4 * Math.PI * 9, 9);
    // The series as the manual writes it, with P_ν from Bonnet's recurrence. It is IBSI's
    // definition of the AEE area (the reference values follow it), not the exact area of an
    // elongated ellipsoid (for 6, 4, 2 mm the exact area is 195.5 mm²).
    const [a, b, c] = [6, 4, 2];
    const alpha = Math.sqrt(1 - (b * b) / (a * a));
    const beta = Math.sqrt(1 - (c * c) / (a * a));
    const x = (alpha ** 2 + beta ** 2) / (2 * alpha * beta);
    let [p0, p1] = [1, x];
    let sum = 1 + (alpha * beta * p1) / (1 - 4);
    for (let nu = 2; nu <= 20; nu++) {
      const p2 = ((2 * nu - 1) * x * p1 - (nu - 1) * p0) / nu;
      sum += ((alpha * beta) ** nu / (1 - 4 * nu * nu)) * p2;
      [p0, p1] = [p1, p2];
    }
    expect(ellipsoidSurfaceArea([2, 6, 4])).toBeCloseTo(4 * Math.PI * a * b * sum, 9);
    expect(ellipsoidSurfaceArea([6, 4, 2])).toBeCloseTo(211.2539240, 6);
  });

  test('the minimum volume enclosing ellipsoid of a box’s corners has semi-axes √3 × half sides', () => {
    const corners: number[] = [];
    for (const x of [-3, 3]) for (const y of [-2, 2]) for (const z of [-1, 1]) corners.push(x, y, z);
    const axes = minimumVolumeEnclosingEllipsoid(Float64Array.from(corners), 1e-7)!;
    expect(axes[0]).toBeCloseTo(3 * Math.sqrt(3), 3);
    expect(axes[1]).toBeCloseTo(2 * Math.sqrt(3), 3);
    expect(axes[2]).toBeCloseTo(Math.sqrt(3), 3);
  });

  test('symmetric 3×3 eigenvalues', () => {
    const { values, vectors } = symmetricEigen3([
      [2, 1, 0],
      [1, 2, 0],
      [0, 0, 5],
    ]);
    expect(values[0]).toBeCloseTo(1, 12);
    expect(values[1]).toBeCloseTo(3, 12);
    expect(values[2]).toBeCloseTo(5, 12);
    expect(Math.abs(vectors[0][0] + vectors[0][1])).toBeLessThan(1e-12);
  });
});

describe("Moran's I and Geary's C by FFT", () => {
  test('equal the O(N²) definition on an irregular region with anisotropic voxels', () => {
    const dims: Vec3 = [7, 6, 5];
    const spacing: Vec3 = [0.8, 1.1, 2.5];
    const random = rng(5);
    const image = Float64Array.from({ length: 210 }, () => Math.round(random() * 200 - 100));
    const mask = Uint8Array.from({ length: 210 }, () => (random() < 0.6 ? 1 : 0));
    const pts: Array<[number, number, number, number]> = [];
    mask.forEach((m, i) => m && pts.push([(i % 7) * spacing[0], (Math.floor(i / 7) % 6) * spacing[1], Math.floor(i / 42) * spacing[2], image[i]]));
    const n = pts.length;
    const mu = pts.reduce((s, p) => s + p[3], 0) / n;
    let w = 0, moranNum = 0, gearyNum = 0, den = 0;
    for (const p of pts) den += (p[3] - mu) ** 2;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        const wij = 1 / Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1], pts[i][2] - pts[j][2]);
        w += wij;
        moranNum += wij * (pts[i][3] - mu) * (pts[j][3] - mu);
        gearyNum += wij * (pts[i][3] - pts[j][3]) ** 2;
      }
    const r = spatialAutocorrelation(image, mask, dims, spacing);
    expect(r.moranI).toBeCloseTo((n / w) * (moranNum / den), 10);
    expect(r.gearyC).toBeCloseTo(((n - 1) / (2 * w)) * (gearyNum / den), 10);
  });
});

describe('point moments of the morphology family', () => {
  const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

  test.each([
    ['1 mm', [1, 1, 1]],
    ['2 × 1 × 3 mm', [2, 1, 3]],
    ['0.9765625 × 0.9765625 × 2.5 mm (per voxel only)', [0.9765625, 0.9765625, 2.5]],
  ] as Array<[string, Vec3]>)('row sums on whole-millimetre grids give the per-voxel sums bit for bit (%s)', (_name, spacing) => {
    const random = rng(17);
    const dims: Vec3 = [23, 19, 14];
    const n = dims[0] * dims[1] * dims[2];
    for (const integers of [true, false]) {
      const image = Float64Array.from({ length: n }, () => (integers ? Math.round(random() * 2000 - 1000) : random() * 2000 - 1000));
      const morphologicalMask = Uint8Array.from({ length: n }, (_, i) => (i % dims[0] > 2 && random() < 0.6 ? 1 : 0));
      const intensityMask = Uint8Array.from(morphologicalMask, (m) => (m && random() < 0.8 ? 1 : 0));
      const input = { dims, spacing, image, morphologicalMask, intensityMask };
      const perVoxel = pointMoments(input, false);
      expect(bits(pointMoments(input))).toBe(bits(perVoxel));
      expect(perVoxel[9]).toBe(morphologicalMask.reduce((a, b) => a + b, 0));
    }
  });
});
