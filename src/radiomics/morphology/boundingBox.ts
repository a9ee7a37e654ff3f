/**
 * Bounding boxes of the mesh (through its convex hull): axis-aligned (PBX1/R59B) and an
 * oriented minimum bounding box (ZH1A/IQYR). IBSI has no reference value for the OMBB and
 * notes it is commonly approximated; here: for each of the (up to 128) largest distinct hull
 * face orientations, the box with one face flush with that hull face and the minimum-area
 * rectangle of the projection on that face; the smallest such box.
 */
import { Hull } from './convexHull';

export interface Box {
  volume: number;
  area: number;
  dims: [number, number, number];
}

function boxOf(dims: [number, number, number]): Box {
  const [a, b, c] = dims;
  return { volume: a * b * c, area: 2 * (a * b + a * c + b * c), dims };
}

export function axisAlignedBox(pointsMm: Float64Array): Box {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < pointsMm.length; i += 3) {
    for (let d = 0; d < 3; d++) {
      lo[d] = Math.min(lo[d], pointsMm[i + d]);
      hi[d] = Math.max(hi[d], pointsMm[i + d]);
    }
  }
  return boxOf([hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]]);
}

/** 2-D convex hull (Andrew's monotone chain), counter-clockwise, of points (x, y per point). */
function hull2d(xy: Float64Array): Float64Array {
  const n = xy.length / 2;
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => xy[2 * i] - xy[2 * j] || xy[2 * i + 1] - xy[2 * j + 1]);
  const cross = (o: number, a: number, b: number) =>
    (xy[2 * a] - xy[2 * o]) * (xy[2 * b + 1] - xy[2 * o + 1]) - (xy[2 * a + 1] - xy[2 * o + 1]) * (xy[2 * b] - xy[2 * o]);
  const lower: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 1e-12) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 1e-12) upper.pop();
    upper.push(i);
  }
  const chain = lower.slice(0, -1).concat(upper.slice(0, -1));
  const out = new Float64Array(2 * chain.length);
  chain.forEach((i, k) => {
    out[2 * k] = xy[2 * i];
    out[2 * k + 1] = xy[2 * i + 1];
  });
  return out;
}

/** Minimum-area enclosing rectangle of a convex polygon: one side lies along a polygon edge. */
function minAreaRectangle(poly: Float64Array): { w: number; h: number } {
  const n = poly.length / 2;
  let best = { w: 0, h: 0, area: Infinity };
  for (let e = 0; e < n; e++) {
    const x0 = poly[2 * e], y0 = poly[2 * e + 1];
    const x1 = poly[2 * ((e + 1) % n)], y1 = poly[2 * ((e + 1) % n) + 1];
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (len === 0) continue;
    const ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (let k = 0; k < n; k++) {
      const px = poly[2 * k] - x0, py = poly[2 * k + 1] - y0;
      const pu = px * ux + py * uy;
      const pv = -px * uy + py * ux;
      if (pu < minU) minU = pu;
      if (pu > maxU) maxU = pu;
      if (pv < minV) minV = pv;
      if (pv > maxV) maxV = pv;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < best.area) best = { w: maxU - minU, h: maxV - minV, area };
  }
  return best;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export function orientedMinimumBox(hull: Hull, spacing: [number, number, number]): Box {
  const P = hull.points;
  const F = hull.faces;
  const n = P.length / 3;
  const mm = new Float64Array(P.length);
  for (let i = 0; i < P.length; i++) mm[i] = P[i] * (spacing[i % 3] / 2);
  // Distinct face normals, from the exact lattice cross products (reduced by their gcd).
  const normals = new Map<string, { n: [number, number, number]; area: number }>();
  for (let f = 0; f < F.length; f += 3) {
    const a = F[f], b = F[f + 1], c = F[f + 2];
    const ux = mm[3 * b] - mm[3 * a], uy = mm[3 * b + 1] - mm[3 * a + 1], uz = mm[3 * b + 2] - mm[3 * a + 2];
    const vx = mm[3 * c] - mm[3 * a], vy = mm[3 * c + 1] - mm[3 * a + 1], vz = mm[3 * c + 2] - mm[3 * a + 2];
    const nl = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
    const il = [0, 1, 2].map((d) => {
      const L = [
        [P[3 * b] - P[3 * a], P[3 * b + 1] - P[3 * a + 1], P[3 * b + 2] - P[3 * a + 2]],
        [P[3 * c] - P[3 * a], P[3 * c + 1] - P[3 * a + 1], P[3 * c + 2] - P[3 * a + 2]],
      ];
      const [e1, e2] = [(d + 1) % 3, (d + 2) % 3];
      return L[0][e1] * L[1][e2] - L[0][e2] * L[1][e1];
    });
    const g = gcd(gcd(il[0], il[1]), il[2]) || 1;
    const key = il.map((v) => v / g).join(',');
    const len = Math.hypot(nl[0], nl[1], nl[2]);
    if (len === 0) continue;
    const known = normals.get(key);
    if (known) known.area += len;
    else normals.set(key, { n: [nl[0] / len, nl[1] / len, nl[2] / len], area: len });
  }
  const candidates = [...normals.values()].sort((x, y) => y.area - x.area).slice(0, 128).map((c) => c.n);
  let best: Box | null = null;
  const xy = new Float64Array(2 * n);
  for (const [nx, ny, nz] of candidates) {
    // Orthonormal basis (e1, e2) of the plane ⊥ normal.
    const t = Math.abs(nx) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    let e1 = [ny * t[2] - nz * t[1], nz * t[0] - nx * t[2], nx * t[1] - ny * t[0]];
    const l1 = Math.hypot(e1[0], e1[1], e1[2]);
    e1 = e1.map((v) => v / l1);
    const e2 = [ny * e1[2] - nz * e1[1], nz * e1[0] - nx * e1[2], nx * e1[1] - ny * e1[0]];
    let minH = Infinity;
    let maxH = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = mm[3 * i], y = mm[3 * i + 1], z = mm[3 * i + 2];
      const h = x * nx + y * ny + z * nz;
      if (h < minH) minH = h;
      if (h > maxH) maxH = h;
      xy[2 * i] = x * e1[0] + y * e1[1] + z * e1[2];
      xy[2 * i + 1] = x * e2[0] + y * e2[1] + z * e2[2];
    }
    const rect = minAreaRectangle(hull2d(xy));
    const box = boxOf([rect.w, rect.h, maxH - minH]);
    if (!best || box.volume < best.volume) best = box;
  }
  return best ?? boxOf([0, 0, 0]);
}
