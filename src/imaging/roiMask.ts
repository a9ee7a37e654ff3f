/**
 * ROI masks on a slice range of the CT grid: each slice's placed contours rasterised by the
 * even-odd, centre-inside rule of polygon/rasterise.ts.
 */
import { Mask } from '../radiomics/volume';
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
