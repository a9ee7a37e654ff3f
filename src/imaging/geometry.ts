/**
 * Patient geometry of an image grid: where voxel (i, j, k) lies in the DICOM patient coordinate
 * system (LPS, millimetres), and back. i = column, j = row, k = slice, as in the Volume contract
 * of radiomics/volume.ts.
 *
 *   patient = origin + i·Δi·rowDirection + j·Δj·columnDirection + k·Δk·sliceDirection
 *
 * rowDirection is the first triplet of Image Orientation (Patient): the direction along a row,
 * in which the column index i grows. columnDirection is the second triplet (j grows).
 * sliceDirection is the unit step from one slice position to the next; for an untilted series it
 * is the slice normal rowDirection × columnDirection (or its opposite). The mapping is inverted
 * with the full 3×3 matrix, so oblique orientations work exactly.
 */
import { Vec3 } from '../radiomics/volume';

export type { Vec3 } from '../radiomics/volume';
/** A length in millimetres. */
export type Millimetres = number;

export const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);
export function normalise(a: Vec3): Vec3 {
  const n = norm(a);
  return n === 0 ? [0, 0, 0] : scale(a, 1 / n);
}
/** Angle between two directions, in degrees. */
export function angleDeg(a: Vec3, b: Vec3): number {
  const c = dot(a, b) / (norm(a) * norm(b));
  return (Math.acos(Math.max(-1, Math.min(1, c))) * 180) / Math.PI;
}

export interface PatientGeometry {
  /** Voxels along i (columns), j (rows), k (slices). */
  dims: Vec3;
  /** [column spacing = PixelSpacing[1], row spacing = PixelSpacing[0], slice spacing from positions], mm. */
  spacing: Vec3;
  /** Patient position (LPS, mm) of the centre of voxel (0, 0, 0): Image Position (Patient) of slice 0. */
  origin: Vec3;
  /** Unit direction in which i grows (Image Orientation (Patient) [0..2]). */
  rowDirection: Vec3;
  /** Unit direction in which j grows (Image Orientation (Patient) [3..5]). */
  columnDirection: Vec3;
  /** Unit direction in which k grows (from slice 0 towards slice 1). */
  sliceDirection: Vec3;
}

/** Columns of the voxel → patient matrix: the patient step of one voxel along i, j, k. */
function axes(g: PatientGeometry): [Vec3, Vec3, Vec3] {
  return [scale(g.rowDirection, g.spacing[0]), scale(g.columnDirection, g.spacing[1]), scale(g.sliceDirection, g.spacing[2])];
}

/** Patient position (mm) of a (possibly fractional) voxel index. */
export function voxelToPatient(g: PatientGeometry, ijk: Vec3): Vec3 {
  const [a, b, c] = axes(g);
  return [
    g.origin[0] + ijk[0] * a[0] + ijk[1] * b[0] + ijk[2] * c[0],
    g.origin[1] + ijk[0] * a[1] + ijk[1] * b[1] + ijk[2] * c[1],
    g.origin[2] + ijk[0] * a[2] + ijk[1] * b[2] + ijk[2] * c[2],
  ];
}

/** A patient → continuous voxel index mapping, with the matrix inverted once (use it for many points). */
export function patientToVoxelMapper(g: PatientGeometry): (p: Vec3) => Vec3 {
  const [a, b, c] = axes(g);
  // Inverse of M = [a b c] (columns) by the adjugate: rows of M⁻¹ are (b×c, c×a, a×b) / det.
  const det = dot(a, cross(b, c));
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('degenerate image geometry: its axes are not independent');
  const r0 = scale(cross(b, c), 1 / det);
  const r1 = scale(cross(c, a), 1 / det);
  const r2 = scale(cross(a, b), 1 / det);
  const o = g.origin;
  return (p: Vec3): Vec3 => {
    const d: Vec3 = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
    return [dot(r0, d), dot(r1, d), dot(r2, d)];
  };
}

/** Continuous voxel index of a patient position (mm). */
export function patientToVoxel(g: PatientGeometry, p: Vec3): Vec3 {
  return patientToVoxelMapper(g)(p);
}

/** Volume of one voxel in mm³ (the parallelepiped of the three axes). */
export function voxelVolumeMm3(g: PatientGeometry): number {
  const [a, b, c] = axes(g);
  return Math.abs(dot(a, cross(b, c)));
}

/**
 * The Volume contract's origin: the centre of voxel (0,0,0) expressed in the grid's own axes
 * (its components along rowDirection, columnDirection, sliceDirection). For the usual axial
 * series (identity orientation) this is simply the patient position.
 */
export function gridOrigin(g: PatientGeometry): Vec3 {
  return [dot(g.origin, g.rowDirection), dot(g.origin, g.columnDirection), dot(g.origin, g.sliceDirection)];
}

/** The geometry of slices [first, first + count) of a series. */
export function sliceRangeGeometry(g: PatientGeometry, first: number, count: number): PatientGeometry {
  return { ...g, dims: [g.dims[0], g.dims[1], count], origin: voxelToPatient(g, [0, 0, first]) };
}
