/**
 * Polygon → pixel mask on one slice, in continuous pixel-index coordinates: x = column index,
 * y = row index, pixel centres at integers.
 *
 * Rule: a pixel belongs to the region when its centre lies inside the polygons by the even-odd
 * rule over all polygons of the slice together, so a contour inside another is a hole, and
 * disjoint contours are islands.
 *
 * Edge convention (half-open, like the "top-left" rule of graphics rasterisers): a centre lying
 * exactly on the boundary is inside when the boundary is on the region's low-x or low-y side
 * (left or top as an axial CT image is displayed) and outside on its high-x or high-y side.
 * So a square whose corners sit on pixel centres (2,2)–(5,5) covers columns 2–4 and rows 2–4:
 * 9 pixels, exactly its area; two polygons sharing an edge never both claim a centre on it, and
 * a polygon with no area claims nothing. Coordinates within 1e-6 pixel of an integer are snapped
 * to it first, so that contour data written (with decimal rounding) exactly on voxel centres
 * behave as if exact.
 */

/** A polygon: x0, y0, x1, y1, ... (implicitly closed; a repeated first point at the end is fine). */
export type Polygon = Float64Array;

const SNAP = 1e-6;

function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < SNAP ? r : v;
}

interface Edge {
  yMin: number;
  yMax: number;
  xAtYMin: number;
  slope: number;
}

function edgesOf(polygons: readonly Polygon[]): Edge[] {
  const edges: Edge[] = [];
  for (const poly of polygons) {
    const n = poly.length >> 1;
    if (n < 3) continue;
    for (let a = 0; a < n; a++) {
      const b = (a + 1) % n;
      const xa = snap(poly[2 * a]);
      const ya = snap(poly[2 * a + 1]);
      const xb = snap(poly[2 * b]);
      const yb = snap(poly[2 * b + 1]);
      if (ya === yb) continue; // horizontal edges cross no scanline under the half-open rule
      if (ya < yb) edges.push({ yMin: ya, yMax: yb, xAtYMin: xa, slope: (xb - xa) / (yb - ya) });
      else edges.push({ yMin: yb, yMax: ya, xAtYMin: xb, slope: (xa - xb) / (ya - yb) });
    }
  }
  return edges;
}

/** x positions where the edges cross the horizontal line at y (half-open in y), sorted. */
function crossings(edges: readonly Edge[], y: number, out: number[]): number[] {
  out.length = 0;
  for (const e of edges) {
    if (e.yMin <= y && y < e.yMax) out.push(snap(e.xAtYMin + (y - e.yMin) * e.slope));
  }
  return out.sort((a, b) => a - b);
}

/**
 * Sets to 1 the pixels of an nx × ny slice (row-major, x fastest, starting at `offset` in `out`)
 * whose centres are inside the polygons. Returns how many pixels were set.
 */
export function rasterisePolygons(polygons: readonly Polygon[], nx: number, ny: number, out: Uint8Array, offset = 0): number {
  const edges = edgesOf(polygons);
  if (edges.length === 0) return 0;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const e of edges) {
    yLo = Math.min(yLo, e.yMin);
    yHi = Math.max(yHi, e.yMax);
  }
  let count = 0;
  const xs: number[] = [];
  const jFirst = Math.max(0, Math.ceil(yLo));
  const jLast = Math.min(ny - 1, Math.ceil(yHi) - 1);
  for (let j = jFirst; j <= jLast; j++) {
    crossings(edges, j, xs);
    const row = offset + j * nx;
    for (let p = 0; p + 1 < xs.length; p += 2) {
      // centres i with xs[p] <= i < xs[p+1]
      const i0 = Math.max(0, Math.ceil(xs[p]));
      const i1 = Math.min(nx - 1, Math.ceil(xs[p + 1]) - 1);
      for (let i = i0; i <= i1; i++) {
        // Overlapping pairs cannot occur (crossings are sorted), so each pixel is set once.
        out[row + i] = 1;
        count++;
      }
    }
  }
  return count;
}

/** Whether the point (x, y) is inside the polygons, by exactly the rule rasterisePolygons applies. */
export function insidePolygons(polygons: readonly Polygon[], x: number, y: number): boolean {
  const xs = crossings(edgesOf(polygons), snap(y), []);
  const px = snap(x);
  let odd = false;
  for (const c of xs) if (c <= px) odd = !odd;
  return odd;
}

/** Signed area (shoelace; positive when counter-clockwise in x-right, y-up axes). */
export function signedArea(poly: Polygon): number {
  const n = poly.length >> 1;
  let s = 0;
  for (let a = 0; a < n; a++) {
    const b = (a + 1) % n;
    s += poly[2 * a] * poly[2 * b + 1] - poly[2 * b] * poly[2 * a + 1];
  }
  return s / 2;
}
