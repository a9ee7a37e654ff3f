import { alignedGrid } from '../../../src/radiomics/preprocess/grid';
import { nonZeroBox } from '../../../src/radiomics/indexBox';

describe('IBSI interpolation grid (align grid centres)', () => {
  test('the manual example: 4×4 voxels of 3 mm resampled to 2 mm give a 6×6 grid centred on the original', () => {
    const g = alignedGrid({ dims: [4, 4, 1], spacing: [3, 3, 3], origin: [0, 0, 0] }, [2, 2, null]);
    expect(g.dims).toEqual([6, 6, 1]);
    expect(g.spacing).toEqual([2, 2, 3]);
    // World: x_b = x_a + (s_a (n_a − 1) − s_b (n_b − 1)) / 2 = (9 − 10) / 2 = −0.5 mm.
    expect(g.origin[0]).toBeCloseTo(-0.5, 12);
    // Grid coordinates: ½ (n_a − 1 − (s_b/s_a)(n_b − 1)) = ½ (3 − 10/3) = −1/6.
    expect(g.start[0]).toBeCloseTo(-1 / 6, 12);
    expect(g.step[0]).toBeCloseTo(2 / 3, 12);
    // The slice axis is kept as it is.
    expect([g.start[2], g.step[2], g.dims[2]]).toEqual([0, 1, 1]);
    // Centres coincide.
    const centreA = (4 - 1) * 3 / 2;
    const centreB = g.origin[0] + ((g.dims[0] - 1) * g.spacing[0]) / 2;
    expect(centreB).toBeCloseTo(centreA, 12);
  });

  test('the grid size is rounded up so a small image never vanishes', () => {
    const g = alignedGrid({ dims: [3, 3, 3], spacing: [0.5, 0.5, 0.5], origin: [0, 0, 0] }, [2, 2, 2]);
    expect(g.dims).toEqual([1, 1, 1]);
    // An exact ratio does not grow a voxel from floating-point noise.
    expect(alignedGrid({ dims: [60, 1, 1], spacing: [3, 1, 1], origin: [0, 0, 0] }, [2, null, null]).dims[0]).toBe(90);
  });

  test('nonZeroBox bounds the non-zero voxels, or is null', () => {
    const data = new Uint8Array(4 * 3 * 2);
    expect(nonZeroBox(data, [4, 3, 2])).toBeNull();
    data[1 + 4 * (2 + 3 * 1)] = 1;
    data[3 + 4 * (0 + 3 * 1)] = 1;
    expect(nonZeroBox(data, [4, 3, 2])).toEqual({ lo: [1, 0, 1], hi: [3, 2, 1] });
  });
});
