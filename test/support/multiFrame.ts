/** Helpers of the multi-frame check's tests: what the analysis reads of a file, and what a check says. */
import { readImagingHeader } from '../../src/dicom/read';
import { imageHeader, PixelLayout } from '../../src/imaging/imageHeader';

/** The pixel layout the analysis reads from the file's header (dcmjs reads every multi-frame header). */
export async function layoutOf(path: string): Promise<PixelLayout> {
  const { meta, dataset } = await readImagingHeader(path);
  return imageHeader(meta, dataset, path).pixel;
}

/** What a frame-count check says: "holds its frames", or its error's message (to compare two checks). */
export async function outcome(check: () => Promise<unknown>): Promise<string> {
  try {
    await check();
    return 'holds its frames';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
