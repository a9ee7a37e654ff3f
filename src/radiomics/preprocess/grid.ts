/**
 * The IBSI interpolation grid, "align grid centres" (3WE3): per axis the new grid has
 * n_b = ⌈n_a s_a / s_b⌉ points (rounded up so the grid never vanishes), spacing s_b, and its
 * centre on the centre of the original grid. Coordinates are expressed in original voxel
 * indices so that any interpolator can sample the original array directly.
 */
import { Vec3 } from '../volume';

export interface ResampledGrid {
  dims: Vec3;
  spacing: Vec3;
  /** Centre of new voxel (0,0,0) in millimetres, in the grid's own axes. */
  origin: Vec3;
  /** Position of new voxel 0 along each axis, in original voxel indices. */
  start: Vec3;
  /** Distance between new voxels, in original voxel indices (s_b / s_a). */
  step: Vec3;
}

export interface GridSource {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
}

/**
 * `newSpacing[d] === null` keeps axis d as it is (e.g. the slice axis when interpolating in-plane
 * only, IBSI 2D interpolation).
 */
export function alignedGrid(source: GridSource, newSpacing: [number | null, number | null, number | null]): ResampledGrid {
  const dims = [0, 0, 0] as Vec3;
  const spacing = [0, 0, 0] as Vec3;
  const origin = [0, 0, 0] as Vec3;
  const start = [0, 0, 0] as Vec3;
  const step = [0, 0, 0] as Vec3;
  for (let d = 0; d < 3; d++) {
    const na = source.dims[d];
    const sa = source.spacing[d];
    const sb = newSpacing[d];
    if (sb === null || Math.abs(sb - sa) <= 1e-9 * sa) {
      dims[d] = na;
      spacing[d] = sa;
      origin[d] = source.origin[d];
      start[d] = 0;
      step[d] = 1;
      continue;
    }
    // The small tolerance keeps an exact ratio (e.g. 90.000000000001) from growing a voxel.
    const nb = Math.max(1, Math.ceil((na * sa) / sb - 1e-9));
    const g = sb / sa;
    const x0 = 0.5 * (na - 1) - 0.5 * (nb - 1) * g;
    dims[d] = nb;
    spacing[d] = sb;
    origin[d] = source.origin[d] + x0 * sa;
    start[d] = x0;
    step[d] = g;
  }
  return { dims, spacing, origin, start, step };
}

/** True when the grid samples the source exactly at its own voxels (no interpolation needed). */
export function isIdentityGrid(grid: ResampledGrid, source: GridSource): boolean {
  for (let d = 0; d < 3; d++) {
    if (grid.dims[d] !== source.dims[d] || grid.start[d] !== 0 || grid.step[d] !== 1) return false;
  }
  return true;
}

/** Inclusive voxel index box [lo, hi] per axis. */
export interface IndexBox {
  lo: Vec3;
  hi: Vec3;
}

export function boxDims(box: IndexBox): Vec3 {
  return [box.hi[0] - box.lo[0] + 1, box.hi[1] - box.lo[1] + 1, box.hi[2] - box.lo[2] + 1];
}

/** Bounding box of the non-zero voxels, or null when there are none. */
export function nonZeroBox(data: ArrayLike<number>, dims: Vec3): IndexBox | null {
  const [nx, ny, nz] = dims;
  const lo: Vec3 = [nx, ny, nz];
  const hi: Vec3 = [-1, -1, -1];
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (data[i] === 0) continue;
        if (x < lo[0]) lo[0] = x;
        if (x > hi[0]) hi[0] = x;
        if (y < lo[1]) lo[1] = y;
        if (y > hi[1]) hi[1] = y;
        if (z < lo[2]) lo[2] = z;
        if (z > hi[2]) hi[2] = z;
      }
    }
  }
  return hi[0] < 0 ? null : { lo, hi };
}
