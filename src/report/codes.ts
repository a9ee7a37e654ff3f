/**
 * Coded concepts used in the SR: DICOM (DCM), SNOMED CT (SCT), UCUM units, IBSI feature codes,
 * and our private coding scheme (99CD8) for what no standard code exists (the CD8 score, its
 * hot/cold evaluation, quality flags). The private scheme is declared in the SR's Coding
 * Scheme Identification Sequence (see PRIVATE_SCHEME).
 */
import type { LesionSite } from '../results/types';

export class CodedConcept {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
  readonly schemeVersion?: string;

  constructor(value: string, scheme: string, meaning: string, schemeVersion?: string) {
    if (typeof value !== 'string' || value.length === 0) throw new TypeError('Argument "value" of CodedConcept must be a non-empty string.');
    // Code Value is SH (16 chars); longer codes would need Long Code Value, which we never need.
    if (value.length > 16) throw new RangeError(`Argument "value" of CodedConcept must have at most 16 characters, not ${value.length} ("${value}").`);
    if (typeof scheme !== 'string' || !/^[A-Za-z0-9_.-]{1,16}$/.test(scheme)) {
      throw new TypeError(`Argument "scheme" of CodedConcept must be a coding scheme designator (1-16 letters, digits, "_.-"), not "${scheme}".`);
    }
    if (typeof meaning !== 'string' || meaning.length === 0) throw new TypeError('Argument "meaning" of CodedConcept must be a non-empty string.');
    if (meaning.length > 64) throw new RangeError(`Argument "meaning" of CodedConcept must have at most 64 characters (LO), not ${meaning.length} ("${meaning}").`);
    this.value = value;
    this.scheme = scheme;
    this.meaning = meaning;
    this.schemeVersion = schemeVersion;
  }

  equals(other: { value: string; scheme: string }): boolean {
    return this.value === other.value && this.scheme === other.scheme;
  }

  toString(): string {
    return `(${this.value}, ${this.scheme}, "${this.meaning}")`;
  }

  /** The Code Sequence Macro item (naturalised, as dcmjs wants it). */
  toItem(): Record<string, string> {
    const item: Record<string, string> = { CodeValue: this.value, CodingSchemeDesignator: this.scheme, CodeMeaning: this.meaning };
    if (this.schemeVersion) item.CodingSchemeVersion = this.schemeVersion;
    return item;
  }
}

const dcm = (value: string, meaning: string) => new CodedConcept(value, 'DCM', meaning);
const sct = (value: string, meaning: string) => new CodedConcept(value, 'SCT', meaning);
const priv = (value: string, meaning: string) => new CodedConcept(value, PRIVATE_SCHEME.designator, meaning);

/** Our local coding scheme; "99" prefixes are reserved for private schemes (PS3.16 section 8.2). */
export const PRIVATE_SCHEME = {
  designator: '99CD8',
  name: 'cd8-node local codes',
  version: '1',
  responsibleOrganization: 'cd8-node project',
} as const;

/** DICOM Content Mapping Resource (DCMR): templates are identified in it. */
export const DCMR = 'DCMR';

export const DCM = {
  imagingMeasurementReport: dcm('126000', 'Imaging Measurement Report'),
  languageOfContent: dcm('121049', 'Language of Content Item and Descendants'),
  observerType: dcm('121005', 'Observer Type'),
  device: dcm('121007', 'Device'),
  deviceObserverUid: dcm('121012', 'Device Observer UID'),
  deviceObserverName: dcm('121013', 'Device Observer Name'),
  deviceObserverManufacturer: dcm('121014', 'Device Observer Manufacturer'),
  deviceObserverModelName: dcm('121015', 'Device Observer Model Name'),
  procedureReported: dcm('121058', 'Procedure reported'),
  imageLibrary: dcm('111028', 'Image Library'),
  imageLibraryGroup: dcm('126200', 'Image Library Group'),
  modality: dcm('121139', 'Modality'),
  seriesInstanceUid: dcm('112002', 'Series Instance UID'),
  frameOfReferenceUid: dcm('112227', 'Frame of Reference UID'),
  imagingMeasurements: dcm('126010', 'Imaging Measurements'),
  measurementGroup: dcm('125007', 'Measurement Group'),
  trackingIdentifier: dcm('112039', 'Tracking Identifier'),
  trackingUniqueIdentifier: dcm('112040', 'Tracking Unique Identifier'),
  finding: dcm('121071', 'Finding'),
  imageRegion: dcm('111030', 'Image Region'),
  regionInSpace: dcm('130488', 'Region in Space'),
  referencedRoiIdentifier: dcm('130489', 'Referenced Region of Interest Identifier'),
  sourceSeriesForSegmentation: dcm('121232', 'Source series for segmentation'),
  algorithmName: dcm('111001', 'Algorithm Name'),
  algorithmVersion: dcm('111003', 'Algorithm Version'),
  algorithmParameters: dcm('111002', 'Algorithm Parameters'),
  derivation: dcm('121401', 'Derivation'),
  ct: dcm('CT', 'Computed Tomography'),
  /** Numeric Value Qualifier (CID 42) for a NUM without a value. */
  measurementNotAttempted: dcm('114007', 'Measurement not attempted'),
  calculationFailure: dcm('114008', 'Calculation failure'),
} as const;

export const SCT = {
  findingSite: sct('363698007', 'Finding Site'),
  findingCategory: sct('276214006', 'Finding category'),
  morphologicallyAbnormalStructure: sct('49755003', 'Morphologically abnormal structure'),
  lesion: sct('52988006', 'Lesion'),
  volume: sct('118565006', 'Volume'),
  ctProcedure: sct('77477000', 'Computed tomography'),
  source: sct('260753009', 'Source'),
  mean: sct('373098007', 'Mean'),
  standardDeviation: sct('386136009', 'Standard Deviation'),
  minimum: sct('255605001', 'Minimum'),
  maximum: sct('56851009', 'Maximum'),
  liver: sct('10200004', 'Liver'),
  lung: sct('39607008', 'Lung'),
  lymphNode: sct('59441001', 'Lymph node'),
  headAndNeck: sct('774007', 'Head and neck'),
} as const;

export const CD8 = {
  score: priv('CD8RS', 'CD8 radiomic score'),
  phenotype: priv('CD8PHENO', 'CD8 immune phenotype'),
  hot: priv('CD8HOT', 'CD8-inflamed (hot)'),
  cold: priv('CD8COLD', 'Immune desert (cold)'),
  scoreStatus: priv('CD8RSSTAT', 'CD8 score status'),
  statusScored: priv('SCORED', 'Scored'),
  statusBlocked: priv('BLOCKED', 'Not available: blocked by a quality gate'),
  statusSignatureIncomplete: priv('SIGINCOMPLETE', 'Not available: signature incomplete'),
  statusFailed: priv('FAILED', 'Not available: computation failed'),
  reasonNotAvailable: priv('CD8RSNA', 'Reason CD8 score not available'),
  qualityFlag: priv('CD8QFLAG', 'Quality flag'),
  covariate: priv('CD8COV', 'Signature covariate'),
  signature: priv('CD8SIG', 'Signature'),
  threshold: priv('CD8THR', 'Hot/cold threshold'),
  researchCaveat: priv('CD8CAVEAT', 'Research use statement'),
  studyProblem: priv('CD8PROB', 'Study analysis problem'),
  siteSource: priv('CD8SITESRC', 'Finding site determination'),
  region: priv('CD8REGION', 'Radiomics region'),
  tumour: priv('TUMOUR', 'Tumour'),
  ring: priv('RING', 'Peritumoral ring'),
  aggregation: priv('IBSIAGG', 'IBSI texture aggregation'),
  lesionCount: priv('CD8NLES', 'Number of lesions'),
  scoredCount: priv('CD8NSCORED', 'Number of scored lesions'),
  fractionHot: priv('CD8FHOT', 'Fraction of hot lesions'),
  median: priv('MEDIAN', 'Median'),
  range: priv('RANGE', 'Range'),
  iqr: priv('IQR', 'Interquartile range'),
  coefficientOfVariation: priv('CV', 'Coefficient of variation'),
  entropy: priv('ENTROPY', 'Histogram entropy'),
  patientSummary: priv('CD8SUMMARY', 'CD8 patient summary'),
  analysisStatus: priv('CD8STUDYSTAT', 'CD8 analysis status'),
  studyScored: priv('STUDYSCORED', 'At least one lesion scored'),
  studyNotScored: priv('STUDYNOTSCORED', 'No lesion scored'),
} as const;

export const LANGUAGE_ENGLISH = new CodedConcept('en-US', 'RFC5646', 'English (United States)');

/** IBSI permanent identifiers are a registered DICOM coding scheme ("IBSI"). */
export function ibsiConcept(code: string, name: string): CodedConcept {
  return new CodedConcept(code, 'IBSI', name);
}

export function siteConcept(site: LesionSite): CodedConcept | undefined {
  switch (site) {
    case 'liver':
      return SCT.liver;
    case 'lung':
      return SCT.lung;
    case 'lymph_node':
      return SCT.lymphNode;
    case 'head_and_neck':
      return SCT.headAndNeck;
    default:
      // "other" and "unknown" have no site code: the finding site is left out, never guessed.
      return undefined;
  }
}

const UCUM_UNITS: Record<string, [string, string]> = {
  '': ['1', 'no units'],
  '1': ['1', 'no units'],
  HU: ["[hnsf'U]", 'Hounsfield unit'],
  "[hnsf'U]": ["[hnsf'U]", 'Hounsfield unit'],
  "[hnsf'U]2": ["[hnsf'U]2", 'Hounsfield unit squared'],
  HU2: ["[hnsf'U]2", 'Hounsfield unit squared'],
  mm: ['mm', 'millimeter'],
  'mm-1': ['mm-1', 'per millimeter'],
  mm2: ['mm2', 'square millimeter'],
  mm3: ['mm3', 'cubic millimeter'],
  ml: ['ml', 'milliliter'],
  mL: ['ml', 'milliliter'],
  cm3: ['cm3', 'cubic centimeter'],
  kV: ['kV', 'kilovolt'],
  kVp: ['kV', 'kilovolt'],
  '%': ['%', 'percent'],
  '{lesions}': ['{lesions}', 'lesions'],
};

/** A unit as a UCUM coded concept; unknown strings are passed through as UCUM expressions. */
export function ucum(unit?: string): CodedConcept {
  const known = UCUM_UNITS[unit ?? ''];
  if (known) return new CodedConcept(known[0], 'UCUM', known[1]);
  return new CodedConcept(unit as string, 'UCUM', unit as string);
}
