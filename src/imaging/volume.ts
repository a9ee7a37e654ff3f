/**
 * The CT volume handed to radiomics: HU values of a contiguous run of slices on the
 * Volume<Float32Array> grid contract (radiomics/volume.ts), with the patient geometry of that
 * run and the identity of each slice it holds.
 */
import { Volume } from '../radiomics/volume';
import { gridOrigin, PatientGeometry, sliceRangeGeometry } from './geometry';
import { CtSeries, SliceRef } from './ctSeries';
import { ImageHeader } from './imageHeader';
import { RawSamples, rescaleSlice } from './pixels';
import { SliceRange } from './roiMask';

export interface CtVolume {
  /** HU, i = column, j = row, k = slice (x fastest); origin in the grid's own axes. */
  image: Volume<Float32Array>;
  /** Patient geometry of this volume: origin = Image Position (Patient) of its first slice. */
  geometry: PatientGeometry;
  /** Which slices of the full series it holds: [first, first + count). */
  range: SliceRange;
  /** Slices in the full series. */
  seriesSliceCount: number;
  /** Identity of each slice held, in k order (slices[k].index = range.first + k). */
  slices: SliceRef[];
}

/** A volume of `range` filled with zeros, to be filled slice by slice with setSlice. */
export function emptyCtVolume(series: CtSeries & { geometry: PatientGeometry }, range: SliceRange): CtVolume {
  const g = series.geometry;
  const [nx, ny] = g.dims;
  if (range.first < 0 || range.count < 1 || range.first + range.count > g.dims[2]) throw new RangeError(`slice range ${range.first}+${range.count} is outside the series (${g.dims[2]} slices)`);
  const geometry = sliceRangeGeometry(g, range.first, range.count);
  return {
    image: { dims: [nx, ny, range.count], spacing: [...g.spacing], origin: gridOrigin(geometry), data: new Float32Array(nx * ny * range.count) },
    geometry,
    range: { ...range },
    seriesSliceCount: g.dims[2],
    slices: series.slices.slice(range.first, range.first + range.count),
  };
}

/** Writes the HU values of slice `k` of the volume from its image's stored samples. */
export function setSlice(volume: CtVolume, k: number, header: ImageHeader, samples: RawSamples): void {
  const [nx, ny] = volume.image.dims;
  rescaleSlice(samples, header.pixel, header.rescaleSlope, header.rescaleIntercept, volume.image.data, k * nx * ny);
}
