/**
 * From an imaged study to its result (pure): for every lesion, IBSI features of the tumour and of
 * its peritumoral ring, the quality gates, the signature's terms and score, the hot/cold class;
 * then the patient summary. Arrays in, plain data out — no file, no logger, no config.
 */
import { ExtractionStopped, extractRegions, featureKey, FeatureValue, prepareImage, RadiomicsSettings } from '../radiomics';
import type { ExtractionResult, PreparedImage, Region, StopCheck } from '../radiomics';
import type { ImagingStudy, Lesion } from '../imaging/study';
import { sourceEvidence } from '../imaging/study';
import { gridOrigin } from '../imaging/geometry';
import { ringOutsideBodyFraction } from '../imaging/body';
import { lesionTrackingUid } from '../report/uids';
import type { AlgorithmInfo, LesionResult, QualityFlag, SignatureInfo, SourceEvidence, StudyAnalysis, StudyProblem } from '../results/types';
import { applyGates, blockingReason, GateSettings } from './gates';
import { classify, evaluateSignature, resolveThreshold } from './evaluate';
import { isComplete, pendingItems, Signature } from './signatureSchema';
import { patientSummary } from './summary';
import { errorText } from '../ops/errorText';

export interface ScoringSetup {
  signature: Signature;
  radiomics: RadiomicsSettings;
  gates: GateSettings;
  /** kV assumed when KVP is missing (config score.defaultKvp). */
  defaultKvp: number;
  algorithm: AlgorithmInfo;
}

export interface ScoringRun {
  /** Version of the study's content (1 for an offline run). */
  version: number;
  /** Scores of lesions this node scored before, for a cohort-percentile cut-off. */
  cohortScores: readonly number[];
  /** ISO time of the analysis. */
  analysedAt: string;
}

type Features = Record<string, number>;

interface LesionFeatures {
  tumour: Features;
  ring: Features;
  descriptors: Map<string, FeatureValue>;
  ringClipped: boolean;
  warnings: string[];
}

function flatten(result: ExtractionResult | undefined, descriptors: Map<string, FeatureValue>): Features {
  const out: Features = {};
  for (const f of result?.features ?? []) {
    const key = featureKey(f);
    out[key] = f.value;
    descriptors.set(key, f);
  }
  return out;
}

function lesionFeatures(regions: LesionRegions): LesionFeatures {
  const descriptors = new Map<string, FeatureValue>();
  const ring = regions.ring?.diagnostics.ring;
  return {
    tumour: flatten(regions.roi, descriptors),
    ring: flatten(regions.ring, descriptors),
    descriptors,
    ringClipped: ring?.clipped ?? false,
    warnings: [...(regions.roi?.diagnostics.warnings ?? []), ...(regions.ring?.diagnostics.warnings ?? []).map((w) => `ring: ${w}`)],
  };
}

/** The features of a lesion's tumour ("roi") and peritumoral ring ("ring"). */
export type LesionRegions = Record<Region, ExtractionResult | undefined>;

/**
 * What a lesion's score needs from its pixels: its regions' features and the fraction of its ring
 * outside the body, or why the features could not be computed. measureLesion computes it on one
 * thread; the pipeline may compute the same on two (the tumour and the ring at once).
 */
export type LesionMeasures = { regions: LesionRegions; ringOutsideBodyFraction: number } | { failure: string };

/** The reason given for a lesion whose features could not be computed. */
export const featureFailure = (e: unknown): string => `features could not be computed: ${errorText(e)}`;

/** Interpolate on the grid of the whole series, not of the slices that happened to be loaded. */
function seriesGrid(study: ImagingStudy) {
  const g = study.series.geometry;
  return { dims: g.dims, spacing: g.spacing, origin: gridOrigin(g) };
}

/**
 * The lesion's image and mask interpolated once for both its regions (with the margins of both),
 * as extractRegions does: extractFromPrepared(prepared, settings, 'roi' | 'ring') then gives the
 * same features as extractRegions, region by region.
 */
export function prepareLesion(study: ImagingStudy, lesion: Lesion, settings: RadiomicsSettings): PreparedImage {
  return prepareImage(lesion.ct.image, lesion.mask, settings, ['roi', 'ring'], { alignTo: seriesGrid(study) });
}

/** The fraction of the lesion's peritumoral ring (on the CT's own grid) in outside air, for the gates. */
export const lesionRingOutsideBody = (lesion: Lesion, settings: RadiomicsSettings): number => ringOutsideBodyFraction(lesion.ct.image, lesion.mask, settings.ring);

/**
 * A lesion's measures, computed on this thread: the tumour's features, then the ring's.
 * `shouldStop` (a caller that may stop needing them) can end it between steps with ExtractionStopped.
 */
export function measureLesion(study: ImagingStudy, lesion: Lesion, settings: RadiomicsSettings, shouldStop?: StopCheck): LesionMeasures {
  let regions: LesionRegions;
  try {
    regions = extractRegions(lesion.ct.image, lesion.mask, settings, ['roi', 'ring'], { alignTo: seriesGrid(study), ...(shouldStop ? { shouldStop } : {}) });
  } catch (e) {
    if (e instanceof ExtractionStopped) throw e; // not the lesion's failure: nobody needs the answer
    return { failure: featureFailure(e) };
  }
  return { regions, ringOutsideBodyFraction: lesionRingOutsideBody(lesion, settings) };
}

/** A lesion's result before the study's threshold classifies it. */
export type ScoredLesion = Omit<LesionResult, 'classification'>;

function scoreLesion(study: ImagingStudy, lesion: Lesion, setup: ScoringSetup, measured?: LesionMeasures, shouldStop?: StopCheck): ScoredLesion {
  const facts = study.series.facts;
  const base = {
    roiNumber: lesion.roiNumber,
    roiName: lesion.roiName,
    trackingId: lesion.trackingId,
    trackingUid: lesionTrackingUid(study.study.studyInstanceUid, facts.frameOfReferenceUid ?? '', lesion.roiNumber),
    site: lesion.site,
    siteSource: lesion.siteSource,
    volumeMl: lesion.summary.volumeMl,
    voxelCount: lesion.summary.voxelCount,
    centroidMm: lesion.summary.centroidMm,
    ...(lesion.outline ? { outline: lesion.outline } : {}),
  };

  const measures = measured ?? measureLesion(study, lesion, setup.radiomics, shouldStop);
  if ('failure' in measures) return { ...base, terms: [], score: null, scoreStatus: 'failed', flags: [], reason: measures.failure };
  const features = lesionFeatures(measures.regions);

  const flags: QualityFlag[] = applyGates(
    {
      volumeMl: lesion.summary.volumeMl,
      modality: facts.modality ?? '',
      sliceThicknessMm: facts.sliceThicknessMm ?? study.series.geometry.spacing[2],
      kvp: facts.kvp ?? null,
      defaultKvp: setup.defaultKvp,
      site: lesion.site,
      ringClipped: features.ringClipped,
      ringOutsideBodyFraction: measures.ringOutsideBodyFraction,
    },
    setup.gates,
    setup.signature.validity,
  );
  const evaluation = evaluateSignature(setup.signature, {
    features: { tumour: features.tumour, ring: features.ring },
    site: lesion.site,
    kvp: facts.kvp ?? null,
    defaultKvp: setup.defaultKvp,
  });
  // Name each feature term as IBSI does, for the SR's coded concepts.
  const terms = evaluation.terms.map((t) => {
    if (t.kind !== 'feature' || t.value === null) return t;
    const d = features.descriptors.get(featureKey({ tag: t.name, aggregation: t.aggregation as FeatureValue['aggregation'] }));
    return d ? { ...t, ibsiCode: d.code, ibsiName: d.name } : t;
  });
  const blocked = blockingReason(flags);
  const common = { ...base, terms, flags, features: { tumour: features.tumour, ring: features.ring } };
  if (evaluation.status !== 'scored') return { ...common, score: null, scoreStatus: evaluation.status, reason: evaluation.reason };
  if (blocked) return { ...common, score: null, scoreStatus: 'blocked', reason: blocked };
  return { ...common, score: evaluation.score, scoreStatus: 'scored' };
}

/** What every result says about the signature it was computed with. */
function signatureInfo(sig: Signature, threshold: SignatureInfo['threshold']): SignatureInfo {
  return { name: sig.name, version: sig.version, citation: sig.citation, ...(sig.doi ? { doi: sig.doi } : {}), complete: isComplete(sig), threshold };
}

/** Scores every lesion of an imaged study and summarises them. */
export function scoreStudy(study: ImagingStudy, setup: ScoringSetup, run: ScoringRun): StudyAnalysis {
  return studyAnalysis({ ...study, evidence: sourceEvidence(study) }, scoreLesions(study, setup), setup, run);
}

/**
 * Features, gates and signature of each lesion of `study`, in its order (no threshold yet);
 * `measured[i]`, when given, are lesion i's measures computed ahead (else measureLesion here, which
 * `shouldStop` can end with ExtractionStopped).
 */
export function scoreLesions(study: ImagingStudy, setup: ScoringSetup, measured?: ReadonlyArray<LesionMeasures | undefined>, shouldStop?: StopCheck): ScoredLesion[] {
  return study.lesions.map((l, i) => scoreLesion(study, l, setup, measured?.[i], shouldStop));
}

/** What the study's answer needs besides its lesions' results. */
export type StudyFacts = Pick<ImagingStudy, 'patient' | 'study' | 'excluded'> & { evidence: SourceEvidence };

/**
 * The study's answer from its scored lesions (all of them, in the study's lesion order): the
 * threshold and each lesion's class, the patient summary and the study's problems. `scored` may
 * come from several parts of the study scored one after another (scoreLesions per volume).
 */
export function studyAnalysis(study: StudyFacts, scored: readonly ScoredLesion[], setup: ScoringSetup, run: ScoringRun): StudyAnalysis {
  const own = scored.filter((l) => l.score !== null).map((l) => l.score as number);
  // The node's own cohort includes this study's lesions.
  const threshold = resolveThreshold(setup.signature, [...run.cohortScores, ...own]);
  const lesions: LesionResult[] = scored.map((l) => ({ ...l, classification: classify(l.score, threshold.value) }));

  const problems: StudyProblem[] = [];
  if (lesions.length === 0) {
    const left = study.excluded.map((x) => `${x.roiNumber} ${x.roiName}: ${x.reason}`).join('; ');
    problems.push({
      code: 'no-lesion',
      message: `no ROI of the RTSTRUCT is a lesion under the lesion selection rules${left ? ` (${left})` : ''}. Mark lesions as GTV or adjust the "lesions" rules.`,
    });
  }
  const any = lesions.some((l) => l.scoreStatus === 'scored');
  if (lesions.length > 0 && !any) {
    const incomplete = pendingItems(setup.signature);
    problems.push(
      incomplete.length > 0
        ? { code: 'signature-incomplete', message: `not available: signature incomplete: ${incomplete.join('; ')} pending verification. Every feature is computed; no score is given until the signature's values are verified.` }
        : { code: 'no-score', message: 'no lesion could be scored (see each lesion).' },
    );
  }
  return {
    patient: study.patient,
    study: { ...study.study, version: run.version },
    evidence: study.evidence,
    signature: signatureInfo(setup.signature, threshold),
    algorithm: setup.algorithm,
    lesions,
    summary: patientSummary(lesions),
    status: any ? 'scored' : 'not-scored',
    problems,
    analysedAt: run.analysedAt,
  };
}

/** A study that could not be imaged (unusable CT or RTSTRUCT) still gets an answer that says why. */
export function unscorableStudy(
  identity: Pick<StudyAnalysis, 'patient'> & { study: Omit<StudyAnalysis['study'], 'version'> },
  problems: StudyProblem[],
  setup: Pick<ScoringSetup, 'signature' | 'algorithm'>,
  run: ScoringRun,
): StudyAnalysis {
  return {
    patient: identity.patient,
    study: { ...identity.study, version: run.version },
    evidence: null,
    signature: signatureInfo(setup.signature, resolveThreshold(setup.signature, run.cohortScores)),
    algorithm: setup.algorithm,
    lesions: [],
    summary: patientSummary([]),
    status: 'not-scored',
    problems,
    analysedAt: run.analysedAt,
  };
}
