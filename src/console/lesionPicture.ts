/**
 * Reads the key CT slice of a lesion from the spool and draws it with the lesion's contour
 * (console/slicePicture.ts). Undefined when the image is no longer in the spool.
 */
import type { StudyCatalog } from '../study/types';
import type { LesionResult } from '../results/types';
import { initialiseCodecs, readDicomHeader, readPixelSamples } from '../dicom/read';
import { imageHeader } from '../imaging/imageHeader';
import { rescaleSlice } from '../imaging/pixels';
import { drawSliceWithContour } from './slicePicture';
import { errorText } from '../ops/errorText';

export interface LesionPictureRequest {
  /** The node's data directory (where the report's saved pictures live, once they do). */
  dataDir: string;
  catalog: Pick<StudyCatalog, 'listInstances'>;
  studyInstanceUid: string;
  version: number;
  /** Index of the lesion in the stored analysis. */
  lesionIndex: number;
  lesion: Pick<LesionResult, 'outline'>;
}

export async function plainLesionPicture(r: LesionPictureRequest): Promise<Buffer | undefined> {
  const outline = r.lesion.outline;
  if (!outline) return undefined;
  const instance = (await r.catalog.listInstances(r.studyInstanceUid, r.version)).find((i) => i.sopInstanceUid === outline.image.sopInstanceUid);
  if (!instance) return undefined;
  await initialiseCodecs();
  let header;
  try {
    const { meta, dataset } = await readDicomHeader(instance.path);
    header = imageHeader(meta, dataset, instance.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT/.test(errorText(e))) return undefined;
    throw e;
  }
  const samples = await readPixelSamples(instance.path, header.pixel);
  const values = new Float32Array(header.pixel.rows * header.pixel.columns);
  rescaleSlice(samples, header.pixel, header.rescaleSlope, header.rescaleIntercept, values, 0);
  return drawSliceWithContour({ values, columns: header.pixel.columns, rows: header.pixel.rows }, outline.pixelPoints);
}
