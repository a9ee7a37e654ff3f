/** Comparing masks across tools: NIfTI (RAS world) masks mapped onto a DICOM (LPS) grid, Dice. */
import { NiftiImage } from '../../src/io/nifti';
import { PatientGeometry, patientToVoxelMapper } from '../../src/imaging/geometry';

/**
 * The voxels of a NIfTI mask (value ≥ 0.5) on the DICOM grid `g`: each NIfTI voxel centre is taken
 * to world coordinates by its affine (RAS: x and y point the other way from DICOM's LPS), then to
 * the nearest DICOM voxel. Returns the mask and how many NIfTI voxels fell outside the grid.
 */
export function niftiMaskOnGrid(nifti: NiftiImage, g: PatientGeometry): { mask: Uint8Array; outside: number } {
  const [nx, ny, nz] = g.dims;
  const mask = new Uint8Array(nx * ny * nz);
  const toVoxel = patientToVoxelMapper(g);
  const A = nifti.affine;
  const [ni, nj] = nifti.dims;
  let outside = 0;
  nifti.data.forEach((v, p) => {
    if (v < 0.5 - 1e-6) return;
    const a = p % ni;
    const b = Math.floor(p / ni) % nj;
    const c = Math.floor(p / (ni * nj));
    const ras = [0, 1, 2].map((r) => A[r][0] * a + A[r][1] * b + A[r][2] * c + A[r][3]);
    const [i, j, k] = toVoxel([-ras[0], -ras[1], ras[2]]).map(Math.round);
    if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) outside++;
    else mask[i + nx * (j + ny * k)] = 1;
  });
  return { mask, outside };
}

export function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let na = 0;
  let nb = 0;
  for (let p = 0; p < a.length; p++) {
    if (a[p]) na++;
    if (b[p]) nb++;
    if (a[p] && b[p]) both++;
  }
  return na + nb === 0 ? 1 : (2 * both) / (na + nb);
}

export const count = (m: Uint8Array) => m.reduce((n, v) => n + (v ? 1 : 0), 0);

/** Byte-wise equality of two typed arrays (jest's toEqual walks millions of elements slowly). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
