/**
 * What the imaging code needs from the header of one image (everything before Pixel Data),
 * read from a naturalised dataset. Missing attributes stay undefined here; the series checks
 * decide what is fatal.
 */
import type { NaturalDataset } from '../dicom/part10';
import { TransferSyntax } from '../dicom/uids';
import { num, nums, personName, str, strs } from './attributes';
import { Vec3 } from './geometry';
import type { PatientIdentity, StudyIdentity } from '../results/types';

export interface PixelLayout {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 = unsigned, 1 = two's complement. */
  pixelRepresentation: number;
  samplesPerPixel: number;
  photometricInterpretation: string;
  numberOfFrames: number;
}

export interface ImageHeader {
  /** Where the image came from (a file path): used in messages and to read its pixels later. */
  source: string;
  /** For one frame of a multi-frame object (Enhanced CT): its index in the file, from 0. */
  frame?: number;
  /** Why this multi-frame object cannot be split into frames (set by the loader; the series check refuses it). */
  frameProblem?: string;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid?: string;
  modality?: string;
  imageType: string[];
  instanceNumber?: number;
  imagePositionPatient?: Vec3;
  imageOrientationPatient?: [number, number, number, number, number, number];
  /** [row spacing (between rows), column spacing (between columns)] as in the attribute. */
  pixelSpacing?: [number, number];
  pixel: PixelLayout;
  rescaleSlope: number;
  rescaleIntercept: number;
  hasPixelData: boolean;
  kvp?: number;
  sliceThickness?: number;
  gantryDetectorTilt?: number;
  manufacturer?: string;
  manufacturerModelName?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  patient: PatientIdentity;
  study: Omit<StudyIdentity, 'version'>;
}

/** Series, study and patient identity plus pixel facts of one image header. */
export function imageHeader(meta: NaturalDataset, ds: NaturalDataset, source: string): ImageHeader {
  const ipp = nums(ds, 'ImagePositionPatient', 3);
  const iop = nums(ds, 'ImageOrientationPatient', 6);
  const ps = nums(ds, 'PixelSpacing', 2);
  const bitsAllocated = num(ds, 'BitsAllocated') ?? 16;
  const bitsStored = num(ds, 'BitsStored') ?? bitsAllocated;
  return {
    source,
    transferSyntaxUid: str(meta, 'TransferSyntaxUID') ?? TransferSyntax.ImplicitVrLittleEndian,
    sopClassUid: str(ds, 'SOPClassUID') ?? str(meta, 'MediaStorageSOPClassUID') ?? '',
    sopInstanceUid: str(ds, 'SOPInstanceUID') ?? str(meta, 'MediaStorageSOPInstanceUID') ?? '',
    studyInstanceUid: str(ds, 'StudyInstanceUID') ?? '',
    seriesInstanceUid: str(ds, 'SeriesInstanceUID') ?? '',
    frameOfReferenceUid: str(ds, 'FrameOfReferenceUID'),
    modality: str(ds, 'Modality'),
    imageType: strs(ds, 'ImageType').map((t) => t.toUpperCase()),
    instanceNumber: num(ds, 'InstanceNumber'),
    imagePositionPatient: ipp as Vec3 | undefined,
    imageOrientationPatient: iop as ImageHeader['imageOrientationPatient'],
    pixelSpacing: ps as [number, number] | undefined,
    pixel: {
      rows: num(ds, 'Rows') ?? 0,
      columns: num(ds, 'Columns') ?? 0,
      bitsAllocated,
      bitsStored,
      highBit: num(ds, 'HighBit') ?? bitsStored - 1,
      pixelRepresentation: num(ds, 'PixelRepresentation') ?? 0,
      samplesPerPixel: num(ds, 'SamplesPerPixel') ?? 1,
      photometricInterpretation: str(ds, 'PhotometricInterpretation') ?? 'MONOCHROME2',
      numberOfFrames: num(ds, 'NumberOfFrames') ?? 1,
    },
    rescaleSlope: num(ds, 'RescaleSlope') ?? 1,
    rescaleIntercept: num(ds, 'RescaleIntercept') ?? 0,
    hasPixelData: 'PixelData' in ds || 'FloatPixelData' in ds || 'DoubleFloatPixelData' in ds,
    kvp: num(ds, 'KVP'),
    sliceThickness: num(ds, 'SliceThickness'),
    gantryDetectorTilt: num(ds, 'GantryDetectorTilt'),
    manufacturer: str(ds, 'Manufacturer'),
    manufacturerModelName: str(ds, 'ManufacturerModelName'),
    seriesDescription: str(ds, 'SeriesDescription'),
    seriesNumber: num(ds, 'SeriesNumber'),
    patient: patientIdentity(ds),
    study: studyIdentity(ds),
  };
}

export function patientIdentity(ds: NaturalDataset): PatientIdentity {
  const out: PatientIdentity = { patientId: str(ds, 'PatientID') ?? '', patientName: personName(ds, 'PatientName') ?? '' };
  const issuer = str(ds, 'IssuerOfPatientID');
  const birth = str(ds, 'PatientBirthDate');
  const sex = str(ds, 'PatientSex');
  const charset = strs(ds, 'SpecificCharacterSet');
  if (issuer) out.issuerOfPatientId = issuer;
  if (birth) out.birthDate = birth;
  if (sex) out.sex = sex;
  if (charset.length > 0) out.specificCharacterSet = charset.join('\\');
  return out;
}

export function studyIdentity(ds: NaturalDataset): Omit<StudyIdentity, 'version'> {
  const out: Omit<StudyIdentity, 'version'> = { studyInstanceUid: str(ds, 'StudyInstanceUID') ?? '' };
  const fields: Array<[keyof Omit<StudyIdentity, 'version' | 'studyInstanceUid'>, string]> = [
    ['studyDate', 'StudyDate'],
    ['studyTime', 'StudyTime'],
    ['studyId', 'StudyID'],
    ['studyDescription', 'StudyDescription'],
    ['accessionNumber', 'AccessionNumber'],
  ];
  for (const [key, keyword] of fields) {
    const v = str(ds, keyword);
    if (v) out[key] = v;
  }
  const referring = personName(ds, 'ReferringPhysicianName');
  if (referring) out.referringPhysicianName = referring;
  return out;
}
