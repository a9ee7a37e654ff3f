import { offsetOf } from '../../../../src/radiomics/texture/grid';
import { accumulateGlcm, emptyGlcm, Glcm } from '../../../../src/radiomics/texture/glcm/matrix';
import { glcmFeatures, GLCM_DESCRIPTORS } from '../../../../src/radiomics/texture/glcm/features';
import { gridFrom, MANUAL_EXAMPLE, rowsOf } from './pictures';

function glcmAlong(picture: number[][], dx: number, dy: number): number[][] {
  const grid = gridFrom([picture]);
  const m = emptyGlcm(grid.nLevels);
  accumulateGlcm(m, grid, offsetOf(grid, dx, dy, 0), 0, grid.roi.length);
  return rowsOf(m.counts, grid.nLevels);
}

function feature(m: Glcm, tag: string): number {
  return glcmFeatures(m)[GLCM_DESCRIPTORS.findIndex((d) => d.tag === tag)];
}

describe('GLCM matrix', () => {
  // IBSI reference manual, GLCM figures: symmetric matrices of the 4 × 4 example per direction.
  test('0° (1, 0): figure a', () => {
    expect(glcmAlong(MANUAL_EXAMPLE, 1, 0)).toEqual([
      [0, 3, 0, 2],
      [3, 2, 3, 2],
      [0, 3, 2, 0],
      [2, 2, 0, 0],
    ]);
  });

  test('45° (1, 1): figure b', () => {
    expect(glcmAlong(MANUAL_EXAMPLE, 1, 1)).toEqual([
      [0, 2, 0, 1],
      [2, 2, 1, 2],
      [0, 1, 2, 1],
      [1, 2, 1, 0],
    ]);
  });

  test('90° (0, 1): figure c', () => {
    expect(glcmAlong(MANUAL_EXAMPLE, 0, 1)).toEqual([
      [2, 1, 2, 1],
      [1, 4, 1, 1],
      [2, 1, 2, 1],
      [1, 1, 1, 2],
    ]);
  });

  test('135° (-1, 1): figure d', () => {
    expect(glcmAlong(MANUAL_EXAMPLE, -1, 1)).toEqual([
      [0, 2, 1, 1],
      [2, 2, 2, 1],
      [1, 2, 0, 1],
      [1, 1, 1, 0],
    ]);
  });

  test('pairs with a voxel outside the ROI do not count', () => {
    // 1 2 0 2: only (1, 2) is a pair along x; the hole breaks the rest.
    expect(glcmAlong([[1, 2, 0, 2]], 1, 0)).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  test('distance 2 pairs voxels two steps apart', () => {
    // 1 2 1 2 1 at distance 2: (1,1), (2,2), (1,1); every pair is on the diagonal.
    expect(glcmAlong([[1, 2, 1, 2, 1]], 2, 0)).toEqual([
      [4, 0],
      [0, 2],
    ]);
  });
});

describe('GLCM features of a hand-computed matrix', () => {
  // Counts [[2, 1], [1, 0]]: p11 = 0.5, p12 = p21 = 0.25, p22 = 0; p1. = 0.75, p2. = 0.25.
  const m: Glcm = { nLevels: 2, counts: Float64Array.from([2, 1, 1, 0]) };

  test.each([
    ['cm_joint_max', 0.5],
    ['cm_joint_avg', 1.25], // 1·0.75 + 2·0.25
    ['cm_joint_var', 0.1875], // 0.0625·0.75 + 0.5625·0.25
    ['cm_joint_entr', 1.5], // −(0.5 log2 0.5 + 2 · 0.25 log2 0.25)
    ['cm_diff_avg', 0.5], // p(|i−j| = 1) = 0.5
    ['cm_diff_var', 0.25],
    ['cm_diff_entr', 1],
    ['cm_sum_avg', 2.5], // 2·0.5 + 3·0.5
    ['cm_sum_var', 0.25],
    ['cm_sum_entr', 1],
    ['cm_energy', 0.375], // 0.25 + 2·0.0625
    ['cm_contrast', 0.5],
    ['cm_dissimilarity', 0.5],
    ['cm_inv_diff', 0.75], // 0.5 + 0.5/2
    ['cm_inv_diff_norm', 0.5 + 0.5 / 1.5],
    ['cm_inv_diff_mom', 0.75],
    ['cm_inv_diff_mom_norm', 0.5 + 0.5 / 1.25],
    ['cm_inv_var', 0.5],
    ['cm_corr', (1.5 - 1.5625) / 0.1875], // (Σ ij p − µ²) / σ²
    ['cm_auto_corr', 1.5], // 1·0.5 + 2·0.5
    ['cm_clust_tend', 0.25],
    ['cm_clust_shade', 0], // i + j − 2µ = ±0.5 with equal weight
    ['cm_clust_prom', 0.0625],
  ])('%s = %d', (tag, expected) => {
    expect(feature(m, tag)).toBeCloseTo(expected, 12);
  });

  test('information correlation from HX = H(0.75, 0.25) and HXY = 1.5', () => {
    const hx = -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25));
    expect(feature(m, 'cm_info_corr1')).toBeCloseTo((1.5 - 2 * hx) / hx, 12);
    expect(feature(m, 'cm_info_corr2')).toBeCloseTo(Math.sqrt(1 - Math.exp(-2 * (2 * hx - 1.5))), 12);
  });

  test('a single grey level: correlation 1, inverse variance undefined, an empty matrix all undefined', () => {
    const uniform: Glcm = { nLevels: 3, counts: Float64Array.from([0, 0, 0, 0, 6, 0, 0, 0, 0]) };
    expect(feature(uniform, 'cm_corr')).toBe(1);
    expect(feature(uniform, 'cm_contrast')).toBe(0);
    expect(feature(uniform, 'cm_inv_var')).toBeNaN();
    expect([...glcmFeatures(emptyGlcm(3))].every(Number.isNaN)).toBe(true);
  });
});
