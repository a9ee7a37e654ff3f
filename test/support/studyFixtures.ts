/**
 * StudyAnalysis fixtures for the report and delivery tests, built from the real headers of the
 * IBSI CT phantom (CT series + RTSTRUCT): patient/study identity, CT instances, the RTSTRUCT and
 * the outline of ROI "GTV-1" on its largest slice are real. Scores, features and flags are TEST
 * VALUES (this is a fixture, not product output): they only exercise the SR and the ORU.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import type { LesionOutline, LesionResult, PatientSummary, SignatureInfo, StudyAnalysis, SignatureTerm } from '../../src/results/types';
import { SHARED } from './process';
import { lesionTrackingUid } from '../../src/report/uids';

export const PHANTOM_DIR = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
export const PHANTOM_CT_DIR = join(PHANTOM_DIR, 'image');
export const PHANTOM_RTSTRUCT = join(PHANTOM_DIR, 'mask', 'DCM_RS_00060.dcm');

type Natural = Record<string, unknown>;

function readHeader(path: string, untilPixels = true): Natural {
  const bytes = readFileSync(path);
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
    ignoreErrors: true,
    ...(untilPixels ? { untilTag: '7FE00010', includeUntilTagValue: false } : {}),
  });
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : Array.isArray(v) ? str(v[0]) : String(v));
const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : [Number(v)]);

interface CtSlice {
  sopClassUid: string;
  sopInstanceUid: string;
  position: number[];
  orientation: number[];
  spacing: number[]; // [row spacing, column spacing]
}

export interface PhantomHeaders {
  ct: Natural[];
  slices: CtSlice[];
  rtstruct: Natural;
}

let cache: PhantomHeaders | undefined;

export function phantomHeaders(): PhantomHeaders {
  if (cache) return cache;
  const ct = readdirSync(PHANTOM_CT_DIR)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => readHeader(join(PHANTOM_CT_DIR, f)));
  const slices = ct
    .map((h) => ({
      sopClassUid: String(h.SOPClassUID),
      sopInstanceUid: String(h.SOPInstanceUID),
      position: nums(h.ImagePositionPatient),
      orientation: nums(h.ImageOrientationPatient),
      spacing: nums(h.PixelSpacing),
    }))
    .sort((a, b) => a.position[2] - b.position[2]);
  cache = { ct, slices, rtstruct: readHeader(PHANTOM_RTSTRUCT, false) };
  return cache;
}

interface Contour {
  points: Array<[number, number, number]>;
  area: number;
}

function roiContours(rtstruct: Natural, roiNumber: number): Contour[] {
  const roi = (rtstruct.ROIContourSequence as Natural[]).find((r) => Number(r.ReferencedROINumber) === roiNumber);
  if (!roi) throw new Error(`fixture: ROI ${roiNumber} not in the phantom RTSTRUCT`);
  return (roi.ContourSequence as Natural[]).map((c) => {
    const flat = nums(c.ContourData);
    const points: Array<[number, number, number]> = [];
    for (let i = 0; i < flat.length; i += 3) points.push([flat[i], flat[i + 1], flat[i + 2]]);
    let twice = 0;
    for (let i = 0; i < points.length; i++) {
      const [x1, y1] = points[i];
      const [x2, y2] = points[(i + 1) % points.length];
      twice += x1 * y2 - x2 * y1;
    }
    return { points, area: Math.abs(twice) / 2 };
  });
}

/** The contour of rank `rank` by area (0 = largest), projected on the CT slice it lies in. */
export function phantomOutline(rank = 0): LesionOutline & { areaMm2: number } {
  const { slices, rtstruct } = phantomHeaders();
  const contours = roiContours(rtstruct, 1).sort((a, b) => b.area - a.area);
  const contour = contours[rank];
  const z = contour.points[0][2];
  const slice = slices.find((s) => Math.abs(s.position[2] - z) < 0.01);
  if (!slice) throw new Error(`fixture: no CT slice at z = ${z}`);
  const [ox, oy, oz] = slice.position;
  const row = slice.orientation.slice(0, 3);
  const col = slice.orientation.slice(3, 6);
  const [rowSpacing, colSpacing] = slice.spacing;
  const pixelPoints = contour.points.map(([x, y, zz]): [number, number] => {
    const d = [x - ox, y - oy, zz - oz];
    // SCOORD: (column, row) with 0.5 at the centre of the first pixel.
    const c = (d[0] * row[0] + d[1] * row[1] + d[2] * row[2]) / colSpacing + 0.5;
    const r = (d[0] * col[0] + d[1] * col[1] + d[2] * col[2]) / rowSpacing + 0.5;
    return [Math.round(c * 1000) / 1000, Math.round(r * 1000) / 1000];
  });
  return {
    image: { sopClassUid: slice.sopClassUid, sopInstanceUid: slice.sopInstanceUid },
    pixelPoints,
    patientPoints: contour.points,
    areaMm2: contour.area,
  };
}

/** Lesion volume from the contours (sum of areas × 3 mm slice gap), in ml. */
export function phantomVolumeMl(): number {
  const { rtstruct } = phantomHeaders();
  return roiContours(rtstruct, 1).reduce((s, c) => s + c.area * 3, 0) / 1000;
}

export const FIXTURE_ANALYSED_AT = '2024-05-02T09:30:15.250Z';

function features(scale: number, withCoefficients: boolean): SignatureTerm[] {
  // TEST VALUES. Names and codes are real IBSI descriptors; values and coefficients are invented.
  const f = (name: string, ibsiCode: string, ibsiName: string, region: 'tumour' | 'ring', value: number, coefficient: number, aggregation?: string, unit?: string): SignatureTerm => ({
    kind: 'feature',
    name,
    ibsiCode,
    ibsiName,
    region,
    aggregation,
    value: value * scale,
    coefficient: withCoefficients ? coefficient : null,
    contribution: withCoefficients ? coefficient * value * scale : null,
    unit,
  });
  return [
    f('stat_mean', 'Q4LE', 'Mean', 'tumour', 21.5, 0.01, undefined, 'HU'),
    f('stat_var', 'ECT3', 'Variance', 'ring', 1520.25, -0.0002, undefined, "[hnsf'U]2"),
    f('cm_contrast', 'ACUI', 'Contrast', 'tumour', 47.1, 0.003, '3D merged'),
    f('rlm_rlnu_norm', 'OVBL', 'Run length non-uniformity normalised', 'ring', 0.43, 0.8, '3D averaged'),
    f('szm_zsnu', '4JP3', 'Zone size non-uniformity', 'tumour', 120.0, -0.001, '3D'),
  ];
}

function covariates(kvp: number | null): SignatureTerm[] {
  return [
    { kind: 'covariate', name: 'kvp_120', value: kvp === null ? 1 : kvp === 120 ? 1 : 0, coefficient: 0.1, contribution: 0.1, source: kvp === null ? 'default 120: KVP missing' : 'KVP (0018,0060)' },
    { kind: 'covariate', name: 'site_liver', value: 0, coefficient: -0.2, contribution: 0, source: "organ ROI 'Lung'" },
  ];
}

const COMPLETE_TEST_SIGNATURE: SignatureInfo = {
  name: 'cd8-test-signature',
  version: '0.0-test',
  citation: 'TEST SIGNATURE for fixtures (not the published one)',
  complete: true,
  threshold: { value: 0.5, provenance: 'test threshold, fixture only' },
};

const SHIPPED_SIGNATURE: SignatureInfo = {
  name: 'cd8-sun2018',
  version: '2018.1',
  citation: 'Sun R et al. Lancet Oncol 2018;19(9):1180-91',
  doi: '10.1016/S1470-2045(18)30413-3',
  complete: false,
  threshold: { value: null, provenance: 'not set: signature incomplete' },
};

function baseAnalysis(): Omit<StudyAnalysis, 'lesions' | 'summary' | 'status' | 'problems' | 'signature'> {
  const { ct, slices, rtstruct } = phantomHeaders();
  const first = ct[0];
  return {
    patient: {
      patientId: String(first.PatientID),
      patientName: String((first.PatientName as Array<{ Alphabetic: string }> | string | undefined) && typeof first.PatientName === 'object' ? (first.PatientName as Array<{ Alphabetic: string }>)[0].Alphabetic : first.PatientName),
      birthDate: str(first.PatientBirthDate),
      sex: str(first.PatientSex),
      specificCharacterSet: str(first.SpecificCharacterSet),
    },
    study: {
      studyInstanceUid: String(first.StudyInstanceUID),
      studyDate: str(first.StudyDate),
      studyTime: str(first.StudyTime),
      studyId: str(first.StudyID),
      accessionNumber: str(first.AccessionNumber),
      version: 1,
    },
    evidence: {
      ct: {
        seriesInstanceUid: String(first.SeriesInstanceUID),
        instances: slices.map((s) => ({ sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid })),
        frameOfReferenceUid: String(first.FrameOfReferenceUID),
        modality: String(first.Modality),
        manufacturer: str(first.Manufacturer),
        sliceThicknessMm: Number(first.SliceThickness),
      },
      rtstruct: {
        seriesInstanceUid: String(rtstruct.SeriesInstanceUID),
        instances: [{ sopClassUid: String(rtstruct.SOPClassUID), sopInstanceUid: String(rtstruct.SOPInstanceUID) }],
        structureSetLabel: str(rtstruct.StructureSetLabel),
      },
    },
    algorithm: { name: 'cd8-node', version: '0.1.0' },
    analysedAt: FIXTURE_ANALYSED_AT,
  };
}

function lesion(roiNumber: number, roiName: string, rank: number, over: Partial<LesionResult>): LesionResult {
  const { rtstruct } = phantomHeaders();
  const outline = phantomOutline(rank);
  return {
    roiNumber,
    roiName,
    trackingId: `${roiNumber} ${roiName}`,
    trackingUid: lesionTrackingUid(String(rtstruct.StudyInstanceUID), String(rtstruct.SOPInstanceUID), roiNumber),
    site: 'lung',
    siteSource: "organ ROI 'Lung' (fixture)",
    volumeMl: Math.round(phantomVolumeMl() * 1000) / 1000,
    voxelCount: 12345,
    outline: { image: outline.image, pixelPoints: outline.pixelPoints, patientPoints: outline.patientPoints },
    terms: [],
    score: null,
    scoreStatus: 'signature-incomplete',
    classification: null,
    flags: [{ code: 'missing-kvp', action: 'flag', message: 'KVP (0018,0060) is missing; 120 kV assumed.' }],
    ...over,
  };
}

function emptyStats() {
  return { count: 0, mean: null, median: null, min: null, max: null, sd: null, range: null, iqr: null, coefficientOfVariation: null, entropy: null, fractionHot: null };
}

/** Complete test signature: lesion 1 scored hot, lesion 2 scored cold, lesion 3 blocked (small-lesion gate). */
export function scoredStudy(): StudyAnalysis {
  const terms1 = [...features(1, true), ...covariates(null)];
  const terms2 = [...features(0.5, true), ...covariates(null)];
  const lesions: LesionResult[] = [
    lesion(1, 'GTV-1', 0, { terms: terms1, score: 0.8731, scoreStatus: 'scored', classification: 'hot' }),
    lesion(2, 'GTV-2 liver met', 3, { site: 'liver', siteSource: "name keyword 'liver' (fixture)", terms: terms2, score: 0.1234, scoreStatus: 'scored', classification: 'cold' }),
    lesion(3, 'GTV-3 small', 10, {
      volumeMl: 0.42,
      site: 'unknown',
      siteSource: 'config default',
      terms: terms2,
      scoreStatus: 'blocked',
      flags: [
        { code: 'small-lesion', action: 'block', message: 'lesion volume 0.42 ml is below the minimum of 1 ml.' },
        { code: 'unknown-site', action: 'flag', message: 'the lesion site is unknown.' },
      ],
      reason: 'not available: blocked by quality gate small-lesion (0.42 ml < 1 ml)',
    }),
  ];
  const summary: PatientSummary = {
    lesionCount: 3,
    count: 2,
    mean: 0.49825,
    median: 0.49825,
    min: 0.1234,
    max: 0.8731,
    sd: 0.5301,
    range: 0.7497,
    iqr: 0.37485,
    coefficientOfVariation: 1.0639,
    entropy: 1,
    fractionHot: 0.5,
    perSite: {
      lung: { ...emptyStats(), count: 1, mean: 0.8731, median: 0.8731, min: 0.8731, max: 0.8731, fractionHot: 1 },
      liver: { ...emptyStats(), count: 1, mean: 0.1234, median: 0.1234, min: 0.1234, max: 0.1234, fractionHot: 0 },
    },
  };
  return { ...baseAnalysis(), signature: COMPLETE_TEST_SIGNATURE, lesions, summary, status: 'scored', problems: [] };
}

/** Shipped signature (values pending): features computed, every lesion "not available: signature incomplete". */
export function signatureIncompleteStudy(): StudyAnalysis {
  const lesions = [lesion(1, 'GTV-1', 0, { terms: [...features(1, false), ...covariates(null)], reason: 'not available: signature incomplete' })];
  const summary: PatientSummary = { ...emptyStats(), lesionCount: 1, perSite: {} };
  return {
    ...baseAnalysis(),
    signature: SHIPPED_SIGNATURE,
    lesions,
    summary,
    status: 'not-scored',
    problems: [{ code: 'signature-incomplete', message: 'the signature cd8-sun2018 has values pending verification: no CD8 score is computed.' }],
  };
}

/** No lesion selected at all: the study is still answered, with the reason. */
export function noLesionStudy(): StudyAnalysis {
  return {
    ...baseAnalysis(),
    signature: SHIPPED_SIGNATURE,
    lesions: [],
    summary: { ...emptyStats(), lesionCount: 0, perSite: {} },
    status: 'not-scored',
    problems: [
      { code: 'no-lesion', message: 'the RTSTRUCT has no ROI selected as a lesion (ROI "GTV-1" is excluded by lesions.excludeNames); nothing to score.' },
    ],
  };
}

/** A later version of the scored study (new instances arrived): a corrected result. */
export function nextVersion(analysis: StudyAnalysis, version = analysis.study.version + 1): StudyAnalysis {
  return { ...analysis, study: { ...analysis.study, version }, analysedAt: new Date(Date.parse(analysis.analysedAt) + 3600_000 * (version - analysis.study.version)).toISOString() };
}

/** Identity with characters HL7 and DICOM must escape or encode. */
export function awkwardIdentity(analysis: StudyAnalysis): StudyAnalysis {
  return {
    ...analysis,
    patient: { ...analysis.patient, patientName: 'MÜLLER^JÜRGEN', patientId: 'ID|1^2~3&5', issuerOfPatientId: 'HOSP&LAB', birthDate: '19600131', sex: 'M' },
    study: { ...analysis.study, studyDescription: 'CT thorax & abdomen | contrast ^ ~', accessionNumber: 'ACC-42' },
  };
}
