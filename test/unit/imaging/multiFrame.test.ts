/** Frames of an Enhanced CT object placed from its functional groups: per-frame values win over shared ones. */
import { expandFrames, MAX_FRAMES } from '../../../src/imaging/multiFrame';
import { ImageHeader } from '../../../src/imaging/imageHeader';

const header = (frames: number): ImageHeader => ({
  source: '/spool/enhanced.dcm',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1',
  sopInstanceUid: '1.2.3',
  studyInstanceUid: '1.2',
  seriesInstanceUid: '1.2.1',
  imageType: [],
  pixel: { rows: 2, columns: 2, bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 0, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', numberOfFrames: frames },
  rescaleSlope: 1,
  rescaleIntercept: 0,
  hasPixelData: true,
  patient: { patientId: 'P', patientName: '' },
  study: { studyInstanceUid: '1.2' },
});

const shared = {
  PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
  PixelMeasuresSequence: [{ PixelSpacing: [0.5, 0.7], SliceThickness: 2 }],
  PixelValueTransformationSequence: [{ RescaleSlope: 1, RescaleIntercept: -1024 }],
  CTXRayDetailsSequence: [{ KVP: 120 }],
};
const frame = (z: number, intercept?: number) => ({
  PlanePositionSequence: [{ ImagePositionPatient: [-10, -20, z] }],
  ...(intercept !== undefined ? { PixelValueTransformationSequence: [{ RescaleSlope: 2, RescaleIntercept: intercept }] } : {}),
});

describe('expandFrames', () => {
  it('gives each frame its position, the shared orientation and spacing, and its own rescale where it has one', () => {
    const r = expandFrames(header(2), { SharedFunctionalGroupsSequence: [shared], PerFrameFunctionalGroupsSequence: [frame(5), frame(8, -1000)] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.frames.map((f) => [f.frame, f.imagePositionPatient, f.rescaleSlope, f.rescaleIntercept])).toEqual([
      [0, [-10, -20, 5], 1, -1024],
      [1, [-10, -20, 8], 2, -1000],
    ]);
    expect(r.frames[1]).toMatchObject({ imageOrientationPatient: [1, 0, 0, 0, 1, 0], pixelSpacing: [0.5, 0.7], sliceThickness: 2, kvp: 120, source: '/spool/enhanced.dcm' });
  });

  it('leaves a single-frame image as it is', () => {
    const h = header(1);
    expect(expandFrames(h, {})).toEqual({ ok: true, frames: [h] });
  });

  it('refuses a frame count that its groups do not match, an absurd frame count, and an object without groups', () => {
    expect(expandFrames(header(3), { SharedFunctionalGroupsSequence: [shared], PerFrameFunctionalGroupsSequence: [frame(1), frame(2)] })).toEqual({
      ok: false,
      message: '/spool/enhanced.dcm declares 3 frames (Number of Frames) but its Per-frame Functional Groups Sequence has 2 items; the object is inconsistent: send it again, or as classic CT images.',
    });
    expect(expandFrames(header(MAX_FRAMES + 1), {})).toMatchObject({ ok: false, message: expect.stringMatching(/declares 10001 frames .* more than the 10000/) });
    expect(expandFrames(header(2), {})).toMatchObject({ ok: false, message: expect.stringMatching(/no functional groups/) });
  });
});
