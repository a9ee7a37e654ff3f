/**
 * The optional summary object for viewers that do not render SR (config report.summary): an
 * Encapsulated PDF with a table of lesions and scores. Same patient and study as the SR, its own
 * series; UIDs fixed per study version like the SR's.
 */
import type { StudyAnalysis } from '../results/types';
import { notAvailableReason, RESEARCH_CAVEAT } from './srContent';
import { dicomDateTime, characterSetFor } from './srDocument';
import { summaryInstanceUid, summarySeriesUid } from './uids';
import { NaturalDataset, writePart10 } from '../dicom/part10';
import { SopClass } from '../dicom/uids';
import { writeTablePdf } from './summaryPdf';
import { renderSecondaryCapture } from './summarySc';
import { significant } from '../ops/format';


export interface BuiltSummary {
  kind: 'pdf' | 'secondary-capture';
  bytes: Buffer;
  sopClassUid: string;
  sopInstanceUid: string;
  description: string;
}

export interface SummaryTable {
  title: string;
  lines: string[];
  header: string[];
  rows: string[][];
  footer: string[];
}

const fmt = (v: number | null | undefined, digits = 4) => significant(v, digits, { missing: '-', trim: true });

export function summaryTable(a: StudyAnalysis): SummaryTable {
  const s = a.summary;
  return {
    title: 'CD8 radiomic score - research result, not a diagnosis',
    lines: [
      `Patient ${a.patient.patientName.replace(/\^/g, ' ').trim()} (ID ${a.patient.patientId})   Study ${a.study.studyDate ?? '-'} ${a.study.accessionNumber ? 'accession ' + a.study.accessionNumber : ''}   version ${a.study.version}`,
      `Signature ${a.signature.name} ${a.signature.version}${a.signature.complete ? '' : ' (incomplete: no score is computed)'}; threshold ${a.signature.threshold.value ?? 'none'} (${a.signature.threshold.provenance})`,
      `Lesions ${s.lesionCount}, scored ${s.count}; mean ${fmt(s.mean)}, min ${fmt(s.min)}, max ${fmt(s.max)}, SD ${fmt(s.sd)}, fraction hot ${fmt(s.fractionHot, 3)}`,
      ...a.problems.map((p) => `Problem: ${p.message}`),
    ],
    header: ['Lesion', 'Site', 'Volume (ml)', 'CD8 score', 'Class', 'Status / reason'],
    rows: a.lesions.map((l) => [
      l.trackingId,
      l.site.replace(/_/g, ' '),
      fmt(l.volumeMl),
      l.scoreStatus === 'scored' ? fmt(l.score) : '-',
      l.classification ?? '-',
      l.scoreStatus === 'scored' ? 'scored' + (l.flags.length ? ` (flags: ${l.flags.map((f) => f.code).join(', ')})` : '') : notAvailableReason(l),
    ]),
    footer: [RESEARCH_CAVEAT, `${a.algorithm.name} ${a.algorithm.version}, analysed ${a.analysedAt}`],
  };
}

function commonModules(a: StudyAnalysis, sopClassUid: string, kind: string, seriesNumber: number, modality: string): NaturalDataset {
  const { date, time } = dicomDateTime(a.analysedAt);
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: summaryInstanceUid(a.study.studyInstanceUid, a.study.version, kind),
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
    StudyID: a.study.studyId ?? '',
    AccessionNumber: a.study.accessionNumber ?? '',
    Modality: modality,
    SeriesInstanceUID: summarySeriesUid(a.study.studyInstanceUid, kind),
    SeriesNumber: seriesNumber,
    SeriesDescription: 'CD8 radiomics summary',
    Manufacturer: 'cd8-node project',
    ManufacturerModelName: a.algorithm.name,
    SoftwareVersions: a.algorithm.version,
    ConversionType: 'SYN',
    InstanceNumber: a.study.version,
    ContentDate: date,
    ContentTime: time,
    BurnedInAnnotation: 'YES',
  };
}

export function buildSummary(a: StudyAnalysis, kind: 'pdf' | 'secondary-capture', options: { seriesNumber: number }): BuiltSummary {
  const table = summaryTable(a);
  if (kind === 'pdf') {
    const pdf = writeTablePdf({ ...table, columns: [0, 150, 250, 330, 410, 470] });
    // OB values have even length: a trailing NUL pads the PDF; Encapsulated Document Length keeps the true size.
    const padded = pdf.length % 2 === 0 ? pdf : Buffer.concat([pdf, Buffer.from([0])]);
    const ds: NaturalDataset = {
      ...commonModules(a, SopClass.EncapsulatedPdfStorage, kind, options.seriesNumber, 'DOC'),
      AcquisitionDateTime: '',
      DocumentTitle: 'CD8 radiomic score summary',
      ConceptNameCodeSequence: [],
      MIMETypeOfEncapsulatedDocument: 'application/pdf',
      EncapsulatedDocumentLength: pdf.length,
      EncapsulatedDocument: [padded.buffer.slice(padded.byteOffset, padded.byteOffset + padded.byteLength)],
    };
    const charset = characterSetFor(ds, a.patient.specificCharacterSet);
    if (charset) ds.SpecificCharacterSet = charset;
    return { kind, bytes: writePart10(ds), sopClassUid: SopClass.EncapsulatedPdfStorage, sopInstanceUid: ds.SOPInstanceUID as string, description: 'Encapsulated PDF summary' };
  }
  const image = renderSecondaryCapture(table);
  const ds: NaturalDataset = {
    // 8-bit pixels are OB; dcmjs cannot tell from the value and would guess (noisily).
    _vrMap: { PixelData: 'OB' },
    ...commonModules(a, SopClass.SecondaryCaptureImageStorage, kind, options.seriesNumber, 'OT'),
    PatientOrientation: '',
    // General Series: laterality does not apply to a table; an empty Type 2C value says so.
    Laterality: '',
    ImageType: ['DERIVED', 'SECONDARY'],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: image.rows,
    Columns: image.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [image.pixels.buffer.slice(image.pixels.byteOffset, image.pixels.byteOffset + image.pixels.byteLength)],
  };
  const charset = characterSetFor({ PatientName: ds.PatientName }, a.patient.specificCharacterSet);
  if (charset) ds.SpecificCharacterSet = charset;
  return { kind, bytes: writePart10(ds), sopClassUid: SopClass.SecondaryCaptureImageStorage, sopInstanceUid: ds.SOPInstanceUID as string, description: 'Secondary Capture summary' };
}
