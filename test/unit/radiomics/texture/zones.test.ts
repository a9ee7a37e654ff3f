import { chebyshevNeighbourhood } from '../../../../src/radiomics/texture/directions';
import { borderDistanceMap } from '../../../../src/radiomics/texture/distanceMap';
import { gldzmOf } from '../../../../src/radiomics/texture/gldzm/matrix';
import { glszmOf } from '../../../../src/radiomics/texture/glszm/matrix';
import { PaddedGrid } from '../../../../src/radiomics/texture/grid';
import { LevelTable } from '../../../../src/radiomics/texture/levelTable';
import { findZones } from '../../../../src/radiomics/texture/zones';
import { gridFrom, MANUAL_EXAMPLE } from './pictures';
import { rng } from '../helpers';

/** A table as nested arrays over values 1 .. maxValue (compressed columns expanded). */
function dense(t: LevelTable, maxValue: number): number[][] {
  const out = Array.from({ length: t.nLevels }, () => new Array<number>(maxValue).fill(0));
  const nCols = t.colValues.length;
  for (let i = 0; i < t.nLevels; i++) for (let c = 0; c < nCols; c++) out[i][t.colValues[c] - 1] += t.counts[i * nCols + c];
  return out;
}

/** The distance map of a one-slice grid as a picture (rows top to bottom), without the padding. */
function distancePicture(grid: PaddedGrid, dimensions: 2 | 3, width: number, height: number, z = 1): number[][] {
  const dist = borderDistanceMap(grid, dimensions);
  const rows: number[][] = [];
  for (let r = 0; r < height; r++) {
    const y = height - 1 - r + 1;
    rows.push(Array.from({ length: width }, (_, x) => dist[x + 1 + grid.nx * (y + grid.ny * z)]));
  }
  return rows;
}

function allZones(grid: PaddedGrid, dimensions: 2 | 3) {
  const zones = findZones(grid, chebyshevNeighbourhood(1, dimensions), borderDistanceMap(grid, dimensions));
  const all = Int32Array.from({ length: zones.count }, (_, k) => k);
  return { zones, all };
}

describe('GLSZM', () => {
  test('IBSI manual GLSZM figure: zones of the 4 × 4 example, 8-connected', () => {
    const grid = gridFrom([MANUAL_EXAMPLE]);
    const { zones, all } = allZones(grid, 2);
    const m = glszmOf(zones, grid.nLevels, all, 16);
    expect(dense(m, 5)).toEqual([
      [2, 1, 0, 0, 0],
      [0, 0, 0, 0, 1],
      [1, 0, 1, 0, 0],
      [1, 1, 0, 0, 0],
    ]);
    expect(Array.from(m.colValues)).toEqual([1, 2, 3, 5]); // only sizes that occur get a column
    expect(m.nVoxels).toBe(16);
  });

  test('3D zones link across slices (26-connected), 2D zones do not', () => {
    // Two slices, each with one voxel of level 1 diagonally above the other.
    const slices = [
      [[1, 0], [0, 0]],
      [[0, 0], [0, 1]],
    ];
    const grid = gridFrom(slices);
    expect(allZones(grid, 3).zones.count).toBe(1);
    expect(allZones(grid, 2).zones.count).toBe(2);
  });
});

describe('GLDZM', () => {
  test('IBSI manual GLDZM figure b: distance to the edge, 4-connected, 1 on the border', () => {
    const grid = gridFrom([MANUAL_EXAMPLE]);
    expect(distancePicture(grid, 2, 4, 4)).toEqual([
      [1, 1, 1, 1],
      [1, 2, 2, 1],
      [1, 2, 2, 1],
      [1, 1, 1, 1],
    ]);
  });

  test('matrix of the 4 × 4 example with IBSI 8-connected zones', () => {
    // The manual's figure c links zones 4-connected (level 2 then splits into two zones);
    // IBSI defines 8-connected zones in 2D, where level 2 is one zone of 5 voxels.
    // Level 4: the two 4s at the left edge touch the border (1); the inner 4 has distance 2.
    const grid = gridFrom([MANUAL_EXAMPLE]);
    const { zones, all } = allZones(grid, 2);
    expect(dense(gldzmOf(zones, grid.nLevels, all, 16), 2)).toEqual([
      [3, 0],
      [1, 0],
      [2, 0],
      [1, 1],
    ]);
  });

  test('distances come from the morphological mask, zones from the intensity mask', () => {
    // 5 × 5 morphological mask; re-segmentation kept only the inner 3 × 3 (all level 1): its one
    // zone is 2 steps from the morphological edge, not 1.
    const morph = [Array.from({ length: 5 }, () => [1, 1, 1, 1, 1])];
    const levels = [[
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
      [0, 0, 0, 0, 0],
    ]];
    const grid = gridFrom(levels, { morph });
    const { zones, all } = allZones(grid, 2);
    expect(dense(gldzmOf(zones, 1, all, 9), 3)).toEqual([[0, 1, 0]]);
    expect(distancePicture(grid, 2, 5, 5)[2]).toEqual([1, 2, 3, 2, 1]);
  });

  test('in 3D the distance counts steps across slices too (6-connected)', () => {
    const cube = Array.from({ length: 3 }, () => Array.from({ length: 3 }, () => [1, 1, 1]));
    const grid = gridFrom(cube);
    expect(distancePicture(grid, 3, 3, 3, 2)).toEqual([
      [1, 1, 1],
      [1, 2, 1],
      [1, 1, 1],
    ]);
    expect(distancePicture(grid, 3, 3, 3, 1)).toEqual([
      [1, 1, 1],
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });
});

describe('zone labelling against a plain flood fill', () => {
  /** Zones as IBSI defines them, by the most direct flood fill: seeds in ROI order, a branch per neighbour. */
  function reference(grid: PaddedGrid, dimensions: 2 | 3, distanceMap: Int32Array) {
    const offsets = chebyshevNeighbourhood(1, dimensions).map(([x, y, z]) => x + grid.nx * (y + grid.ny * z));
    const taken = new Uint8Array(grid.levels.length);
    const zones: Array<{ level: number; size: number; slice: number; distance: number }> = [];
    for (const seed of grid.roi) {
      if (taken[seed]) continue;
      const g = grid.levels[seed];
      taken[seed] = 1;
      const queue = [seed];
      let distance = Infinity;
      for (let q = 0; q < queue.length; q++) {
        distance = Math.min(distance, distanceMap[queue[q]]);
        for (const o of offsets) {
          const w = queue[q] + o;
          if (!taken[w] && grid.levels[w] === g) {
            taken[w] = 1;
            queue.push(w);
          }
        }
      }
      zones.push({ level: g, size: queue.length, slice: Math.floor(seed / (grid.nx * grid.ny)), distance });
    }
    return zones;
  }

  test.each([
    ['few levels (large zones)', 3, 11],
    ['many levels (small zones)', 40, 12],
  ])('%s: the same zones in the same order, in 3D and in 2D', (_name, nLevels, seed) => {
    const random = rng(seed);
    const slices = Array.from({ length: 9 }, () => Array.from({ length: 13 }, () => Array.from({ length: 15 }, () => (random() < 0.1 ? 0 : 1 + Math.floor(random() * nLevels)))));
    const grid = gridFrom(slices, { nLevels });
    for (const dimensions of [3, 2] as const) {
      const distanceMap = borderDistanceMap(grid, dimensions);
      const zones = findZones(grid, chebyshevNeighbourhood(1, dimensions), distanceMap);
      const found = Array.from({ length: zones.count }, (_, k) => ({ level: zones.level[k], size: zones.size[k], slice: zones.slice[k], distance: zones.distance[k] }));
      expect(found).toEqual(reference(grid, dimensions, distanceMap));
    }
  });
});
