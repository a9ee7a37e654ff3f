/**
 * The HL7 v2.5.1 ORU^R01 of one study version: MSH, PID, OBR and OBX rows (per lesion grouped by
 * OBX-4 sub-ID, then the study-level rows). Built with hl7-standard; every value is escaped here
 * (| ^ ~ \ & → \F\ \S\ \R\ \E\ \T\) because the library does not; segments end with \r.
 * Pure: the same analysis and options give the same message, byte for byte, so a retry carries
 * the same Message Control ID.
 */
import { createHash } from 'node:crypto';
import HL7 from 'hl7-standard';
import type { LesionResult, ScoreStatistics, StudyAnalysis } from '../results/types';
import { CD8, CodedConcept, SCT, siteConcept, ucum } from './codes';
import { notAvailableReason, RESEARCH_CAVEAT, statusConcept } from './srContent';
import { srInstanceUid } from './uids';

export interface OruOptions {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** PID-3 assigning authority when the DICOM has no Issuer of Patient ID. */
  patientIdAuthority: string;
  /** SOP Instance UID of the SR sent for the same version (default: the one srDocument gives it). */
  srSopInstanceUid?: string;
  /** MSH-11: P production, T training, D debugging. */
  processingId?: 'P' | 'T' | 'D';
}

export interface BuiltOru {
  text: string;
  controlId: string;
  version: number;
  studyInstanceUid: string;
}

/** Escapes the HL7 delimiters in a value (HL7 v2.5.1 section 2.7). */
export function escapeHl7(value: string): string {
  return value
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/~/g, '\\R\\')
    .replace(/&/g, '\\T\\')
    .replace(/\r\n|\r|\n/g, '\\.br\\');
}

export function unescapeHl7(value: string): string {
  return value.replace(/\\(F|S|R|T|E|\.br)\\/g, (_m, c: string) => ({ F: '|', S: '^', R: '~', T: '&', E: '\\', '.br': '\n' })[c] as string);
}

/** MSH-10 is 20 characters in v2.5.1: a hash of study and version keeps it stable across retries. */
export function oruControlId(studyUid: string, version: number): string {
  return 'CD8' + createHash('sha1').update(`${studyUid}\u0000${version}`).digest('hex').slice(0, 17).toUpperCase();
}

function hl7Timestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new RangeError(`"${iso}" is not an ISO 8601 date-time.`);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
}

const ce = (c: CodedConcept): string => [c.value, c.meaning, c.scheme].map(escapeHl7).join('^');

/** DICOM PN (family^given^middle^prefix^suffix) → HL7 XPN (family^given^middle^suffix^prefix). */
export function personName(dicomName: string): string {
  const alphabetic = dicomName.split('=')[0];
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = alphabetic.split('^');
  const parts = [family, given, middle, suffix, prefix].map(escapeHl7);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('^');
}

const STUDY_UID = new CodedConcept('110180', 'DCM', 'Study Instance UID');
const SR_UID = new CodedConcept('CD8SRUID', '99CD8', 'SR SOP Instance UID');
const LESION = new CodedConcept('CD8LESION', '99CD8', 'Lesion');
const SERVICE = new CodedConcept('CD8RADIOMICS', '99CD8', 'CD8 radiomics');

type ObxValueType = 'NM' | 'ST' | 'TX' | 'CWE';

interface Obx {
  type: ObxValueType;
  id: CodedConcept;
  subId?: string;
  /** Already-escaped value (components joined with ^ where the type has them). */
  value: string;
  units?: CodedConcept;
  /** F final, C corrected, X cannot be obtained. */
  status: 'F' | 'C' | 'X';
}

const num = (v: number) => String(Number(v.toPrecision(12)));

function lesionObx(lesion: LesionResult, subId: string, status: 'F' | 'C'): Obx[] {
  const rows: Obx[] = [{ type: 'ST', id: LESION, subId, value: escapeHl7(lesion.trackingId), status }];
  const scored = lesion.scoreStatus === 'scored' && lesion.score !== null && Number.isFinite(lesion.score);
  if (scored) {
    rows.push({ type: 'NM', id: CD8.score, subId, value: num(lesion.score as number), units: ucum('1'), status });
    if (lesion.classification) rows.push({ type: 'CWE', id: CD8.phenotype, subId, value: ce(lesion.classification === 'hot' ? CD8.hot : CD8.cold), status });
  } else {
    // No number, ever: the score row says "cannot be obtained" (X) and the next row says why.
    rows.push({ type: 'NM', id: CD8.score, subId, value: '', status: 'X' });
    rows.push({ type: 'TX', id: CD8.reasonNotAvailable, subId, value: escapeHl7(notAvailableReason(lesion)), status });
  }
  rows.push({ type: 'CWE', id: CD8.scoreStatus, subId, value: ce(statusConcept(lesion)), status });
  const site = siteConcept(lesion.site);
  rows.push(site ? { type: 'CWE', id: SCT.findingSite, subId, value: ce(site), status } : { type: 'ST', id: SCT.findingSite, subId, value: escapeHl7(lesion.site), status });
  rows.push({ type: 'NM', id: SCT.volume, subId, value: num(lesion.volumeMl), units: ucum('ml'), status });
  for (const f of lesion.flags) rows.push({ type: 'TX', id: CD8.qualityFlag, subId, value: escapeHl7(`${f.action === 'block' ? 'blocks the score' : 'flag'}: ${f.code}: ${f.message}`), status });
  return rows;
}

function statisticsObx(stats: ScoreStatistics, status: 'F' | 'C', subId?: string): Obx[] {
  const rows: Obx[] = [];
  const add = (id: CodedConcept, v: number | null) => {
    if (v !== null && Number.isFinite(v)) rows.push({ type: 'NM', id, subId, value: num(v), units: ucum('1'), status });
  };
  add(new CodedConcept('CD8RSMEAN', '99CD8', 'Mean CD8 radiomic score'), stats.mean);
  add(new CodedConcept('CD8RSMEDIAN', '99CD8', 'Median CD8 radiomic score'), stats.median);
  add(new CodedConcept('CD8RSMIN', '99CD8', 'Minimum CD8 radiomic score'), stats.min);
  add(new CodedConcept('CD8RSMAX', '99CD8', 'Maximum CD8 radiomic score'), stats.max);
  add(new CodedConcept('CD8RSSD', '99CD8', 'SD of CD8 radiomic scores'), stats.sd);
  add(new CodedConcept('CD8RSRANGE', '99CD8', 'Range of CD8 radiomic scores'), stats.range);
  add(CD8.fractionHot, stats.fractionHot);
  return rows;
}

export function buildOru(analysis: StudyAnalysis, options: OruOptions): BuiltOru {
  const { patient, study } = analysis;
  const controlId = oruControlId(study.studyInstanceUid, study.version);
  const status: 'F' | 'C' = study.version > 1 ? 'C' : 'F';
  const analysed = hl7Timestamp(analysis.analysedAt);
  const observed = study.studyDate ? `${study.studyDate}${(study.studyTime ?? '').replace(/[^0-9]/g, '').slice(0, 6)}` : analysed;

  const obx: Obx[] = [
    { type: 'ST', id: STUDY_UID, value: escapeHl7(study.studyInstanceUid), status },
    { type: 'ST', id: SR_UID, value: escapeHl7(options.srSopInstanceUid ?? srInstanceUid(study.studyInstanceUid, study.version)), status },
  ];
  analysis.lesions.forEach((l, i) => obx.push(...lesionObx(l, String(i + 1), status)));
  obx.push({ type: 'NM', id: CD8.lesionCount, value: num(analysis.summary.lesionCount), units: ucum('{lesions}'), status });
  obx.push({ type: 'NM', id: CD8.scoredCount, value: num(analysis.summary.count), units: ucum('{lesions}'), status });
  obx.push(...statisticsObx(analysis.summary, status));
  obx.push({ type: 'CWE', id: CD8.analysisStatus, value: ce(analysis.status === 'scored' ? CD8.studyScored : CD8.studyNotScored), status });
  for (const p of analysis.problems) obx.push({ type: 'TX', id: CD8.studyProblem, value: escapeHl7(`${p.code}: ${p.message}`), status });
  const sig = analysis.signature;
  obx.push({ type: 'TX', id: CD8.signature, value: escapeHl7(`${sig.name} ${sig.version}${sig.complete ? '' : ' (incomplete: values pending verification, no score is computed)'}; threshold ${sig.threshold.value ?? 'none'} (${sig.threshold.provenance})`), status });
  obx.push({ type: 'TX', id: CD8.researchCaveat, value: escapeHl7(RESEARCH_CAVEAT), status });

  const nonAscii = /[^\x00-\x7f]/.test(JSON.stringify(analysis) + JSON.stringify(options));
  const msg = new HL7(undefined, { lineEndings: '\r' });
  const msh = msg.createSegment('MSH');
  msh.set('MSH.2', '^~\\&');
  msh.set('MSH.3', escapeHl7(options.sendingApplication));
  msh.set('MSH.4', escapeHl7(options.sendingFacility));
  msh.set('MSH.5', escapeHl7(options.receivingApplication));
  msh.set('MSH.6', escapeHl7(options.receivingFacility));
  msh.set('MSH.7', analysed);
  msh.set('MSH.9', { 'MSH.9.1': 'ORU', 'MSH.9.2': 'R01', 'MSH.9.3': 'ORU_R01' });
  msh.set('MSH.10', controlId);
  msh.set('MSH.11', options.processingId ?? 'P');
  msh.set('MSH.12', '2.5.1');
  if (nonAscii) msh.set('MSH.18', 'UNICODE UTF-8');

  const pid = msg.createSegment('PID');
  pid.set('PID.1', '1');
  const authority = patient.issuerOfPatientId || options.patientIdAuthority;
  pid.set('PID.3', { 'PID.3.1': escapeHl7(patient.patientId), 'PID.3.2': '', 'PID.3.3': '', 'PID.3.4': escapeHl7(authority), 'PID.3.5': 'MR' });
  pid.set('PID.5', personName(patient.patientName));
  if (patient.birthDate) pid.set('PID.7', escapeHl7(patient.birthDate));
  if (patient.sex) pid.set('PID.8', escapeHl7(patient.sex));

  const obr = msg.createSegment('OBR');
  obr.set('OBR.1', '1');
  if (study.accessionNumber) {
    // The accession number identifies the imaging order at the RIS (IHE: filler order number and OBR-18).
    obr.set('OBR.3', escapeHl7(study.accessionNumber));
    obr.set('OBR.18', escapeHl7(study.accessionNumber));
  }
  obr.set('OBR.4', ce(SERVICE));
  obr.set('OBR.7', observed);
  obr.set('OBR.22', analysed);
  obr.set('OBR.24', 'RAD');
  obr.set('OBR.25', status);

  obx.forEach((o, i) => {
    const seg = msg.createSegment('OBX');
    seg.set('OBX.1', String(i + 1));
    seg.set('OBX.2', o.type);
    seg.set('OBX.3', ce(o.id));
    if (o.subId) seg.set('OBX.4', o.subId);
    seg.set('OBX.5', o.value);
    if (o.units) seg.set('OBX.6', ce(o.units));
    seg.set('OBX.11', o.status);
    seg.set('OBX.14', analysed);
  });

  const text = msg.build();
  return { text: text.endsWith('\r') ? text : text + '\r', controlId, version: study.version, studyInstanceUid: study.studyInstanceUid };
}
