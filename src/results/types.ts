/**
 * The result of analysing one version of one study: what cd8/ produces and report/ turns into
 * a DICOM SR and an HL7 ORU. Plain data (JSON-serialisable: it is stored in the outbox and
 * printed by `cd8-node score --json`).
 */

/** Sites the CD8 signature and the patient summary distinguish. */
export type LesionSite = 'liver' | 'lung' | 'lymph_node' | 'head_and_neck' | 'other' | 'unknown';

/** Identity copied from the source CT into every result, so the SR lands in the same patient and study. */
export interface PatientIdentity {
  patientId: string;
  /** DICOM PN as received, e.g. "DOE^JANE"; never logged at info level. */
  patientName: string;
  issuerOfPatientId?: string;
  birthDate?: string; // DA, YYYYMMDD
  sex?: string; // M | F | O
  /** Specific Character Set of the source, to write names correctly. */
  specificCharacterSet?: string;
}

export interface StudyIdentity {
  studyInstanceUid: string;
  studyDate?: string;
  studyTime?: string;
  studyId?: string;
  studyDescription?: string;
  accessionNumber?: string;
  referringPhysicianName?: string;
  /** Version of the study's content (increments when instances arrive after processing). */
  version: number;
}

export interface InstanceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  /** The frame (from 1) of a multi-frame image (Enhanced CT), where one frame is meant. */
  frameNumber?: number;
}

export interface SeriesRef {
  seriesInstanceUid: string;
  instances: InstanceRef[];
}

export interface SourceEvidence {
  /** The CT series the lesions were drawn on (only the images actually used may be listed). */
  ct: SeriesRef & {
    frameOfReferenceUid: string;
    modality: string;
    manufacturer?: string;
    kvp?: number;
    sliceThicknessMm?: number;
  };
  rtstruct: SeriesRef & { structureSetLabel?: string };
}

/** One value that enters (or would enter) the score, kept for audit. */
export interface SignatureTerm {
  /** "feature" for a radiomic feature, "covariate" for site, kVp and the like, "intercept". */
  kind: 'feature' | 'covariate' | 'intercept';
  /** IBSI feature tag (e.g. "cm_contrast") or covariate name. */
  name: string;
  /** The feature's name as the signature file writes it, when not its IBSI tag (e.g. "GLCM_Entropy_log10"). */
  writtenAs?: string;
  /**
   * When that name denotes a fixed function of the IBSI value (e.g. "0.30103 * cm_joint_entr", a log10
   * entropy): `value` is then that function's value, not the IBSI feature's.
   */
  transform?: string;
  /** IBSI permanent code (e.g. "ACUI"), for features. */
  ibsiCode?: string;
  /** IBSI feature name (e.g. "Contrast"), for features: the code meaning in the SR. */
  ibsiName?: string;
  /** Texture aggregation by IBSI name (e.g. "3D merged"), where relevant. */
  aggregation?: string;
  region?: 'tumour' | 'ring';
  value: number | null;
  coefficient: number | null;
  /** coefficient × value; null when either is missing. */
  contribution: number | null;
  unit?: string;
  /** How a covariate was resolved (e.g. "KVP (0018,0060)" or "default 120: KVP missing"). */
  source?: string;
}

export interface QualityFlag {
  /** Stable code, e.g. "small-lesion", "missing-kvp", "ring-outside-image". */
  code: string;
  action: 'block' | 'flag';
  message: string;
}

export type ScoreStatus =
  /** A finite score from a complete signature. */
  | 'scored'
  /** A quality gate withheld the score; see flags. */
  | 'blocked'
  /** The signature file still has pending values: features are reported, no score. */
  | 'signature-incomplete'
  /** Computation failed (e.g. a feature is NaN); see reason. */
  | 'failed';

export interface LesionOutline {
  /** The CT image on which the lesion has its largest contour. */
  image: InstanceRef;
  /** Closed polygon in image pixel coordinates (column, row), as SCOORD POLYLINE wants them. */
  pixelPoints: Array<[number, number]>;
  /** The same polygon in patient coordinates (mm), for SCOORD3D. */
  patientPoints: Array<[number, number, number]>;
}

export interface LesionResult {
  roiNumber: number;
  roiName: string;
  /** Human-readable tracking identifier, stable across versions: "<ROI number> <ROI name>". */
  trackingId: string;
  /** Stable UID derived from the study, RTSTRUCT frame and ROI number. */
  trackingUid: string;
  site: LesionSite;
  /** How the site was found, e.g. "organ ROI 'Liver'", "name keyword 'foie'", "config default". */
  siteSource: string;
  volumeMl: number;
  voxelCount: number;
  centroidMm?: [number, number, number];
  outline?: LesionOutline;
  /** Every input of the signature, with its value and its contribution. */
  terms: SignatureTerm[];
  score: number | null;
  scoreStatus: ScoreStatus;
  /** hot = CD8-inflamed (score ≥ threshold), cold = immune desert; null without a score. */
  classification: 'hot' | 'cold' | null;
  flags: QualityFlag[];
  /** Why there is no score, in words, when scoreStatus is not "scored". */
  reason?: string;
  /** Every radiomic feature computed for this lesion (tag → value), per region, for research export. */
  features?: { tumour: Record<string, number>; ring: Record<string, number> };
}

export interface ScoreStatistics {
  count: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  sd: number | null;
  range: number | null;
  iqr: number | null;
  coefficientOfVariation: number | null;
  /** Shannon entropy (bits) of the histogram of lesion scores; binning documented in cd8/. */
  entropy: number | null;
  fractionHot: number | null;
}

export interface PatientSummary extends ScoreStatistics {
  /** Lesions found, including those without a score. */
  lesionCount: number;
  perSite: Partial<Record<LesionSite, ScoreStatistics>>;
}

export interface SignatureInfo {
  name: string;
  version: string;
  citation: string;
  doi?: string;
  /** False while any value of the signature is pending verification. */
  complete: boolean;
  /** The cut-off in use and where it comes from, stated in every output. */
  threshold: { value: number | null; provenance: string };
}

export interface AlgorithmInfo {
  name: string; // "cd8-node"
  version: string;
}

/** Why a whole study could not be scored (no lesion, unusable CT, ...). */
export interface StudyProblem {
  code: string;
  message: string;
}

export interface StudyAnalysis {
  patient: PatientIdentity;
  study: StudyIdentity;
  evidence: SourceEvidence | null;
  signature: SignatureInfo;
  algorithm: AlgorithmInfo;
  lesions: LesionResult[];
  summary: PatientSummary;
  /** scored: at least one lesion scored; not-scored: none was, see problems and lesion reasons. */
  status: 'scored' | 'not-scored';
  problems: StudyProblem[];
  /** ISO 8601 time of the analysis. */
  analysedAt: string;
}
