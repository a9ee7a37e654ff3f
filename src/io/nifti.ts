/**
 * A small NIfTI-1 reader (single file .nii or .nii.gz), enough for the IBSI phantoms and for
 * users who keep images in NIfTI: scalar 3-D images of any common data type, scaled by
 * scl_slope/scl_inter, returned as Float32 on the grid (spacing from pixdim; origin from the
 * qform/sform translation, axes as stored).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Vec3, Volume } from '../radiomics/volume';
import { errorText } from '../ops/errorText';

export class NiftiError extends Error {

  override readonly name = 'NiftiError';

}

const DATATYPES: Record<number, { bytes: number; read: (view: DataView, offset: number, little: boolean) => number; name: string }> = {
  2: { bytes: 1, read: (v, o) => v.getUint8(o), name: 'uint8' },
  4: { bytes: 2, read: (v, o, l) => v.getInt16(o, l), name: 'int16' },
  8: { bytes: 4, read: (v, o, l) => v.getInt32(o, l), name: 'int32' },
  16: { bytes: 4, read: (v, o, l) => v.getFloat32(o, l), name: 'float32' },
  64: { bytes: 8, read: (v, o, l) => v.getFloat64(o, l), name: 'float64' },
  256: { bytes: 1, read: (v, o) => v.getInt8(o), name: 'int8' },
  512: { bytes: 2, read: (v, o, l) => v.getUint16(o, l), name: 'uint16' },
  768: { bytes: 4, read: (v, o, l) => v.getUint32(o, l), name: 'uint32' },
};

export interface NiftiImage extends Volume<Float32Array> {
  /** 4×4 voxel-to-world affine (row major) from the sform (or qform), for information. */
  affine: number[][];
}

export function parseNifti(buffer: Buffer, name = 'NIfTI file'): NiftiImage {
  const bytes = buffer[0] === 0x1f && buffer[1] === 0x8b ? gunzipSync(buffer) : buffer;
  if (bytes.length < 352) throw new NiftiError(`${name}: too short for a NIfTI-1 header (${bytes.length} bytes).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  if (view.getInt32(0, true) !== 348) {
    if (view.getInt32(0, false) !== 348) throw new NiftiError(`${name}: not a NIfTI-1 file (sizeof_hdr is not 348).`);
    little = false;
  }
  const magic = bytes.subarray(344, 348).toString('latin1');
  if (magic !== 'n+1\0') throw new NiftiError(`${name}: only single-file NIfTI-1 ("n+1") is supported, found magic "${magic.replace(/\0/g, '')}".`);
  const ndim = view.getInt16(40, little);
  const dim = [1, 2, 3].map((i) => (i <= ndim ? view.getInt16(40 + 2 * i, little) : 1));
  for (let i = 4; i <= ndim; i++) {
    if (view.getInt16(40 + 2 * i, little) > 1) throw new NiftiError(`${name}: ${ndim}-D images are not supported; give a 3-D scalar image.`);
  }
  const datatype = view.getInt16(70, little);
  const type = DATATYPES[datatype];
  if (!type) throw new NiftiError(`${name}: NIfTI datatype ${datatype} is not supported (use int16, float32, ...).`);
  const pixdim = [1, 2, 3].map((i) => Math.abs(view.getFloat32(76 + 4 * i, little)) || 1);
  const voxOffset = Math.floor(view.getFloat32(108, little));
  let slope = view.getFloat32(112, little);
  const inter = view.getFloat32(116, little);
  if (!Number.isFinite(slope) || slope === 0) slope = 1;
  const n = dim[0] * dim[1] * dim[2];
  if (voxOffset + n * type.bytes > bytes.length) throw new NiftiError(`${name}: the file ends before its ${n} voxels.`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = type.read(view, voxOffset + i * type.bytes, little) * slope + (Number.isFinite(inter) ? inter : 0);

  const sformCode = view.getInt16(254, little);
  let affine: number[][];
  if (sformCode > 0) {
    affine = [0, 1, 2].map((r) => [0, 1, 2, 3].map((c) => view.getFloat32(280 + 16 * r + 4 * c, little)));
  } else {
    const qoffset = [268, 272, 276].map((o) => view.getFloat32(o, little));
    affine = [
      [pixdim[0], 0, 0, qoffset[0]],
      [0, pixdim[1], 0, qoffset[1]],
      [0, 0, pixdim[2], qoffset[2]],
    ];
  }
  affine.push([0, 0, 0, 1]);
  const origin: Vec3 = [affine[0][3], affine[1][3], affine[2][3]];
  return { dims: dim as Vec3, spacing: pixdim as Vec3, origin, data, affine };
}

export function readNifti(path: string): NiftiImage {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (e) {
    throw new NiftiError(`cannot read ${path}: ${errorText(e)}`);
  }
  return parseNifti(buffer, path);
}
