import { insidePolygons, Polygon, rasterisePolygons, signedArea } from '../../../src/imaging/polygon/rasterise';

const poly = (...xy: number[]): Polygon => Float64Array.from(xy);
const square = (x0: number, y0: number, x1: number, y1: number) => poly(x0, y0, x1, y0, x1, y1, x0, y1);

/** The mask as a list of "i,j" strings, for readable expectations. */
function rasterise(polygons: Polygon[], nx = 12, ny = 12): { count: number; mask: Uint8Array; cells: Set<string> } {
  const mask = new Uint8Array(nx * ny);
  const count = rasterisePolygons(polygons, nx, ny, mask);
  const cells = new Set<string>();
  mask.forEach((v, p) => v && cells.add(`${p % nx},${Math.floor(p / nx)}`));
  return { count, mask, cells };
}

function cellsOf(i0: number, i1: number, j0: number, j1: number): Set<string> {
  const s = new Set<string>();
  for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) s.add(`${i},${j}`);
  return s;
}

describe('rasterising contours: a voxel is inside when its centre is (even-odd rule)', () => {
  it('fills a ring-shaped contour except its hole', () => {
    const outer = square(0.5, 0.5, 9.5, 9.5); // centres 1..9
    const hole = square(3.5, 3.5, 6.5, 6.5); // centres 4..6
    const { count, cells } = rasterise([outer, hole]);
    expect(count).toBe(81 - 9);
    expect(cells.has('1,1')).toBe(true);
    expect(cells.has('5,5')).toBe(false);
    expect(cells.has('3,5')).toBe(true);
    expect(cells.has('7,5')).toBe(true);
    // The winding of the hole does not matter under the even-odd rule.
    const reversedHole = poly(3.5, 3.5, 3.5, 6.5, 6.5, 6.5, 6.5, 3.5);
    expect(rasterise([outer, reversedHole]).cells).toEqual(cells);
  });

  it('fills two islands on one slice, and an island inside the hole of a ring', () => {
    const { cells } = rasterise([square(0.5, 0.5, 3.5, 3.5), square(6.5, 6.5, 8.5, 9.5)]);
    expect(cells).toEqual(new Set([...cellsOf(1, 3, 1, 3), ...cellsOf(7, 8, 7, 9)]));
    const ringWithIsland = rasterise([square(0.5, 0.5, 9.5, 9.5), square(2.5, 2.5, 7.5, 7.5), square(4.5, 4.5, 5.5, 5.5)]);
    expect(ringWithIsland.cells.has('5,5')).toBe(true);
    expect(ringWithIsland.cells.has('4,4')).toBe(false);
    expect(ringWithIsland.count).toBe(81 - 25 + 1);
  });

  it('counts a contour drawn exactly on voxel centres by its area: inside on the low (left/top) edges, outside on the high (right/bottom) ones', () => {
    const { cells, count } = rasterise([square(2, 2, 5, 5)]);
    expect(count).toBe(9); // 3 × 3 = the polygon's area in pixels
    expect(cells).toEqual(cellsOf(2, 4, 2, 4));
    // Point on edge / vertex, by the same rule.
    const s = [square(2, 2, 5, 5)];
    expect(insidePolygons(s, 2, 3)).toBe(true); // left edge
    expect(insidePolygons(s, 5, 3)).toBe(false); // right edge
    expect(insidePolygons(s, 3, 2)).toBe(true); // top edge (low row)
    expect(insidePolygons(s, 3, 5)).toBe(false); // bottom edge
    expect(insidePolygons(s, 2, 2)).toBe(true); // top-left vertex
    expect(insidePolygons(s, 5, 5)).toBe(false); // bottom-right vertex
    expect(insidePolygons(s, 5, 2)).toBe(false); // top-right vertex
    expect(insidePolygons(s, 2, 5)).toBe(false); // bottom-left vertex
  });

  it('lets two contours sharing an edge tile the plane: no centre counted twice, none lost', () => {
    const left = rasterise([square(1, 1, 4, 6)]);
    const right = rasterise([square(4, 1, 8, 6)]);
    const both = rasterise([square(1, 1, 8, 6)]);
    const overlap = [...left.cells].filter((c) => right.cells.has(c));
    expect(overlap).toEqual([]);
    expect(new Set([...left.cells, ...right.cells])).toEqual(both.cells);
  });

  it('treats contour data a rounding error away from voxel centres as exactly on them', () => {
    const e = 1e-9;
    expect(rasterise([square(2 + e, 2 - e, 5 - e, 5 + e)]).cells).toEqual(cellsOf(2, 4, 2, 4));
    expect(rasterise([square(2 - e, 2 + e, 5 + e, 5 - e)]).cells).toEqual(cellsOf(2, 4, 2, 4));
  });

  it('claims nothing for a degenerate contour (a line, a point)', () => {
    expect(rasterise([poly(1, 1, 8, 8, 1, 1)]).count).toBe(0);
    expect(rasterise([poly(3, 3, 3, 3, 3, 3)]).count).toBe(0);
  });

  it('clips to the slice and accepts a closing point that repeats the first', () => {
    const { cells } = rasterise([poly(-5, -5, 2.5, -5, 2.5, 1.5, -5, 1.5, -5, -5)], 4, 4);
    expect(cells).toEqual(cellsOf(0, 2, 0, 1));
  });

  it('agrees with the point test at every pixel centre of an irregular self-overlapping polygon', () => {
    const star = poly(6, 0.3, 7.7, 10.9, 0.2, 3.6, 11.4, 3.1, 3.3, 11.2);
    const { mask } = rasterise([star, square(4, 4, 6, 6)]);
    for (let j = 0; j < 12; j++) for (let i = 0; i < 12; i++) expect({ i, j, inside: mask[j * 12 + i] === 1 }).toEqual({ i, j, inside: insidePolygons([star, square(4, 4, 6, 6)], i, j) });
  });

  it('computes signed areas by the shoelace formula', () => {
    expect(signedArea(square(0, 0, 3, 2))).toBe(6);
    expect(signedArea(poly(0, 0, 0, 2, 3, 2, 3, 0))).toBe(-6);
  });
});
