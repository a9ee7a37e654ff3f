/**
 * ROI masks on a slice range of the CT grid: each slice's placed contours rasterised by the
 * even-odd, centre-inside rule of polygon/rasterise.ts.
 */
import { Mask, Vec3 } from '../radiomics/volume';
import { boxDims, cropMask, IndexBox, nonZeroBox } from '../radiomics/indexBox';
import { gridOrigin, PatientGeometry, sliceRangeGeometry } from './geometry';
import { rasterisePolygons } from './polygon/rasterise';
import { RoiPlacement } from './roiPlacement';

/** A contiguous run of slices of the full series: [first, first + count). */
export interface SliceRange {
  first: number;
  count: number;
}

/**
 * The mask of a placed ROI on slices [range.first, range.first + range.count) of the series
 * whose full geometry is `series`: a Mask on exactly the grid of the CT volume of that range.
 */
export function rasteriseRoi(placement: RoiPlacement, series: PatientGeometry, range: SliceRange): Mask {
  const [nx, ny] = series.dims;
  const data = new Uint8Array(nx * ny * range.count);
  for (const [slice, contours] of placement.slices) {
    const k = slice - range.first;
    if (k < 0 || k >= range.count) continue;
    rasterisePolygons(
      contours.map((c) => c.pixel),
      nx,
      ny,
      data,
      k * nx * ny,
    );
  }
  const g = sliceRangeGeometry(series, range.first, range.count);
  return { dims: [nx, ny, range.count], spacing: [...series.spacing], origin: gridOrigin(g), data };
}

/**
 * A mask on a range's grid kept as its non-zero bounding box: a lesion plan holds every lesion's
 * mask until its volume is decoded, and a 512 x 512 x 40 range is 10 MB where the lesion's box is
 * a few hundred kB (the 1,000-slice study's five lesions: 52 MB held through the whole analysis).
 */
export interface PackedMask {
  /** The full grid (the range's CT volume), as the unpacked Mask has it. */
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  /** Where `data` lies on that grid; null for a mask without any voxel. */
  box: IndexBox | null;
  data: Uint8Array;
}

export function packMask(mask: Mask): PackedMask {
  const box = nonZeroBox(mask.data, mask.dims);
  const { dims, spacing, origin } = mask;
  return { dims: [...dims], spacing: [...spacing], origin: [...origin], box, data: box ? cropMask(mask.data, dims, box).data : new Uint8Array(0) };
}

/** The full mask again (a new array each call). */
export function unpackMask(packed: PackedMask): Mask {
  const [nx, ny, nz] = packed.dims;
  const data = new Uint8Array(nx * ny * nz);
  const { box } = packed;
  if (box) {
    const [bx, by, bz] = boxDims(box);
    for (let z = 0; z < bz; z++)
      for (let y = 0; y < by; y++) {
        const from = bx * (y + by * z);
        data.set(packed.data.subarray(from, from + bx), box.lo[0] + nx * (box.lo[1] + y + ny * (box.lo[2] + z)));
      }
  }
  return { dims: [...packed.dims], spacing: [...packed.spacing], origin: [...packed.origin], data };
}
