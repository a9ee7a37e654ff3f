import { resampleRegion } from '../../../src/radiomics/preprocess/resample';
import { ResampledGrid } from '../../../src/radiomics/preprocess/grid';
import { Vec3 } from '../../../src/radiomics/volume';

const nx = 7, ny = 6, nz = 5;
const data = new Float32Array(nx * ny * nz);
for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[x + nx * (y + ny * z)] = ((x * 37 + y * 101 + z * 53) % 97) - 40;

/** One sample at (x, y, z) in source voxel indices. */
function sampleAt(point: Vec3, method: 'linear' | 'cubic-spline', boundary: 'edge' | 'zero' = 'edge'): number {
  const grid: ResampledGrid = { dims: [1, 1, 1], spacing: [1, 1, 1], origin: [0, 0, 0], start: point, step: [1.5, 1.5, 1.5] };
  return resampleRegion({ dims: [nx, ny, nz], data }, grid, { lo: [0, 0, 0], hi: [0, 0, 0] }, method, boundary)[0];
}

describe('resampling', () => {
  // Reference values: scipy.ndimage.map_coordinates(array, coords, order=3 (resp. 1), mode="nearest"),
  // scipy 1.17, which the IBSI coordinators' toolkit uses for configuration E (cubic) and B–D (linear).
  test.each([
    [[0, 0, 0], -40, -40],
    [[1.3, 2.7, 0.4], -8.100932780039685, 1.3],
    [[3.5, 2.5, 2.5], 9.569313432386368, 13.75],
    [[-0.6, 4.2, 3.9], -4.145474614766359, -0.8],
    [[6.4, 5.3, 4.6], 39.70310450579598, 26],
    [[2.25, 0.75, 1.1], -1.9089522354671, 5.125],
  ] as Array<[Vec3, number, number]>)('at %j: cubic B-spline %d, linear %d, as scipy computes them', (point, cubic, linear) => {
    expect(sampleAt(point, 'cubic-spline')).toBeCloseTo(cubic, 8);
    expect(sampleAt(point, 'linear')).toBeCloseTo(linear, 10);
  });

  test('a mask is zero outside the image, interpolated inside', () => {
    expect(sampleAt([-0.6, 2, 2], 'linear', 'zero')).toBe(0);
    expect(sampleAt([7.2, 2, 2], 'linear', 'zero')).toBe(0);
    expect(sampleAt([1.5, 2, 2], 'linear', 'zero')).toBeCloseTo((data[1 + nx * (2 + ny * 2)] + data[2 + nx * (2 + ny * 2)]) / 2, 10);
  });

  test('an identity grid copies the region exactly', () => {
    const grid: ResampledGrid = { dims: [nx, ny, nz], spacing: [1, 1, 1], origin: [0, 0, 0], start: [0, 0, 0], step: [1, 1, 1] };
    const out = resampleRegion({ dims: [nx, ny, nz], data }, grid, { lo: [1, 2, 3], hi: [4, 5, 4] }, 'cubic-spline', 'edge');
    expect(out.length).toBe(4 * 4 * 2);
    expect(out[0]).toBe(data[1 + nx * (2 + ny * 3)]);
    expect(out[out.length - 1]).toBe(data[4 + nx * (5 + ny * 4)]);
  });
});
