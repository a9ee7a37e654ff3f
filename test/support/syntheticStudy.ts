/**
 * Writes small synthetic CT studies as real DICOM files (CT slices + RTSTRUCT), whose radiomic
 * features are known in closed form: 1 mm isotropic voxels (the CD8 settings' 1 mm resampling is
 * then the identity), a constant background, and spherical lesions that are constant or split in
 * two mirror-symmetric halves of two values (exactly half the voxels each, by symmetry).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { SopClass, TransferSyntax } from '../../src/dicom/uids';


export interface SyntheticLesion {
  roiNumber: number;
  name: string;
  interpretedType: string;
  /** Centre in voxel indices (use .5 in x to make the mask mirror-symmetric about x = centre). */
  centre: [number, number, number];
  radiusMm: number;
  /** HU inside; `rightValue` (x > centre) makes it a two-level lesion. */
  value: number;
  rightValue?: number;
}

export interface SyntheticStudySpec {
  dims: [number, number, number];
  background: number;
  lesions: SyntheticLesion[];
  kvp?: number | null;
  modality?: string;
  patientId?: string;
}

export interface SyntheticStudy {
  ctDir: string;
  rtstruct: string;
  studyInstanceUid: string;
}

const uid = () => dcmjs.data.DicomMetaDictionary.uid();

function meta(sopClassUid: string, sopInstanceUid: string) {
  return {
    _vrMap: {},
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: TransferSyntax.ExplicitVrLittleEndian,
    ImplementationClassUID: '1.2.826.0.1.3680043.10.1329.1',
  };
}

function write(path: string, metaDs: Record<string, unknown>, ds: Record<string, unknown>): void {
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(metaDs));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  writeFileSync(path, Buffer.from(dict.write()));
}

/** Inside the polygonal contour drawn for this lesion on slice z (the node rasterises the same polygon). */
function circleAt(l: SyntheticLesion, z: number): number | undefined {
  const dz = z - l.centre[2];
  const r2 = l.radiusMm * l.radiusMm - dz * dz;
  return r2 > 0 ? Math.sqrt(r2) : undefined;
}

const VERTICES = 72;

function polygon(cx: number, cy: number, r: number): Array<[number, number]> {
  // Vertices symmetric about the vertical axis x = cx.
  return Array.from({ length: VERTICES }, (_, i) => {
    const a = ((i + 0.5) / VERTICES) * 2 * Math.PI;
    // Rounded as written in ContourData, so the painted image and the contour agree exactly.
    return [Number((cx + r * Math.cos(a)).toFixed(4)), Number((cy + r * Math.sin(a)).toFixed(4))];
  });
}

/** Even-odd point-in-polygon test, for painting the image where the contour is. */
function inside(px: number, py: number, poly: Array<[number, number]>): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}

export function writeSyntheticStudy(dir: string, spec: SyntheticStudySpec): SyntheticStudy {
  const [nx, ny, nz] = spec.dims;
  const ctDir = join(dir, 'CT');
  mkdirSync(ctDir, { recursive: true });
  const study = uid();
  const series = uid();
  const frame = uid();
  const patient = {
    PatientName: 'SYNTHETIC^SPHERES',
    PatientID: spec.patientId ?? 'SYN001',
    PatientBirthDate: '19700101',
    PatientSex: 'O',
    StudyInstanceUID: study,
    StudyDate: '20240102',
    StudyTime: '101500',
    StudyID: '1',
    AccessionNumber: 'ACC-SYN-1',
    ReferringPhysicianName: '',
  };
  const sliceUids: string[] = [];
  for (let k = 0; k < nz; k++) {
    const pixels = new Int16Array(nx * ny).fill(spec.background);
    for (const l of spec.lesions) {
      const r = circleAt(l, k);
      if (r === undefined) continue;
      const poly = polygon(l.centre[0], l.centre[1], r);
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          if (!inside(i, j, poly)) continue;
          pixels[i + nx * j] = l.rightValue !== undefined && i > l.centre[0] ? l.rightValue : l.value;
        }
    }
    const sop = uid();
    sliceUids.push(sop);
    const ds = {
      _vrMap: { PixelData: 'OW' },
      SpecificCharacterSet: 'ISO_IR 100',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SOPClassUID: SopClass.CtImageStorage,
      SOPInstanceUID: sop,
      Modality: spec.modality ?? 'CT',
      Manufacturer: 'cd8-node test suite',
      ...patient,
      SeriesInstanceUID: series,
      SeriesNumber: 2,
      InstanceNumber: k + 1,
      FrameOfReferenceUID: frame,
      ...(spec.kvp === null ? {} : { KVP: spec.kvp ?? 120 }),
      SliceThickness: 1,
      ImagePositionPatient: [0, 0, k],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      PixelSpacing: [1, 1],
      Rows: ny,
      Columns: nx,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleIntercept: 0,
      RescaleSlope: 1,
      PixelData: [pixels.buffer],
    };
    write(join(ctDir, `ct${String(k).padStart(4, '0')}.dcm`), meta(SopClass.CtImageStorage, sop), ds);
  }

  const rsUid = uid();
  const rtstruct = join(dir, 'RS.dcm');
  const rs = {
    _vrMap: {},
    SpecificCharacterSet: 'ISO_IR 100',
    SOPClassUID: SopClass.RtStructureSetStorage,
    SOPInstanceUID: rsUid,
    Modality: 'RTSTRUCT',
    Manufacturer: 'cd8-node test suite',
    ...patient,
    SeriesInstanceUID: uid(),
    SeriesNumber: 3,
    InstanceNumber: 1,
    StructureSetLabel: 'SPHERES',
    StructureSetDate: '20240102',
    StructureSetTime: '101500',
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: frame,
        RTReferencedStudySequence: [
          {
            ReferencedSOPClassUID: SopClass.DetachedStudyManagement,
            ReferencedSOPInstanceUID: study,
            RTReferencedSeriesSequence: [
              { SeriesInstanceUID: series, ContourImageSequence: sliceUids.map((s) => ({ ReferencedSOPClassUID: SopClass.CtImageStorage, ReferencedSOPInstanceUID: s })) },
            ],
          },
        ],
      },
    ],
    StructureSetROISequence: spec.lesions.map((l) => ({ ROINumber: l.roiNumber, ReferencedFrameOfReferenceUID: frame, ROIName: l.name, ROIGenerationAlgorithm: 'MANUAL' })),
    ROIContourSequence: spec.lesions.map((l) => ({
      ReferencedROINumber: l.roiNumber,
      ROIDisplayColor: [255, 0, 0],
      ContourSequence: Array.from({ length: nz }, (_, k) => k)
        .filter((k) => circleAt(l, k) !== undefined)
        .map((k) => {
          const pts = polygon(l.centre[0], l.centre[1], circleAt(l, k)!).flatMap(([x, y]) => [x, y, k]);
          return { ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: pts.length / 3, ContourData: pts };
        }),
    })),
    RTROIObservationsSequence: spec.lesions.map((l) => ({ ObservationNumber: l.roiNumber, ReferencedROINumber: l.roiNumber, RTROIInterpretedType: l.interpretedType })),
  };
  write(rtstruct, meta(SopClass.RtStructureSetStorage, rsUid), rs);
  return { ctDir, rtstruct, studyInstanceUid: study };
}
