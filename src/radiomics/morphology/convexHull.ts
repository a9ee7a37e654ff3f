/**
 * 3-D convex hull of integer lattice points (the mesh vertices on the half-voxel lattice).
 *
 * Working on integers keeps every orientation test exact (coordinates of a few hundred give
 * determinants far below 2^53), so the many coplanar points of a voxel surface cause no
 * robustness trouble; scaling the axes by the voxel spacing afterwards preserves convexity.
 * Points strictly inside a lattice row (between the row's first and last point along x, y or
 * z) cannot be hull vertices and are dropped first, which leaves a few thousand candidates for
 * the incremental construction.
 */

export interface Hull {
  /** Hull vertex coordinates (lattice units), 3 per vertex. */
  points: Int32Array;
  /** Faces as vertex index triples into `points`, outward counter-clockwise. */
  faces: Int32Array;
}

export class DegenerateHullError extends Error {

  override readonly name = 'DegenerateHullError';

}

/** Candidates: for every row along each axis, its two extreme points (the first of equals). */
function rowExtremes(lattice: Int32Array): Int32Array {
  const n = lattice.length / 3;
  const keep = new Uint8Array(n);
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < 3; d++) {
      const c = lattice[3 * i + d];
      if (c < min[d]) min[d] = c;
      if (c > max[d]) max[d] = c;
    }
  }
  for (let axis = 0; axis < 3; axis++) {
    const [u, v] = [0, 1, 2].filter((d) => d !== axis);
    // Rows are keyed by their (u, v) lattice coordinates, densely; each keeps its extreme
    // coordinates beside the point indices (comparing against lattice[3 · index] would be a
    // scattered read per point).
    const width = max[v] - min[v] + 1;
    const lowest = new Int32Array((max[u] - min[u] + 1) * width).fill(-1);
    const highest = new Int32Array(lowest.length).fill(-1);
    const lowValue = new Int32Array(lowest.length);
    const highValue = new Int32Array(lowest.length);
    const mu = min[u];
    const mv = min[v];
    for (let i = 0; i < n; i++) {
      const key = (lattice[3 * i + u] - mu) * width + (lattice[3 * i + v] - mv);
      const w = lattice[3 * i + axis];
      if (lowest[key] < 0 || w < lowValue[key]) {
        lowest[key] = i;
        lowValue[key] = w;
      }
      if (highest[key] < 0 || w > highValue[key]) {
        highest[key] = i;
        highValue[key] = w;
      }
    }
    for (let key = 0; key < lowest.length; key++) {
      if (lowest[key] >= 0) keep[lowest[key]] = 1;
      if (highest[key] >= 0) keep[highest[key]] = 1;
    }
  }
  let m = 0;
  for (let i = 0; i < n; i++) m += keep[i];
  const out = new Int32Array(3 * m);
  for (let i = 0, j = 0; i < n; i++) {
    if (!keep[i]) continue;
    out[j++] = lattice[3 * i];
    out[j++] = lattice[3 * i + 1];
    out[j++] = lattice[3 * i + 2];
  }
  return out;
}

/** Six times the signed volume of tetrahedron (a, b, c, d): > 0 when d is above plane abc. */
function orient(p: Int32Array, a: number, b: number, c: number, d: number): number {
  const ax = p[3 * a], ay = p[3 * a + 1], az = p[3 * a + 2];
  const bx = p[3 * b] - ax, by = p[3 * b + 1] - ay, bz = p[3 * b + 2] - az;
  const cx = p[3 * c] - ax, cy = p[3 * c + 1] - ay, cz = p[3 * c + 2] - az;
  const dx = p[3 * d] - ax, dy = p[3 * d + 1] - ay, dz = p[3 * d + 2] - az;
  return dx * (by * cz - bz * cy) - dy * (bx * cz - bz * cx) + dz * (bx * cy - by * cx);
}

/**
 * Quickhull with conflict lists: every point outside the current hull waits on one face it
 * sees; the farthest point of a face is added next, the faces it sees (found by walking face
 * neighbours) are replaced by a cone to their horizon, and only their waiting points are
 * tested again. Visibility is the exact test orient > 0, so coplanar points never enter.
 */
export function convexHull(lattice: Int32Array): Hull {
  const p = rowExtremes(lattice);
  const n = p.length / 3;
  if (n < 4) throw new DegenerateHullError('fewer than 4 points: no 3-D hull');
  const [a, b, c, d] = initialTetrahedron(p, n);

  // Face storage (grows): vertices, neighbours across edges (v0v1, v1v2, v2v0), liveness.
  const fv: number[] = [];
  const fn: number[] = [];
  const alive: boolean[] = [];
  const outside: number[][] = [];
  // Each face's plane, n = (v1 − v0) × (v2 − v0) and n·v0: orient(v0, v1, v2, q) = n·q − n·v0 is
  // then three products instead of a determinant. Integer coordinates keep both forms exact and
  // equal (|n·q| stays far below 2^53).
  const plane: number[] = [];
  const newFace = (i: number, j: number, k: number): number => {
    const f = alive.length;
    fv.push(i, j, k);
    fn.push(-1, -1, -1);
    alive.push(true);
    outside.push([]);
    const ax = p[3 * i], ay = p[3 * i + 1], az = p[3 * i + 2];
    const bx = p[3 * j] - ax, by = p[3 * j + 1] - ay, bz = p[3 * j + 2] - az;
    const cx = p[3 * k] - ax, cy = p[3 * k + 1] - ay, cz = p[3 * k + 2] - az;
    const nx = by * cz - bz * cy;
    const ny = bz * cx - bx * cz;
    const nz = bx * cy - by * cx;
    plane.push(nx, ny, nz, nx * ax + ny * ay + nz * az);
    return f;
  };
  const above = (f: number, q: number) => plane[4 * f] * p[3 * q] + plane[4 * f + 1] * p[3 * q + 1] + plane[4 * f + 2] * p[3 * q + 2] - plane[4 * f + 3];
  // Initial tetrahedron, faces oriented so the fourth vertex is below each.
  const tet = orient(p, a, b, c, d) > 0 ? [[a, c, b], [a, b, d], [b, c, d], [c, a, d]] : [[a, b, c], [a, d, b], [b, d, c], [c, d, a]];
  for (const [i, j, k] of tet) newFace(i, j, k);
  linkByEdges([0, 1, 2, 3], fv, fn);
  for (let q = 0; q < n; q++) {
    if (q === a || q === b || q === c || q === d) continue;
    for (let f = 0; f < 4; f++) {
      if (above(f, q) > 0) {
        outside[f].push(q);
        break;
      }
    }
  }
  const stack = [0, 1, 2, 3];
  const visibleMark: number[] = [];
  let stamp = 0;
  while (stack.length > 0) {
    const f0 = stack.pop()!;
    if (!alive[f0] || outside[f0].length === 0) continue;
    // The farthest point of this face (orient is proportional to the distance).
    let apex = -1;
    let far = 0;
    for (const q of outside[f0]) {
      const o = above(f0, q);
      if (o > far) {
        far = o;
        apex = q;
      }
    }
    // Faces visible from the apex: a connected patch around f0.
    stamp++;
    const visible: number[] = [f0];
    visibleMark[f0] = stamp;
    for (let v = 0; v < visible.length; v++) {
      const f = visible[v];
      for (let e = 0; e < 3; e++) {
        const g = fn[3 * f + e];
        if (visibleMark[g] === stamp || visibleMark[g] === -stamp) continue;
        if (above(g, apex) > 0) {
          visibleMark[g] = stamp;
          visible.push(g);
        } else visibleMark[g] = -stamp;
      }
    }
    // Horizon: directed edges (i → j) of visible faces whose neighbour stays.
    const horizon: Array<[number, number, number]> = []; // i, j, face beyond
    for (const f of visible) {
      for (let e = 0; e < 3; e++) {
        const g = fn[3 * f + e];
        if (visibleMark[g] === stamp) continue;
        horizon.push([fv[3 * f + e], fv[3 * f + ((e + 1) % 3)], g]);
      }
    }
    const byStart = new Map<number, number>();
    const byEnd = new Map<number, number>();
    const created: number[] = [];
    for (const [i, j, g] of horizon) {
      const f = newFace(i, j, apex);
      created.push(f);
      byStart.set(i, f);
      byEnd.set(j, f);
      fn[3 * f] = g;
      // The face beyond now borders the new face across edge (j → i).
      for (let e = 0; e < 3; e++) {
        if (fv[3 * g + e] === j && fv[3 * g + ((e + 1) % 3)] === i) fn[3 * g + e] = f;
      }
    }
    for (const f of created) {
      const i = fv[3 * f];
      const j = fv[3 * f + 1];
      fn[3 * f + 1] = byStart.get(j)!; // across (j → apex)
      fn[3 * f + 2] = byEnd.get(i)!; // across (apex → i)
    }
    // Hand the waiting points of the removed faces to the new ones.
    for (const f of visible) {
      alive[f] = false;
      for (const q of outside[f]) {
        if (q === apex) continue;
        for (const g of created) {
          if (above(g, q) > 0) {
            outside[g].push(q);
            break;
          }
        }
      }
      outside[f] = [];
    }
    for (const f of created) if (outside[f].length > 0) stack.push(f);
  }
  // Renumber the vertices that faces use.
  const map = new Int32Array(n).fill(-1);
  const points: number[] = [];
  const faces: number[] = [];
  for (let f = 0; f < alive.length; f++) {
    if (!alive[f]) continue;
    for (let k = 0; k < 3; k++) {
      const v = fv[3 * f + k];
      if (map[v] < 0) {
        map[v] = points.length / 3;
        points.push(p[3 * v], p[3 * v + 1], p[3 * v + 2]);
      }
      faces.push(map[v]);
    }
  }
  return { points: Int32Array.from(points), faces: Int32Array.from(faces) };
}

/** Sets neighbour links between the given faces by matching opposite directed edges. */
function linkByEdges(faces: number[], fv: number[], fn: number[]): void {
  for (const f of faces) {
    for (let e = 0; e < 3; e++) {
      const i = fv[3 * f + e];
      const j = fv[3 * f + ((e + 1) % 3)];
      for (const g of faces) {
        if (g === f) continue;
        for (let k = 0; k < 3; k++) {
          if (fv[3 * g + k] === j && fv[3 * g + ((k + 1) % 3)] === i) fn[3 * f + e] = g;
        }
      }
    }
  }
}

/** Two far-apart points, a third far off their line, a fourth far off their plane. */
function initialTetrahedron(p: Int32Array, n: number): [number, number, number, number] {
  const a = 0;
  let b = -1;
  let best = -1;
  for (let i = 1; i < n; i++) {
    const dd = (p[3 * i] - p[0]) ** 2 + (p[3 * i + 1] - p[1]) ** 2 + (p[3 * i + 2] - p[2]) ** 2;
    if (dd > best) {
      best = dd;
      b = i;
    }
  }
  let c = -1;
  best = 0;
  const ux = p[3 * b] - p[0], uy = p[3 * b + 1] - p[1], uz = p[3 * b + 2] - p[2];
  for (let i = 0; i < n; i++) {
    const vx = p[3 * i] - p[0], vy = p[3 * i + 1] - p[1], vz = p[3 * i + 2] - p[2];
    const cross = (uy * vz - uz * vy) ** 2 + (uz * vx - ux * vz) ** 2 + (ux * vy - uy * vx) ** 2;
    if (cross > best) {
      best = cross;
      c = i;
    }
  }
  if (c < 0) throw new DegenerateHullError('all points are collinear');
  let d = -1;
  best = 0;
  for (let i = 0; i < n; i++) {
    const o = Math.abs(orient(p, a, b, c, i));
    if (o > best) {
      best = o;
      d = i;
    }
  }
  if (d < 0) throw new DegenerateHullError('all points are coplanar');
  return [a, b, c, d];
}

/** Volume and area of the hull in mm, the lattice being half-voxel steps of `spacing`. */
export function hullVolumeArea(hull: Hull, spacing: [number, number, number]): { volume: number; area: number } {
  const h = [spacing[0] / 2, spacing[1] / 2, spacing[2] / 2];
  const P = hull.points;
  const F = hull.faces;
  let volume = 0;
  let area = 0;
  const x = (i: number, d: number) => P[3 * i + d] * h[d];
  for (let f = 0; f < F.length; f += 3) {
    const a = F[f], b = F[f + 1], c = F[f + 2];
    const ux = x(b, 0) - x(a, 0), uy = x(b, 1) - x(a, 1), uz = x(b, 2) - x(a, 2);
    const vx = x(c, 0) - x(a, 0), vy = x(c, 1) - x(a, 1), vz = x(c, 2) - x(a, 2);
    const nx = uy * vz - uz * vy;
    const ny = uz * vx - ux * vz;
    const nz = ux * vy - uy * vx;
    area += Math.sqrt(nx * nx + ny * ny + nz * nz) / 2;
    volume += (x(a, 0) * nx + x(a, 1) * ny + x(a, 2) * nz) / 6;
  }
  return { volume: Math.abs(volume), area };
}

/** Hull vertices in mm (x, y, z per point). */
export function hullPointsMm(hull: Hull, spacing: [number, number, number]): Float64Array {
  const out = new Float64Array(hull.points.length);
  for (let i = 0; i < out.length; i++) out[i] = hull.points[i] * (spacing[i % 3] / 2);
  return out;
}

/** Largest distance between two points (mm), O(h²) over hull vertices. */
export function maximumDiameter(pointsMm: Float64Array): number {
  const n = pointsMm.length / 3;
  let best = 0;
  for (let i = 0; i < n; i++) {
    const xi = pointsMm[3 * i], yi = pointsMm[3 * i + 1], zi = pointsMm[3 * i + 2];
    for (let j = i + 1; j < n; j++) {
      const dx = pointsMm[3 * j] - xi;
      const dy = pointsMm[3 * j + 1] - yi;
      const dz = pointsMm[3 * j + 2] - zi;
      const d = dx * dx + dy * dy + dz * dz;
      if (d > best) best = d;
    }
  }
  return Math.sqrt(best);
}
