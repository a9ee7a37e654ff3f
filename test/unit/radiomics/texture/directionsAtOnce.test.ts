/**
 * The one-pass builders of the 13 3-D directions' GLCMs and GLRLMs give exactly the matrices of
 * one pass per direction (the feature values depend on it bit for bit).
 */
import { DIRECTIONS_3D } from '../../../../src/radiomics/texture/directions';
import { accumulateGlcm, accumulateGlcmSteps, emptyGlcm } from '../../../../src/radiomics/texture/glcm/matrix';
import { accumulateGlrlm, accumulateGlrlmSteps, emptyGlrlm } from '../../../../src/radiomics/texture/glrlm/matrix';
import { offsetOf } from '../../../../src/radiomics/texture/grid';
import { gridFrom } from './pictures';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 4294967296;
}

/** A random region of `nLevels` grey levels (0 = outside) with long runs along x, in a z × y × x picture. */
function randomPicture(nz: number, ny: number, nx: number, nLevels: number, seed: number): number[][][] {
  const random = rng(seed);
  return Array.from({ length: nz }, () =>
    Array.from({ length: ny }, () => {
      let level = 1;
      return Array.from({ length: nx }, () => {
        if (random() < 0.4) level = random() < 0.15 ? 0 : 1 + Math.floor(random() * nLevels);
        return level;
      });
    }),
  );
}

describe.each([
  ['a small block', 5, 4, 6, 3, 1],
  ['a slab with long rows and 40 levels', 3, 9, 70, 40, 2],
  ['a cube of few levels (long runs in every direction)', 12, 11, 10, 2, 3],
])('13 directions in one pass, %s', (_name, nz, ny, nx, nLevels, seed) => {
  const grid = gridFrom(randomPicture(nz, ny, nx, nLevels, seed), { nLevels });
  const steps = Int32Array.from(DIRECTIONS_3D.map(([x, y, z]) => offsetOf(grid, x, y, z)));

  const n = grid.roi.length;
  // Each family's 13 matrices, built one direction at a time and all at once.
  const builders = {
    GLCM: {
      oneByOne: () => Array.from(steps, (step) => { const m = emptyGlcm(nLevels); accumulateGlcm(m, grid, step, 0, n); return m; }),
      together: () => { const ms = Array.from(steps, () => emptyGlcm(nLevels)); accumulateGlcmSteps(ms, grid, steps, 0, n); return ms; },
    },
    GLRLM: {
      oneByOne: () => Array.from(steps, (step) => { const m = emptyGlrlm(grid); accumulateGlrlm(m, grid, step, 0, n); return m; }),
      together: () => { const ms = Array.from(steps, () => emptyGlrlm(grid)); accumulateGlrlmSteps(ms, grid, steps, 0, n); return ms; },
    },
  };

  test.each(['GLCM', 'GLRLM'] as const)('%s: the same matrices (counts and voxel counts) as one direction at a time', (family) => {
    expect(builders[family].together()).toEqual(builders[family].oneByOne());
  });
});
