/**
 * The image contract between imaging/ and radiomics/: a scalar 3-D image on a regular grid.
 * Voxel (i, j, k) — column, row, slice — is at index i + nx * (j + ny * k), x fastest.
 * Radiomics needs only the grid (dims, spacing, origin for grid alignment); the patient
 * orientation stays with imaging/.
 */
export type Vec3 = [number, number, number];

export interface Volume<T extends Float32Array | Float64Array | Uint8Array | Int16Array | Int32Array = Float32Array> {
  /** Voxels along x (columns), y (rows), z (slices). */
  dims: Vec3;
  /** Voxel size in millimetres along x, y, z (z = distance between slice centres). */
  spacing: Vec3;
  /** Centre of voxel (0, 0, 0) in millimetres, in the grid's own axes. */
  origin: Vec3;
  data: T;
}

/** A binary mask on the same grid as its image: 1 inside the region, 0 outside. */
export type Mask = Volume<Uint8Array>;

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}

export function sameGrid(a: Volume<Float32Array | Float64Array | Uint8Array | Int16Array | Int32Array>, b: Volume<Float32Array | Float64Array | Uint8Array | Int16Array | Int32Array>, toleranceMm = 1e-4): boolean {
  for (let d = 0; d < 3; d++) {
    if (a.dims[d] !== b.dims[d]) return false;
    if (Math.abs(a.spacing[d] - b.spacing[d]) > toleranceMm) return false;
    if (Math.abs(a.origin[d] - b.origin[d]) > toleranceMm) return false;
  }
  return true;
}
