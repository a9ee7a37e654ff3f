/**
 * Small test images written as pictures: rows top to bottom, so y grows upwards (row 0 is the
 * highest y), as in the IBSI manual's figures where direction (1, 1) points up and to the right.
 */
import { DiscretisedRoi } from '../../../../src/radiomics/texture';
import { padRoi, PaddedGrid } from '../../../../src/radiomics/texture/grid';

/** A region from slices of pictures (0 = outside the ROI); the morphological mask is the ROI unless given. */
export function roiFrom(slices: number[][][], options: { nLevels?: number; morph?: number[][][] } = {}): DiscretisedRoi {
  const nz = slices.length;
  const ny = slices[0].length;
  const nx = slices[0][0].length;
  const levels = new Int32Array(nx * ny * nz);
  const morphMask = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let r = 0; r < ny; r++) {
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (ny - 1 - r + ny * z);
        levels[i] = slices[z][r][x];
        morphMask[i] = options.morph ? options.morph[z][r][x] : slices[z][r][x] > 0 ? 1 : 0;
      }
    }
  }
  return { dims: [nx, ny, nz], spacing: [1, 1, 1], levels, nLevels: options.nLevels ?? Math.max(1, ...levels), morphMask };
}

export function gridFrom(slices: number[][][], options: { nLevels?: number; morph?: number[][][] } = {}): PaddedGrid {
  return padRoi(roiFrom(slices, options), 1);
}

/** A row-major matrix as nested arrays, for readable expectations. */
export function rowsOf(counts: Float64Array, nCols: number, keepCols = nCols): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < counts.length / nCols; r++) out.push(Array.from(counts.subarray(r * nCols, r * nCols + keepCols)));
  return out;
}

/** The grey-level picture of IBSI manual figures 3.x (GLCM, GLRLM, GLSZM, GLDZM examples). */
export const MANUAL_EXAMPLE = [
  [1, 2, 2, 3],
  [1, 2, 3, 3],
  [4, 2, 4, 1],
  [4, 1, 2, 3],
];
