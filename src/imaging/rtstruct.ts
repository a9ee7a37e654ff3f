/**
 * RT Structure Set → ROIs with their contours, from a naturalised dataset.
 * Structure Set ROI Sequence (number, name, frame of reference), ROI Contour Sequence (contours
 * per referenced ROI number) and RT ROI Observations Sequence (RT ROI Interpreted Type) are
 * joined by ROI number. Contour Image Sequence references are kept but are optional in
 * practice: contours are placed on the CT by geometry (see roiPlacement.ts).
 */
import type { NaturalDataset } from '../dicom/part10';
import { SopClass } from '../dicom/uids';
import { num, nums, seq, str } from './attributes';
import type { PatientIdentity, StudyIdentity } from '../results/types';
import { patientIdentity, studyIdentity } from './imageHeader';
import { imageKey } from './ctSeries';


export interface Contour {
  /** CLOSED_PLANAR, POINT, OPEN_PLANAR, OPEN_NONPLANAR. */
  geometricType: string;
  /** x, y, z triplets in patient coordinates (LPS, mm). */
  points: Float64Array;
  /** Contour Image Sequence: the images the contour was drawn on, when given (keyed by imageKey: with the frame for a multi-frame image). */
  referencedSopInstanceUids: string[];
}

export interface RoiDefinition {
  number: number;
  name: string;
  /** RT ROI Interpreted Type, upper case; '' when absent or empty (the IBSI phantom's GTV-1). */
  interpretedType: string;
  frameOfReferenceUid?: string;
  generationAlgorithm?: string;
  description?: string;
  contours: Contour[];
}

export interface ReferencedSeries {
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  sopInstanceUids: string[];
}

export interface StructureSet {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  label?: string;
  name?: string;
  /** Frame of Reference UIDs of the Referenced Frame of Reference Sequence (and the dataset's own). */
  frameOfReferenceUids: string[];
  /** RT Referenced Series, with the images listed under each. */
  referencedSeries: ReferencedSeries[];
  rois: RoiDefinition[];
  patient: PatientIdentity;
  study: Omit<StudyIdentity, 'version'>;
  /** Oddities found while reading (e.g. contours for an undeclared ROI number). */
  notes: string[];
}

export class RtstructError extends Error {

  override readonly name = 'RtstructError';

}

export function parseStructureSet(ds: NaturalDataset, source = 'RTSTRUCT'): StructureSet {
  const sopClassUid = str(ds, 'SOPClassUID') ?? '';
  const modality = str(ds, 'Modality');
  if (sopClassUid !== SopClass.RtStructureSetStorage && modality !== 'RTSTRUCT') {
    throw new RtstructError(`${source} is not an RT Structure Set (SOP Class ${sopClassUid || 'missing'}, Modality ${modality ?? 'missing'}); give the RTSTRUCT file that holds the lesion contours.`);
  }
  const notes: string[] = [];
  const frames = new Set<string>();
  const referencedSeries: ReferencedSeries[] = [];
  for (const f of seq(ds, 'ReferencedFrameOfReferenceSequence')) {
    const forUid = str(f, 'FrameOfReferenceUID');
    if (forUid) frames.add(forUid);
    for (const study of seq(f, 'RTReferencedStudySequence')) {
      for (const s of seq(study, 'RTReferencedSeriesSequence')) {
        const uid = str(s, 'SeriesInstanceUID');
        if (!uid) continue;
        referencedSeries.push({
          seriesInstanceUid: uid,
          ...(forUid ? { frameOfReferenceUid: forUid } : {}),
          sopInstanceUids: seq(s, 'ContourImageSequence').map((c) => str(c, 'ReferencedSOPInstanceUID')).filter((u): u is string => !!u),
        });
      }
    }
  }
  const ownFrame = str(ds, 'FrameOfReferenceUID');
  if (ownFrame) frames.add(ownFrame);

  const rois = new Map<number, RoiDefinition>();
  for (const item of seq(ds, 'StructureSetROISequence')) {
    const number = num(item, 'ROINumber');
    if (number === undefined) {
      notes.push('a Structure Set ROI item has no ROI Number; ignored.');
      continue;
    }
    const roi: RoiDefinition = { number, name: str(item, 'ROIName') ?? `ROI ${number}`, interpretedType: '', contours: [] };
    const forUid = str(item, 'ReferencedFrameOfReferenceUID');
    if (forUid) roi.frameOfReferenceUid = forUid;
    const alg = str(item, 'ROIGenerationAlgorithm');
    if (alg) roi.generationAlgorithm = alg;
    const desc = str(item, 'ROIDescription');
    if (desc) roi.description = desc;
    if (rois.has(number)) notes.push(`ROI number ${number} is declared twice; the second ("${roi.name}") is ignored.`);
    else rois.set(number, roi);
  }
  for (const obs of seq(ds, 'RTROIObservationsSequence')) {
    const ref = num(obs, 'ReferencedROINumber');
    const roi = ref === undefined ? undefined : rois.get(ref);
    const type = str(obs, 'RTROIInterpretedType');
    if (roi && type) roi.interpretedType = type.toUpperCase();
  }
  for (const rc of seq(ds, 'ROIContourSequence')) {
    const ref = num(rc, 'ReferencedROINumber');
    const roi = ref === undefined ? undefined : rois.get(ref);
    if (!roi) {
      notes.push(`contours for ROI number ${ref ?? '(none)'} which the Structure Set ROI Sequence does not declare; ignored.`);
      continue;
    }
    seq(rc, 'ContourSequence').forEach((c, i) => {
      const values = nums(c, 'ContourData');
      const geometricType = (str(c, 'ContourGeometricType') ?? '').toUpperCase();
      if (!values || values.length % 3 !== 0) {
        notes.push(`ROI ${roi.number} "${roi.name}": contour ${i + 1} has no valid Contour Data (${values ? `${values.length} values, not a multiple of 3` : 'missing'}); ignored.`);
        return;
      }
      roi.contours.push({
        geometricType,
        points: Float64Array.from(values),
        // With the frame for a multi-frame image (Enhanced CT), as the slices are keyed.
        referencedSopInstanceUids: seq(c, 'ContourImageSequence').flatMap((x) => {
          const uid = str(x, 'ReferencedSOPInstanceUID');
          return uid ? [imageKey(uid, num(x, 'ReferencedFrameNumber'))] : [];
        }),
      });
    });
  }
  return {
    sopInstanceUid: str(ds, 'SOPInstanceUID') ?? '',
    sopClassUid: sopClassUid || SopClass.RtStructureSetStorage,
    seriesInstanceUid: str(ds, 'SeriesInstanceUID') ?? '',
    studyInstanceUid: str(ds, 'StudyInstanceUID') ?? '',
    ...(str(ds, 'StructureSetLabel') ? { label: str(ds, 'StructureSetLabel') } : {}),
    ...(str(ds, 'StructureSetName') ? { name: str(ds, 'StructureSetName') } : {}),
    frameOfReferenceUids: [...frames],
    referencedSeries,
    rois: [...rois.values()].sort((a, b) => a.number - b.number),
    patient: patientIdentity(ds),
    study: studyIdentity(ds),
    notes,
  };
}
