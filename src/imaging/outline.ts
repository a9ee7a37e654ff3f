/**
 * The outline of a lesion on its largest slice, for the SR's image-anchored region
 * (LesionOutline of results/types.ts).
 *
 * The polygon is the RTSTRUCT contour drawn on that slice; when several are (islands, holes),
 * the one enclosing the largest area. Pixel coordinates follow DICOM SCOORD (PS3.3 C.18.6.1.1):
 * column\row with (0,0) the top-left corner of the top-left pixel, so the centre of pixel
 * (i, j) is (i + 0.5, j + 0.5). Both polygons are closed: the last point repeats the first.
 */
import type { LesionOutline } from '../results/types';
import { SliceRef } from './ctSeries';
import { signedArea } from './polygon/rasterise';
import { PlacedContour } from './roiPlacement';

export function lesionOutline(contours: readonly PlacedContour[], slice: SliceRef): LesionOutline | null {
  if (contours.length === 0) return null;
  const biggest = contours.reduce((a, b) => (Math.abs(signedArea(b.pixel)) > Math.abs(signedArea(a.pixel)) ? b : a));
  const n = biggest.pixel.length / 2;
  const pixelPoints: Array<[number, number]> = [];
  const patientPoints: Array<[number, number, number]> = [];
  for (let p = 0; p < n; p++) {
    pixelPoints.push([biggest.pixel[2 * p] + 0.5, biggest.pixel[2 * p + 1] + 0.5]);
    patientPoints.push([biggest.patient[3 * p], biggest.patient[3 * p + 1], biggest.patient[3 * p + 2]]);
  }
  const same = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
  if (!same(pixelPoints[0], pixelPoints[n - 1])) {
    pixelPoints.push([...pixelPoints[0]]);
    patientPoints.push([...patientPoints[0]]);
  }
  const image = { sopClassUid: slice.sopClassUid, sopInstanceUid: slice.sopInstanceUid, ...(slice.frameNumber !== undefined ? { frameNumber: slice.frameNumber } : {}) };
  return { image, pixelPoints, patientPoints };
}
