/**
 * Enhanced CT and Legacy Converted Enhanced CT: one object holds the whole series as frames, and
 * what a classic CT image says in its own header (position, orientation, pixel spacing, rescale)
 * sits in functional groups, shared by every frame or given per frame. Each frame becomes an
 * image header of its own, so the series checks, the slice ordering and the lesion planning treat
 * it exactly like a single-frame series; `frame` says which frame of the file to decode.
 */
import type { NaturalDataset } from '../dicom/part10';
import { num, nums, seq } from './attributes';
import { ImageHeader } from './imageHeader';
import { Vec3 } from './geometry';

/** Bound on frames per object: far beyond any CT series, small enough to refuse an absurd count before allocating per frame. */
export const MAX_FRAMES = 10_000;

export type FrameExpansion = { ok: true; frames: ImageHeader[] } | { ok: false; message: string };

/** The first item of a functional group macro: from the frame's own groups, else the shared ones. */
function group(perFrame: NaturalDataset | undefined, shared: NaturalDataset | undefined, keyword: string): NaturalDataset | undefined {
  return (perFrame && seq(perFrame, keyword)[0]) ?? (shared && seq(shared, keyword)[0]);
}

/**
 * The frames of a multi-frame image as single-frame headers. A header that is not multi-frame
 * comes back as it is. A multi-frame image without per-frame functional groups, or whose groups
 * do not match its Number of Frames, cannot be placed and is refused with the reason.
 */
export function expandFrames(h: ImageHeader, ds: NaturalDataset): FrameExpansion {
  const n = h.pixel.numberOfFrames;
  if (n <= 1) return { ok: true, frames: [h] };
  if (n > MAX_FRAMES) return { ok: false, message: `${h.source} declares ${n} frames (Number of Frames), more than the ${MAX_FRAMES} a CT object may have here; the object is damaged or not a CT series.` };
  const perFrame = seq(ds, 'PerFrameFunctionalGroupsSequence');
  const shared = seq(ds, 'SharedFunctionalGroupsSequence')[0];
  if (perFrame.length === 0 && !shared) {
    return { ok: false, message: `${h.source} holds ${n} frames but no functional groups (Shared/Per-frame Functional Groups Sequence) to place them; only Enhanced CT and Legacy Converted Enhanced CT multi-frame objects are supported.` };
  }
  if (perFrame.length !== n) {
    return { ok: false, message: `${h.source} declares ${n} frames (Number of Frames) but its Per-frame Functional Groups Sequence has ${perFrame.length} items; the object is inconsistent: send it again, or as classic CT images.` };
  }
  const frames: ImageHeader[] = [];
  for (let i = 0; i < n; i++) {
    const own = perFrame[i];
    const position = group(own, shared, 'PlanePositionSequence');
    const orientation = group(own, shared, 'PlaneOrientationSequence');
    const measures = group(own, shared, 'PixelMeasuresSequence');
    const rescale = group(own, shared, 'PixelValueTransformationSequence');
    const xray = group(own, shared, 'CTXRayDetailsSequence');
    const ipp = position && nums(position, 'ImagePositionPatient', 3);
    const iop = orientation && nums(orientation, 'ImageOrientationPatient', 6);
    const ps = measures && nums(measures, 'PixelSpacing', 2);
    frames.push({
      ...h,
      frame: i,
      // The top-level attributes are absent in Enhanced CT, or copies in a legacy conversion: the groups win.
      imagePositionPatient: (ipp as Vec3 | undefined) ?? h.imagePositionPatient,
      imageOrientationPatient: (iop as ImageHeader['imageOrientationPatient']) ?? h.imageOrientationPatient,
      pixelSpacing: (ps as [number, number] | undefined) ?? h.pixelSpacing,
      sliceThickness: (measures && num(measures, 'SliceThickness')) ?? h.sliceThickness,
      rescaleSlope: (rescale && num(rescale, 'RescaleSlope')) ?? h.rescaleSlope,
      rescaleIntercept: (rescale && num(rescale, 'RescaleIntercept')) ?? h.rescaleIntercept,
      kvp: (xray && num(xray, 'KVP')) ?? h.kvp,
    });
  }
  return { ok: true, frames };
}
