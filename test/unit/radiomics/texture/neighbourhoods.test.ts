/**
 * NGTDM and NGLDM on a 3 × 3 picture worked out by hand under IBSI's definitions: every voxel of
 * the ROI is a centre, and only neighbours inside the ROI count.
 *
 *   1 2 2
 *   1 3 2
 *   4 1 1
 */
import { chebyshevNeighbourhood } from '../../../../src/radiomics/texture/directions';
import { ngldmFeatures, NGLDM_DESCRIPTORS } from '../../../../src/radiomics/texture/ngldm/features';
import { accumulateNgldm, emptyNgldm } from '../../../../src/radiomics/texture/ngldm/matrix';
import { ngtdmFeatures, NGTDM_DESCRIPTORS } from '../../../../src/radiomics/texture/ngtdm/features';
import { accumulateNgtdm, emptyNgtdm } from '../../../../src/radiomics/texture/ngtdm/matrix';
import { neighbourhoodStats } from '../../../../src/radiomics/texture/neighbourhood';
import { gridFrom, roiFrom, rowsOf } from './pictures';
import { padRoi } from '../../../../src/radiomics/texture/grid';

const PICTURE = [
  [1, 2, 2],
  [1, 3, 2],
  [4, 1, 1],
];

describe('NGTDM', () => {
  const grid = gridFrom([PICTURE]);
  const m = emptyNgtdm(grid.nLevels);
  accumulateNgtdm(m, grid, neighbourhoodStats(grid, 1, 2, 0), 0, grid.roi.length);

  test('s_i and n_i', () => {
    // Level 1: top-left |1 − 6/3| = 1, middle-left |1 − 11/5| = 1.2, bottom-middle |1 − 11/5| = 1.2,
    //          bottom-right |1 − 6/3| = 1.
    // Level 2: top-middle |2 − 9/5| = 0.2, top-right |2 − 7/3| = 1/3, middle-right |2 − 9/5| = 0.2.
    // Level 3: centre |3 − 14/8| = 1.25.  Level 4: bottom-left |4 − 5/3| = 7/3.
    expect(Array.from(m.n)).toEqual([4, 3, 1, 1]);
    const expected = [4.4, 0.4 + 1 / 3, 1.25, 7 / 3];
    m.s.forEach((s, k) => expect(s).toBeCloseTo(expected[k], 12));
  });

  test('features', () => {
    const f = ngtdmFeatures(m);
    const value = (tag: string) => f[NGTDM_DESCRIPTORS.findIndex((d) => d.tag === tag)];
    const p = [4 / 9, 3 / 9, 1 / 9, 1 / 9];
    const s = [4.4, 0.4 + 1 / 3, 1.25, 7 / 3];
    const ps = p.reduce((sum, pi, k) => sum + pi * s[k], 0);
    expect(value('ngt_coarseness')).toBeCloseTo(1 / ps, 12);
    // Σ p_i1 p_i2 (i1 − i2)² = 160/81 over N_gp (N_gp − 1) = 12, times Σ s / N_v,c.
    expect(value('ngt_contrast')).toBeCloseTo((160 / 81 / 12) * (s.reduce((a, b) => a + b) / 9), 12);
    // Σ (p_i1 + p_i2)(i1 − i2)² = 2·(7/9·1 + 5/9·4 + 5/9·9 + 4/9·1 + 4/9·4 + 2/9·1) = 188/9, over Σ s.
    expect(value('ngt_strength')).toBeCloseTo(188 / 9 / s.reduce((a, b) => a + b), 12);
  });

  test('a voxel without neighbours in the ROI is left out; a single grey level has contrast, busyness and strength 0', () => {
    const lonely = gridFrom([[[2, 0, 2, 2]]]);
    const n = emptyNgtdm(lonely.nLevels);
    accumulateNgtdm(n, lonely, neighbourhoodStats(lonely, 1, 2, 0), 0, lonely.roi.length);
    expect(Array.from(n.n)).toEqual([0, 2]);
    const f = ngtdmFeatures(n);
    expect([f[1], f[2], f[4]]).toEqual([0, 0, 0]);
    expect(f[0]).toBe(1e6); // Σ p s = 0: coarseness capped at 10⁶
  });
});

describe('NGLDM (α = 0, distance 1)', () => {
  test('dependence counts j = 1 + equal neighbours in the ROI', () => {
    // Level 1: top-left 2, middle-left 3, bottom-middle 3, bottom-right 2. Level 2: 3, 3, 3.
    // Level 3 (centre) 1. Level 4 (bottom-left) 1.
    const grid = gridFrom([PICTURE]);
    const m = emptyNgldm(grid.nLevels, 8);
    accumulateNgldm(m, grid, neighbourhoodStats(grid, 1, 2, 0), 0, grid.roi.length);
    expect(rowsOf(m.counts, 9, 4)).toEqual([
      [0, 2, 2, 0],
      [0, 0, 3, 0],
      [1, 0, 0, 0],
      [1, 0, 0, 0],
    ]);
    expect(m.nVoxels).toBe(9);
    const f = ngldmFeatures(m);
    const value = (tag: string) => f[NGLDM_DESCRIPTORS.findIndex((d) => d.tag === tag)];
    expect(value('ngl_dc_perc')).toBe(1);
    expect(value('ngl_lde')).toBeCloseTo((2 + 2 / 4 + 5 / 9) / 9, 12); // Σ_j s.j / j² / N_s
    expect(value('ngl_dc_energy')).toBeCloseTo((1 + 4 + 4 + 9 + 1) / 81, 12); // Σ s_ij² / N_s²
  });

  test('coarseness α = 1 counts neighbours within one grey level', () => {
    // 1 2 4: with α = 1, 1 and 2 depend on each other, 4 on nothing.
    const grid = gridFrom([[[1, 2, 4]]]);
    const m = emptyNgldm(4, 8);
    accumulateNgldm(m, grid, neighbourhoodStats(grid, 1, 2, 1), 0, grid.roi.length);
    expect(rowsOf(m.counts, 9, 3)).toEqual([
      [0, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
  });
});

describe('neighbourhood counts shared by NGTDM and NGLDM', () => {
  test('equal the definition for every distance, dimensionality and coarseness', () => {
    // A random 7 × 6 × 5 region with holes; padded for the widest neighbourhood.
    let seed = 7;
    const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
    const slices = Array.from({ length: 5 }, () => Array.from({ length: 6 }, () => Array.from({ length: 7 }, () => (random() < 0.2 ? 0 : 1 + Math.floor(random() * 5)))));
    const grid = padRoi(roiFrom(slices), 2);
    for (const distance of [1, 2]) {
      for (const dimensions of [2, 3] as const) {
        for (const coarseness of [0, 1, 2]) {
          const stats = neighbourhoodStats(grid, distance, dimensions, coarseness);
          const steps = chebyshevNeighbourhood(distance, dimensions).map(([x, y, z]) => x + grid.nx * (y + grid.ny * z));
          grid.roi.forEach((v, k) => {
            const g = grid.levels[v];
            const inside = steps.map((o) => grid.levels[v + o]).filter((h) => h > 0);
            const expected = [inside.length, inside.reduce((s, h) => s + h, 0), inside.filter((h) => Math.abs(h - g) <= coarseness).length];
            expect([distance, dimensions, coarseness, stats.inRoi[k], stats.levelSum[k], stats.similar[k]]).toEqual([distance, dimensions, coarseness, ...expected]);
          });
        }
      }
    }
  });
});
