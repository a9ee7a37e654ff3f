import { alignedGrid } from '../../../src/radiomics/preprocess/grid';
import { boxRows, cropMask, grownBox, nonZeroBox } from '../../../src/radiomics/indexBox';

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
    // Any array type; byte masks at any offset (the word scan handles the unaligned ends).
    expect(nonZeroBox(Int32Array.from(data), [4, 3, 2])).toEqual({ lo: [1, 0, 1], hi: [3, 2, 1] });
    const shifted = new Uint8Array(data.length + 1).subarray(1);
    shifted.set(data);
    expect(nonZeroBox(shifted, [4, 3, 2])).toEqual({ lo: [1, 0, 1], hi: [3, 2, 1] });
  });

  test('rows of a box visit its voxels in index order; crops copy them with padding', () => {
    const dims: [number, number, number] = [5, 4, 3];
    const data = Uint8Array.from({ length: 60 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0);
    const box = { lo: [1, 1, 1] as [number, number, number], hi: [3, 2, 2] as [number, number, number] };
    const rows = boxRows(box, dims);
    const visited: number[] = [];
    for (let r = 0; r < rows.length; r += 2) for (let i = rows[r]; i < rows[r + 1]; i++) visited.push(i);
    const expected: number[] = [];
    for (let i = 0; i < 60; i++) {
      const [x, y, z] = [i % 5, Math.floor(i / 5) % 4, Math.floor(i / 20)];
      if (x >= 1 && x <= 3 && y >= 1 && y <= 2 && z >= 1 && z <= 2) expected.push(i);
    }
    expect(visited).toEqual(expected);
    const crop = cropMask(data, dims, box, 1);
    expect(crop.dims).toEqual([5, 4, 4]);
    // Voxel (1, 1, 1) of the grid is voxel (1, 1, 1) of the padded crop; the padding is empty.
    expect(crop.data[1 + 5 * (1 + 4 * 1)]).toBe(data[1 + 5 * (1 + 4 * 1)]);
    expect(crop.data.reduce((s, v) => s + v, 0)).toBe(expected.reduce((s, i) => s + data[i], 0));
    expect(grownBox(box, [2, 2, 2], dims)).toEqual({ lo: [0, 0, 0], hi: [4, 3, 2] });
  });
});
