/**
 * The pictures as DICOM objects for every viewer (config report.summary): an RGB Secondary
 * Capture series (each lesion's key image, then the summary page) and/or an Encapsulated PDF.
 * Same patient and study as the SR, series of their own that every version of the study's result
 * lands in (like the SR's); UIDs fixed per study version, so a re-send is the same instance.
 */
import type { StudyAnalysis } from '../results/types';
import type { Picture } from '../drawing/painter';
import { dicomDateTime, characterSetFor, conformingStudyId } from './srDocument';
import { summaryInstanceUid, summarySeriesUid } from './uids';
import { NaturalDataset, writePart10 } from '../dicom/part10';
import { SopClass } from '../dicom/uids';
import type { StudyPictures } from './pictures';

export type SummaryKind = 'none' | 'secondary-capture' | 'pdf' | 'both';

export interface BuiltSummary {
  kind: 'pdf' | 'secondary-capture';
  bytes: Buffer;
  sopClassUid: string;
  sopInstanceUid: string;
  description: string;
}

export interface PictureObjectOptions {
  /** Series Number of the Secondary Capture series; the PDF's is the next one. */
  seriesNumber: number;
}

/** Images of one version are numbered from version × 1000, so a viewer sorts a later version after the earlier. */
const instanceNumber = (version: number, position: number) => version * 1000 + position;

function commonModules(a: StudyAnalysis, sopClassUid: string, sopInstanceUid: string, seriesUid: string, seriesNumber: number, seriesDescription: string, modality: string): NaturalDataset {
  const { date, time } = dicomDateTime(a.analysedAt);
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    PatientName: a.patient.patientName,
    PatientID: a.patient.patientId,
    ...(a.patient.issuerOfPatientId ? { IssuerOfPatientID: a.patient.issuerOfPatientId } : {}),
    PatientBirthDate: a.patient.birthDate ?? '',
    PatientSex: a.patient.sex ?? '',
    StudyInstanceUID: a.study.studyInstanceUid,
    StudyDate: a.study.studyDate ?? '',
    StudyTime: a.study.studyTime ?? '',
    ReferringPhysicianName: a.study.referringPhysicianName ?? '',
    // Study ID is SH (16 characters at most); a longer one in the source (STS_001's has 17) would
    // make every picture invalid. It is no matching key (the Study Instance UID is): left empty then.
    StudyID: conformingStudyId(a.study.studyId),
    AccessionNumber: a.study.accessionNumber ?? '',
    Modality: modality,
    SeriesInstanceUID: seriesUid,
    SeriesNumber: seriesNumber,
    SeriesDescription: seriesDescription,
    Manufacturer: 'cd8-node project',
    ManufacturerModelName: a.algorithm.name,
    SoftwareVersions: a.algorithm.version,
    ContentDate: date,
    ContentTime: time,
  };
}

const arrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function withCharset(ds: NaturalDataset, a: StudyAnalysis): NaturalDataset {
  const charset = characterSetFor(ds, a.patient.specificCharacterSet);
  if (charset) ds.SpecificCharacterSet = charset;
  return ds;
}

/** One RGB Secondary Capture image (SC Image IOD); `source` is the CT slice it shows. */
function secondaryCapture(
  a: StudyAnalysis,
  picture: Picture,
  uid: string,
  position: number,
  options: PictureObjectOptions,
  source: { sopClassUid: string; sopInstanceUid: string } | null,
  comment: string,
): NaturalDataset {
  const previous = a.study.version > 1 ? ` It replaces the images of version ${a.study.version - 1} in this series.` : '';
  return withCharset(
    {
      // 8-bit pixels are OB; dcmjs cannot tell from the value and would guess (noisily).
      _vrMap: { PixelData: 'OB' },
      ...commonModules(a, SopClass.SecondaryCaptureImageStorage, uid, summarySeriesUid(a.study.studyInstanceUid, 'secondary-capture'), options.seriesNumber, 'CD8 radiomics pictures', 'OT'),
      ConversionType: 'WSD',
      // General Series: laterality does not apply to a result picture; an empty Type 2C value says so.
      Laterality: '',
      InstanceNumber: instanceNumber(a.study.version, position),
      PatientOrientation: '',
      ImageType: ['DERIVED', 'SECONDARY'],
      ImageComments: `${comment} Result version ${a.study.version}.${previous}`,
      BurnedInAnnotation: 'YES',
      LossyImageCompression: '00',
      ...(source
        ? {
            DerivationDescription: 'CT slice where the lesion is largest, windowed and cropped, with the lesion contour and the peritumoral ring drawn over it',
            SourceImageSequence: [{ ReferencedSOPClassUID: source.sopClassUid, ReferencedSOPInstanceUID: source.sopInstanceUid }],
          }
        : {}),
      SamplesPerPixel: 3,
      PhotometricInterpretation: 'RGB',
      PlanarConfiguration: 0,
      Rows: picture.height,
      Columns: picture.width,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      PixelData: [arrayBuffer(picture.rgb)],
    },
    a,
  );
}

/** The Secondary Capture images of one study version: each lesion's key image, then the summary page. */
export function buildSecondaryCaptures(a: StudyAnalysis, pictures: StudyPictures, options: PictureObjectOptions): BuiltSummary[] {
  const studyUid = a.study.studyInstanceUid;
  const out: BuiltSummary[] = [];
  pictures.lesions.forEach((p, i) => {
    const lesion = a.lesions[p.lesionIndex];
    const uid = summaryInstanceUid(studyUid, a.study.version, `secondary-capture:lesion:${p.trackingUid}`);
    const ds = secondaryCapture(a, p, uid, i + 1, options, p.source, `Key image of lesion ${lesion.trackingId}.`);
    out.push({ kind: 'secondary-capture', bytes: writePart10(ds), sopClassUid: SopClass.SecondaryCaptureImageStorage, sopInstanceUid: uid, description: `Secondary Capture: lesion ${lesion.trackingId}` });
  });
  const uid = summaryInstanceUid(studyUid, a.study.version, 'secondary-capture');
  const ds = secondaryCapture(a, pictures.summary, uid, pictures.lesions.length + 1, options, null, 'Summary of the CD8 radiomic score of the study.');
  out.push({ kind: 'secondary-capture', bytes: writePart10(ds), sopClassUid: SopClass.SecondaryCaptureImageStorage, sopInstanceUid: uid, description: 'Secondary Capture: summary page' });
  return out;
}

/** The Encapsulated PDF of one study version (pictures.pdf). */
export function buildEncapsulatedPdf(a: StudyAnalysis, pdf: Buffer, pictures: StudyPictures, options: PictureObjectOptions): BuiltSummary {
  const uid = summaryInstanceUid(a.study.studyInstanceUid, a.study.version, 'pdf');
  // OB values have even length: a trailing NUL pads the PDF; Encapsulated Document Length keeps the true size.
  const padded = pdf.length % 2 === 0 ? pdf : Buffer.concat([pdf, Buffer.from([0])]);
  const sources = pictures.lesions.map((p) => p.source);
  const ds = withCharset(
    {
      ...commonModules(a, SopClass.EncapsulatedPdfStorage, uid, summarySeriesUid(a.study.studyInstanceUid, 'pdf'), options.seriesNumber + 1, 'CD8 radiomics report (PDF)', 'DOC'),
      ConversionType: 'SYN',
      InstanceNumber: a.study.version,
      BurnedInAnnotation: 'YES',
      AcquisitionDateTime: '',
      DocumentTitle: 'CD8 radiomic score',
      ConceptNameCodeSequence: [],
      ...(sources.length > 0 ? { SourceInstanceSequence: sources.map((s) => ({ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid })) } : {}),
      MIMETypeOfEncapsulatedDocument: 'application/pdf',
      EncapsulatedDocumentLength: pdf.length,
      EncapsulatedDocument: [arrayBuffer(padded)],
    },
    a,
  );
  return { kind: 'pdf', bytes: writePart10(ds), sopClassUid: SopClass.EncapsulatedPdfStorage, sopInstanceUid: uid, description: 'Encapsulated PDF report' };
}

/** What report.summary asks for, from the pictures drawn in the analysis worker. */
export function buildPictureObjects(a: StudyAnalysis, pictures: StudyPictures | undefined, kind: SummaryKind, options: PictureObjectOptions): BuiltSummary[] {
  if (!pictures || kind === 'none') return [];
  const out: BuiltSummary[] = [];
  if (kind === 'secondary-capture' || kind === 'both') out.push(...buildSecondaryCaptures(a, pictures, options));
  if ((kind === 'pdf' || kind === 'both') && pictures.pdf) out.push(buildEncapsulatedPdf(a, pictures.pdf, pictures, options));
  return out;
}
