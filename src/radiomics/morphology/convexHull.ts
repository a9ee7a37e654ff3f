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

/** Growable typed storage of the hull's faces (no boxed JS arrays on the hot path). */
class FaceStore {
  /** The points (x, y, z each). */
  readonly p: Int32Array;
  /** Next point in the same conflict list (-1: last). */
  readonly next: Int32Array;
  /** Vertices (3 per face), neighbours across edges v0v1, v1v2, v2v0 (3 per face). */
  fv: Int32Array = new Int32Array(3 * 256);
  fn: Int32Array = new Int32Array(3 * 256);
  /** Plane n = (v1 − v0) × (v2 − v0) and n·v0 (4 per face); integers, exact. */
  plane: Float64Array = new Float64Array(4 * 256);
  alive: Uint8Array = new Uint8Array(256);
  /** Conflict list of each face (first, last point; -1 when empty), linked through `next`. */
  head: Int32Array = new Int32Array(256);
  tail: Int32Array = new Int32Array(256);
  /** Visibility stamp of each face (see convexHull). */
  mark: Int32Array = new Int32Array(256);
  count = 0;

  constructor(p: Int32Array) {
    this.p = p;
    const n = p.length / 3;
    this.next = new Int32Array(n).fill(-1);
    // Room for as many faces as points from the start: fewer growths inside the hull's loop.
    this.reserve(Math.max(256, n));
  }

  // Methods, not closures in convexHull: V8 recompiled a closure made anew by each call, once per
  // hull, on every extraction.

  /**
   * A new face (i, j, k) with no neighbours and an empty conflict list. Its plane makes
   * orient(v0, v1, v2, q) = n·q − n·v0 three products instead of a determinant; integer
   * coordinates keep both forms exact and equal (|n·q| stays far below 2^53).
   */
  newFace(i: number, j: number, k: number): number {
    const f = this.add();
    const p = this.p;
    this.fv[3 * f] = i;
    this.fv[3 * f + 1] = j;
    this.fv[3 * f + 2] = k;
    this.fn[3 * f] = -1;
    this.fn[3 * f + 1] = -1;
    this.fn[3 * f + 2] = -1;
    this.alive[f] = 1;
    this.head[f] = -1;
    this.tail[f] = -1;
    this.mark[f] = 0;
    const ax = p[3 * i], ay = p[3 * i + 1], az = p[3 * i + 2];
    const bx = p[3 * j] - ax, by = p[3 * j + 1] - ay, bz = p[3 * j + 2] - az;
    const cx = p[3 * k] - ax, cy = p[3 * k + 1] - ay, cz = p[3 * k + 2] - az;
    const nx = by * cz - bz * cy;
    const ny = bz * cx - bx * cz;
    const nz = bx * cy - by * cx;
    const plane = this.plane;
    plane[4 * f] = nx;
    plane[4 * f + 1] = ny;
    plane[4 * f + 2] = nz;
    plane[4 * f + 3] = nx * ax + ny * ay + nz * az;
    return f;
  }

  /** orient(face f, q): > 0 when point q is above face f. */
  above(f: number, q: number): number {
    const pl = this.plane;
    const p = this.p;
    return pl[4 * f] * p[3 * q] + pl[4 * f + 1] * p[3 * q + 1] + pl[4 * f + 2] * p[3 * q + 2] - pl[4 * f + 3];
  }

  /** Appends point q to face f's conflict list. */
  enqueue(f: number, q: number): void {
    const next = this.next;
    next[q] = -1;
    if (this.head[f] < 0) this.head[f] = q;
    else next[this.tail[f]] = q;
    this.tail[f] = q;
  }

  add(): number {
    if (this.count === this.alive.length) this.reserve(2 * this.alive.length);
    return this.count++;
  }

  /** Capacity for `size` faces (at least the current one). */
  private reserve(size: number): void {
    if (size <= this.alive.length) return;
    this.fv = grown(this.fv, 3 * size);
    this.fn = grown(this.fn, 3 * size);
    const plane = new Float64Array(4 * size);
    plane.set(this.plane);
    this.plane = plane;
    const alive = new Uint8Array(size);
    alive.set(this.alive);
    this.alive = alive;
    this.head = grown(this.head, size);
    this.tail = grown(this.tail, size);
    this.mark = grown(this.mark, size);
  }
}

/**
 * Quickhull with conflict lists: every point outside the current hull waits on one face it
 * sees; the farthest point of a face is added next, the faces it sees (found by walking face
 * neighbours) are replaced by a cone to their horizon, and only their waiting points are
 * tested again. Visibility is the exact test orient > 0, so coplanar points never enter.
 * Conflict lists keep their points in the order they were added: the choice of apex among equally
 * far points, hence the hull's triangulation and the order of its faces, depends on it.
 */
export function convexHull(lattice: Int32Array): Hull {
  const p = rowExtremes(lattice);
  const n = p.length / 3;
  if (n < 4) throw new DegenerateHullError('fewer than 4 points: no 3-D hull');
  const [a, b, c, d] = initialTetrahedron(p, n);

  const F = new FaceStore(p);
  // Initial tetrahedron, faces oriented so the fourth vertex is below each.
  const tet = orient(p, a, b, c, d) > 0 ? [[a, c, b], [a, b, d], [b, c, d], [c, a, d]] : [[a, b, c], [a, d, b], [b, d, c], [c, d, a]];
  for (const [i, j, k] of tet) F.newFace(i, j, k);
  linkByEdges([0, 1, 2, 3], F.fv, F.fn);
  assignToFaces(F, n, a, b, c, d);
  expandHull(F, n);
  return renumbered(F, p, n);
}

/** Each point other than the tetrahedron's (a, b, c, d) waits on the first of its 4 faces it sees. */
function assignToFaces(F: FaceStore, n: number, a: number, b: number, c: number, d: number): void {
  for (let q = 0; q < n; q++) {
    if (q === a || q === b || q === c || q === d) continue;
    for (let f = 0; f < 4; f++) {
      if (F.above(f, q) > 0) {
        F.enqueue(f, q);
        break;
      }
    }
  }
}

/**
 * Adds the farthest waiting point of a face until no point waits (quickhull). Its own function, as
 * are the steps before and after it: V8 compiles this loop on stack replacement while it runs,
 * and code after it in the same function, not yet run then, made it drop and recompile the whole.
 */
function expandHull(F: FaceStore, n: number): void {
  const next = F.next;
  const stack = [0, 1, 2, 3];
  // Scratch: visible faces, horizon edges (i, j, face beyond), created faces; faces by horizon vertex.
  // Sized for any hull of n points (at most 2n − 4 faces, whose horizon has at most 2n edges), so
  // the growth below, which the compiled loop has never seen run, is not needed.
  const most = 2 * n + 8;
  let visible: Int32Array = new Int32Array(most);
  let horizon: Int32Array = new Int32Array(3 * most);
  let created: Int32Array = new Int32Array(most);
  const byStart = new Int32Array(n);
  const byEnd = new Int32Array(n);
  let stamp = 0;
  while (stack.length > 0) {
    const f0 = stack.pop()!;
    if (!F.alive[f0] || F.head[f0] < 0) continue;
    // The farthest point of this face (orient is proportional to the distance); the first of equals.
    let apex = -1;
    let far = 0;
    for (let q = F.head[f0]; q >= 0; q = next[q]) {
      const o = F.above(f0, q);
      if (o > far) {
        far = o;
        apex = q;
      }
    }
    // Faces visible from the apex: a connected patch around f0 (mark = stamp: visible, −stamp: not).
    stamp++;
    let nVisible = 0;
    visible[nVisible++] = f0;
    F.mark[f0] = stamp;
    for (let v = 0; v < nVisible; v++) {
      const f = visible[v];
      for (let e = 0; e < 3; e++) {
        const g = F.fn[3 * f + e];
        if (F.mark[g] === stamp || F.mark[g] === -stamp) continue;
        if (F.above(g, apex) > 0) {
          F.mark[g] = stamp;
          if (nVisible === visible.length) visible = grown(visible);
          visible[nVisible++] = g;
        } else F.mark[g] = -stamp;
      }
    }
    // Horizon: directed edges (i → j) of visible faces whose neighbour stays.
    let nHorizon = 0;
    for (let v = 0; v < nVisible; v++) {
      const f = visible[v];
      for (let e = 0; e < 3; e++) {
        const g = F.fn[3 * f + e];
        if (F.mark[g] === stamp) continue;
        if (3 * nHorizon === horizon.length) horizon = grown(horizon);
        horizon[3 * nHorizon] = F.fv[3 * f + e];
        horizon[3 * nHorizon + 1] = F.fv[3 * f + ((e + 1) % 3)];
        horizon[3 * nHorizon + 2] = g;
        nHorizon++;
      }
    }
    if (created.length < nHorizon) created = new Int32Array(2 * nHorizon);
    // The horizon is one cycle: each of its vertices starts one edge and ends one, so byStart and
    // byEnd need no clearing between iterations (only this iteration's entries are read).
    for (let h = 0; h < nHorizon; h++) {
      const i = horizon[3 * h];
      const j = horizon[3 * h + 1];
      const g = horizon[3 * h + 2];
      const f = F.newFace(i, j, apex);
      created[h] = f;
      byStart[i] = f;
      byEnd[j] = f;
      F.fn[3 * f] = g;
      // The face beyond now borders the new face across edge (j → i).
      for (let e = 0; e < 3; e++) {
        if (F.fv[3 * g + e] === j && F.fv[3 * g + ((e + 1) % 3)] === i) F.fn[3 * g + e] = f;
      }
    }
    for (let h = 0; h < nHorizon; h++) {
      const f = created[h];
      const i = F.fv[3 * f];
      const j = F.fv[3 * f + 1];
      F.fn[3 * f + 1] = byStart[j]; // across (j → apex)
      F.fn[3 * f + 2] = byEnd[i]; // across (apex → i)
    }
    // Hand the waiting points of the removed faces to the new ones.
    for (let v = 0; v < nVisible; v++) {
      const f = visible[v];
      F.alive[f] = 0;
      for (let q = F.head[f]; q >= 0; ) {
        const following = next[q];
        if (q !== apex) {
          for (let h = 0; h < nHorizon; h++) {
            const g = created[h];
            if (F.above(g, q) > 0) {
              F.enqueue(g, q);
              break;
            }
          }
        }
        q = following;
      }
      F.head[f] = -1;
      F.tail[f] = -1;
    }
    for (let h = 0; h < nHorizon; h++) if (F.head[created[h]] >= 0) stack.push(created[h]);
  }
}

/** The hull's faces with its vertices numbered in the order faces use them. */
function renumbered(F: FaceStore, p: Int32Array, n: number): Hull {
  const map = new Int32Array(n).fill(-1);
  const points: number[] = [];
  const faces: number[] = [];
  for (let f = 0; f < F.count; f++) {
    if (!F.alive[f]) continue;
    for (let k = 0; k < 3; k++) {
      const v = F.fv[3 * f + k];
      if (map[v] < 0) {
        map[v] = points.length / 3;
        points.push(p[3 * v], p[3 * v + 1], p[3 * v + 2]);
      }
      faces.push(map[v]);
    }
  }
  return { points: Int32Array.from(points), faces: Int32Array.from(faces) };
}

/** A copy of `a` in a larger array (twice as long by default). */
function grown(a: Int32Array, size = 2 * a.length): Int32Array {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/** Sets neighbour links between the given faces by matching opposite directed edges. */
function linkByEdges(faces: number[], fv: Int32Array, fn: Int32Array): void {
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
