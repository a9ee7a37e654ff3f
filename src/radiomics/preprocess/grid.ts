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
