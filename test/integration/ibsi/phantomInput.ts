/** The IBSI phantoms as the engine's input: NIfTI image and mask, converted as IBSI says. */
import { join } from 'node:path';
import { readNifti } from '../../../src/io/nifti';
import { Mask, Volume } from '../../../src/radiomics/volume';
import { DATA_DIR } from './reference';

/**
 * IBSI: "when using the data in NIfTI format, both image stacks should be converted to (at
 * least) 32-bit floating point and rounded to the nearest integer before further processing".
 */
export function readPhantom(name: 'ibsi-digital-phantom' | 'ibsi-ct-phantom'): { image: Volume<Float32Array>; mask: Mask } {
  const dir = join(DATA_DIR, name, 'nifti');
  const image = readNifti(join(dir, 'image', 'phantom.nii.gz'));
  for (let i = 0; i < image.data.length; i++) image.data[i] = Math.round(image.data[i]);
  const m = readNifti(join(dir, 'mask', 'mask.nii.gz'));
  const mask: Mask = { dims: m.dims, spacing: m.spacing, origin: m.origin, data: Uint8Array.from(m.data, (v) => (Math.round(v) > 0 ? 1 : 0)) };
  return { image: { dims: image.dims, spacing: image.spacing, origin: image.origin, data: image.data }, mask };
}
