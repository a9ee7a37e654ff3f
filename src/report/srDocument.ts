/**
 * The Comprehensive 3D SR document of one study version: patient and study copied from the
 * source, a series of our own, evidence, flags, and the TID 1500 content. Pure: analysis and
 * options in, Part 10 bytes out. The SOP Instance UID depends only on study and version, so
 * rebuilding the same version gives the same instance; a later version names the earlier one
 * in Predecessor Documents Sequence.
 */
import type { StudyAnalysis, SeriesRef } from '../results/types';
import { PRIVATE_SCHEME } from './codes';
import { reportContent } from './srContent';
import { srInstanceUid, srSeriesUid } from './uids';
import { NaturalDataset, writePart10 } from '../dicom/part10';
import { SopClass } from '../dicom/uids';
import { VERSION } from '../version';


export interface SrOptions {
  seriesNumber: number;
  seriesDescription: string;
  /** Institution Name written in the SR; empty or absent = none. */
  institutionName?: string;
  /** Version whose SR this one replaces; default: version - 1 when version > 1, none for version 1. */
  predecessorVersion?: number | null;
}

export interface BuiltSr {
  bytes: Buffer;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  version: number;
}

/**
 * Study ID is SH (16 characters at most). Some scanners write longer ones (STS_001 has 17);
 * copying them would make our objects fail validation, so an overlong one is left empty (Type 2).
 */
export function conformingStudyId(studyId: string | undefined): string {
  return studyId && studyId.length <= 16 ? studyId : '';
}

/** DICOM DA/TM/timezone of an ISO instant, in UTC (stated by Timezone Offset From UTC). */
export function dicomDateTime(iso: string): { date: string; time: string } {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`"${iso}" is not an ISO 8601 date-time (analysedAt).`);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    date: `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`,
    time: `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`,
  };
}

/** Text that dcmjs writes as UTF-8 needs ISO_IR 192 declared once it leaves ASCII. */
export function characterSetFor(dataset: NaturalDataset, sourceCharset?: string): string | undefined {
  const nonAscii = /[^\x00-\x7f]/.test(JSON.stringify(dataset));
  if (nonAscii) return 'ISO_IR 192';
  // ASCII text is valid in every single-byte repertoire and in UTF-8: keep what the source said.
  return sourceCharset && sourceCharset.trim() !== '' ? sourceCharset.split('\\')[0] : undefined;
}

function hierarchicalReference(studyUid: string, series: SeriesRef[]): NaturalDataset[] {
  const nonEmpty = series.filter((s) => s.instances.length > 0);
  if (nonEmpty.length === 0) return [];
  return [
    {
      StudyInstanceUID: studyUid,
      ReferencedSeriesSequence: nonEmpty.map((s) => ({
        SeriesInstanceUID: s.seriesInstanceUid,
        ReferencedSOPSequence: s.instances.map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
      })),
    },
  ];
}

export function srDataset(analysis: StudyAnalysis, options: SrOptions): NaturalDataset {
  const { patient, study } = analysis;
  if (!Number.isInteger(study.version) || study.version < 1) throw new RangeError(`study.version must be an integer ≥ 1, not ${study.version}.`);
  const sopInstanceUid = srInstanceUid(study.studyInstanceUid, study.version);
  const seriesInstanceUid = srSeriesUid(study.studyInstanceUid);
  const content = reportContent(analysis).toDataset();
  const { date, time } = dicomDateTime(analysis.analysedAt);

  const ds: NaturalDataset = {
    SOPClassUID: SopClass.Comprehensive3dSrStorage,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
    // Patient: copied from the source so the SR lands in the same patient.
    PatientName: patient.patientName,
    PatientID: patient.patientId,
    PatientBirthDate: patient.birthDate ?? '',
    PatientSex: patient.sex ?? '',
    // General Study
    StudyInstanceUID: study.studyInstanceUid,
    StudyDate: study.studyDate ?? '',
    StudyTime: study.studyTime ?? '',
    ReferringPhysicianName: study.referringPhysicianName ?? '',
    StudyID: conformingStudyId(study.studyId),
    AccessionNumber: study.accessionNumber ?? '',
    // SR Document Series
    Modality: 'SR',
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: options.seriesNumber,
    SeriesDescription: options.seriesDescription,
    SeriesDate: date,
    SeriesTime: time,
    ReferencedPerformedProcedureStepSequence: [],
    // General Equipment
    Manufacturer: 'cd8-node project',
    ManufacturerModelName: analysis.algorithm.name,
    SoftwareVersions: [analysis.algorithm.version, VERSION].filter((v, i, a) => a.indexOf(v) === i),
    // SR Document General
    InstanceNumber: study.version,
    CompletionFlag: 'COMPLETE',
    // An algorithm's result that no person has verified.
    VerificationFlag: 'UNVERIFIED',
    ContentDate: date,
    ContentTime: time,
    PerformedProcedureCodeSequence: [],
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: PRIVATE_SCHEME.designator,
        CodingSchemeName: PRIVATE_SCHEME.name,
        CodingSchemeVersion: PRIVATE_SCHEME.version,
        CodingSchemeResponsibleOrganization: PRIVATE_SCHEME.responsibleOrganization,
      },
    ],
    ...content,
  };
  if (patient.issuerOfPatientId) ds.IssuerOfPatientID = patient.issuerOfPatientId;
  if (study.studyDescription) ds.StudyDescription = study.studyDescription;
  if (options.institutionName) ds.InstitutionName = options.institutionName;
  if (analysis.evidence) {
    const evidence = hierarchicalReference(study.studyInstanceUid, [analysis.evidence.ct, analysis.evidence.rtstruct]);
    if (evidence.length > 0) ds.CurrentRequestedProcedureEvidenceSequence = evidence;
  }
  const predecessor = options.predecessorVersion === undefined ? (study.version > 1 ? study.version - 1 : null) : options.predecessorVersion;
  if (predecessor !== null) {
    if (!Number.isInteger(predecessor) || predecessor < 1 || predecessor >= study.version) {
      throw new RangeError(`predecessorVersion must be an earlier version (1 to ${study.version - 1}), not ${predecessor}.`);
    }
    ds.PredecessorDocumentsSequence = hierarchicalReference(study.studyInstanceUid, [
      { seriesInstanceUid, instances: [{ sopClassUid: SopClass.Comprehensive3dSrStorage, sopInstanceUid: srInstanceUid(study.studyInstanceUid, predecessor) }] },
    ]);
  }
  const charset = characterSetFor(ds, patient.specificCharacterSet);
  if (charset) ds.SpecificCharacterSet = charset;
  return ds;
}

export function buildSr(analysis: StudyAnalysis, options: SrOptions): BuiltSr {
  const ds = srDataset(analysis, options);
  return {
    bytes: writePart10(ds),
    sopClassUid: SopClass.Comprehensive3dSrStorage,
    sopInstanceUid: ds.SOPInstanceUID as string,
    seriesInstanceUid: ds.SeriesInstanceUID as string,
    studyInstanceUid: analysis.study.studyInstanceUid,
    version: analysis.study.version,
  };
}
