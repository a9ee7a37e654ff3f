/**
 * The IBSI phantoms as discretised regions, built without interpolation so these tests depend on
 * nothing but the NIfTI reader: the digital phantom (already discrete, levels = intensities) and
 * the CT phantom in configuration A (no interpolation, re-segmentation [-500, 400] HU, fixed bin
 * size 25 HU from -500 HU).
 */
import { join } from 'node:path';
import { NiftiImage, readNifti } from '../../../src/io/nifti';
import { DiscretisedRoi } from '../../../src/radiomics/texture';
import { SHARED } from '../../support/process';

const loaded = new Map<string, { image: NiftiImage; mask: NiftiImage }>();

function load(dir: string): { image: NiftiImage; mask: NiftiImage } {
  let pair = loaded.get(dir);
  if (!pair) {
    pair = {
      image: readNifti(join(SHARED, 'data', dir, 'nifti', 'image', 'phantom.nii.gz')),
      mask: readNifti(join(SHARED, 'data', dir, 'nifti', 'mask', 'mask.nii.gz')),
    };
    loaded.set(dir, pair);
  }
  return pair;
}

/** IBSI digital phantom: grey levels are the intensities; Ng = 6 (the highest level; 2 and 5 are absent). */
export function digitalPhantom(): DiscretisedRoi {
  const { image, mask } = load('ibsi-digital-phantom');
  const levels = new Int32Array(image.data.length);
  const morphMask = new Uint8Array(image.data.length);
  for (let i = 0; i < levels.length; i++) {
    if (mask.data[i] < 0.5) continue;
    morphMask[i] = 1;
    levels[i] = Math.round(image.data[i]);
  }
  return { dims: image.dims, spacing: image.spacing, levels, nLevels: Math.max(...levels), morphMask };
}

/**
 * CT phantom, configuration A. Ng for fixed bin size: the highest grey level in the ROI (as the
 * IBSI coordinators' toolkit does), unless `nLevels` is given.
 */
export function ctPhantomConfigA(nLevels?: number): DiscretisedRoi {
  const { image, mask } = load('ibsi-ct-phantom');
  const n = image.data.length;
  const levels = new Int32Array(n);
  const morphMask = new Uint8Array(n);
  let highest = 0;
  for (let i = 0; i < n; i++) {
    if (mask.data[i] < 0.5) continue;
    morphMask[i] = 1;
    const hu = image.data[i];
    if (hu < -500 || hu > 400) continue;
    levels[i] = Math.floor((hu + 500) / 25) + 1;
    if (levels[i] > highest) highest = levels[i];
  }
  return { dims: image.dims, spacing: image.spacing, levels, nLevels: nLevels ?? highest, morphMask };
}
