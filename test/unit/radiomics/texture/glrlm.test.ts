import { offsetOf } from '../../../../src/radiomics/texture/grid';
import { accumulateGlrlm, emptyGlrlm } from '../../../../src/radiomics/texture/glrlm/matrix';
import { gridFrom, MANUAL_EXAMPLE, rowsOf } from './pictures';

function runsAlong(picture: number[][], dx: number, dy: number) {
  const grid = gridFrom([picture]);
  const m = emptyGlrlm(grid);
  accumulateGlrlm(m, grid, offsetOf(grid, dx, dy, 0), 0, grid.roi.length);
  const nCols = m.colValues.length;
  return { lengths1to4: rowsOf(m.counts, nCols, 4), beyond4: Array.from(m.counts).filter((_, k) => k % nCols >= 4), nVoxels: m.nVoxels };
}

describe('GLRLM matrix', () => {
  // IBSI reference manual, GLRLM figure: run length matrices of the 4 × 4 example.
  test.each([
    ['0° (1, 0): figure b', 1, 0, [[4, 0, 0, 0], [3, 1, 0, 0], [2, 1, 0, 0], [3, 0, 0, 0]]],
    ['45° (1, 1): figure c', 1, 1, [[4, 0, 0, 0], [3, 1, 0, 0], [2, 1, 0, 0], [3, 0, 0, 0]]],
    ['90° (0, 1): figure d', 0, 1, [[2, 1, 0, 0], [2, 0, 1, 0], [2, 1, 0, 0], [1, 1, 0, 0]]],
    ['135° (-1, 1): figure e', -1, 1, [[4, 0, 0, 0], [3, 1, 0, 0], [4, 0, 0, 0], [3, 0, 0, 0]]],
  ])('%s', (_name, dx, dy, expected) => {
    const runs = runsAlong(MANUAL_EXAMPLE, dx as number, dy as number);
    expect(runs.lengths1to4).toEqual(expected);
    expect(runs.beyond4.every((n) => n === 0)).toBe(true);
    expect(runs.nVoxels).toBe(16);
  });

  test('voxels outside the ROI end a run', () => {
    // 2 2 0 2 2 2: runs of 2 and 3, not one of 5.
    expect(runsAlong([[2, 2, 0, 2, 2, 2]], 1, 0).lengths1to4).toEqual([
      [0, 0, 0, 0],
      [0, 1, 1, 0],
    ]);
  });
});
