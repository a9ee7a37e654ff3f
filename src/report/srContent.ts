/**
 * What the SR says about a StudyAnalysis: the TID 1500 content tree. Pure: analysis in, content
 * items out. A lesion without a score gets its reason as TEXT and a NUM without a value (with
 * a Numeric Value Qualifier), never a number.
 */
import { createHash } from 'node:crypto';
import { AGGREGATION_CODES, Aggregation } from '../radiomics/feature';
import type { LesionResult, ScoreStatistics, SignatureTerm, StudyAnalysis, LesionSite } from '../results/types';
import { CD8, CodedConcept, DCM, ibsiConcept, PRIVATE_SCHEME, SCT, siteConcept, ucum } from './codes';
import { Algorithm, DeviceObserver, imageLibrary, Measurement, measurementGroup, measurementReport, QualitativeEvaluation, TextEvaluation, volumetricRoiGroup } from './templates';
import { ContainerItem } from './valueTypes';
import { DEVICE_OBSERVER_UID, summaryTrackingUid } from './uids';

export const RESEARCH_CAVEAT =
  'The CD8 radiomic score (Sun et al., Lancet Oncol 2018) is a research biomarker, not a diagnosis. ' +
  'It estimates tumour-infiltrating CD8 T cells from CT texture and must not be used on its own for clinical decisions.';

const NO_UNITS = ucum('1');

export function algorithmOf(analysis: StudyAnalysis): Algorithm {
  return {
    name: analysis.algorithm.name,
    version: analysis.algorithm.version,
    parameters: [`signature ${analysis.signature.name} ${analysis.signature.version}${analysis.signature.complete ? '' : ' (incomplete: values pending verification)'}`],
  };
}

export function statusConcept(lesion: LesionResult): CodedConcept {
  switch (lesion.scoreStatus) {
    case 'scored':
      return CD8.statusScored;
    case 'blocked':
      return CD8.statusBlocked;
    case 'signature-incomplete':
      return CD8.statusSignatureIncomplete;
    case 'failed':
      return CD8.statusFailed;
  }
}

/** Why a lesion has no score, in words; never empty. */
export function notAvailableReason(lesion: LesionResult): string {
  if (lesion.reason && lesion.reason.trim() !== '') return lesion.reason;
  switch (lesion.scoreStatus) {
    case 'signature-incomplete':
      return 'not available: signature incomplete (some values of the signature are pending verification)';
    case 'blocked': {
      const blocking = lesion.flags.filter((f) => f.action === 'block').map((f) => f.message);
      return `not available: blocked by a quality gate${blocking.length ? ': ' + blocking.join('; ') : ''}`;
    }
    case 'failed':
      return 'not available: the computation failed';
    default:
      return 'not available';
  }
}

function featureConcept(term: SignatureTerm): CodedConcept {
  // A value that is a function of the IBSI feature (a LIFEx log10 entropy) is not that feature: no IBSI code.
  if (term.transform) return new CodedConcept('F' + createHash('sha1').update(term.transform).digest('hex').slice(0, 12).toUpperCase(), PRIVATE_SCHEME.designator, `${term.writtenAs ?? term.name} = ${term.transform}`.slice(0, 64));
  const meaning = (term.ibsiName ?? term.name).slice(0, 64);
  if (term.ibsiCode) return ibsiConcept(term.ibsiCode, meaning);
  // No IBSI code: a private code derived from the name keeps it unique and stable.
  const code = 'F' + createHash('sha1').update(term.name).digest('hex').slice(0, 12).toUpperCase();
  return new CodedConcept(code, PRIVATE_SCHEME.designator, meaning);
}

function featureMeasurement(term: SignatureTerm, algorithm: Algorithm): Measurement {
  const modifiers: Measurement['modifiers'] = [];
  if (term.region) modifiers.push({ name: CD8.region, value: term.region === 'ring' ? CD8.ring : CD8.tumour });
  if (term.aggregation) {
    const code = AGGREGATION_CODES[term.aggregation as Aggregation];
    if (!code) throw new RangeError(`feature ${term.name}: "${term.aggregation}" is not an IBSI aggregation name (expected one of ${Object.keys(AGGREGATION_CODES).join(', ')}).`);
    modifiers.push({ name: CD8.aggregation, value: ibsiConcept(code, term.aggregation) });
  }
  const value: Measurement['value'] =
    term.value === null || !Number.isFinite(term.value) ? { value: null, qualifier: DCM.calculationFailure } : { value: term.value, unit: ucum(term.unit) };
  return { name: featureConcept(term), value, modifiers, algorithm };
}

function covariateText(term: SignatureTerm): string {
  const value = term.value === null ? 'missing' : `${term.value}${term.unit ? ' ' + term.unit : ''}`;
  const parts = [`${term.name} = ${value}`];
  if (term.source) parts.push(`from ${term.source}`);
  if (term.coefficient !== null) parts.push(`coefficient ${term.coefficient}`);
  return parts.join('; ');
}

export interface LesionAnchor {
  ctSeriesUid?: string;
  structureSet?: { sopClassUid: string; sopInstanceUid: string };
}

export function lesionGroup(lesion: LesionResult, analysis: StudyAnalysis, anchor: LesionAnchor): ContainerItem {
  const algorithm = algorithmOf(analysis);
  const scored = lesion.scoreStatus === 'scored' && lesion.score !== null && Number.isFinite(lesion.score);
  const scoreValue: Measurement['value'] = scored
    ? { value: lesion.score as number, unit: NO_UNITS }
    : { value: null, qualifier: lesion.scoreStatus === 'failed' ? DCM.calculationFailure : DCM.measurementNotAttempted };
  const measurements: Measurement[] = [
    { name: CD8.score, value: scoreValue, algorithm },
    { name: SCT.volume, value: { value: lesion.volumeMl, unit: ucum('ml') } },
    ...lesion.terms.filter((t) => t.kind === 'feature').map((t) => featureMeasurement(t, algorithm)),
  ];
  const evaluations: QualitativeEvaluation[] = [{ name: CD8.scoreStatus, value: statusConcept(lesion) }];
  if (scored && lesion.classification) evaluations.push({ name: CD8.phenotype, value: lesion.classification === 'hot' ? CD8.hot : CD8.cold });
  const texts: TextEvaluation[] = [];
  if (!scored) texts.push({ name: CD8.reasonNotAvailable, text: notAvailableReason(lesion) });
  for (const f of lesion.flags) texts.push({ name: CD8.qualityFlag, text: `${f.action === 'block' ? 'blocks the score' : 'flag'}: ${f.code}: ${f.message}` });
  for (const t of lesion.terms.filter((x) => x.kind === 'covariate')) texts.push({ name: CD8.covariate, text: covariateText(t) });
  if (lesion.siteSource) texts.push({ name: CD8.siteSource, text: `${lesion.site}: ${lesion.siteSource}` });

  const site = siteConcept(lesion.site);
  const common = {
    trackingIdentifier: lesion.trackingId,
    trackingUid: lesion.trackingUid,
    findingCategory: SCT.morphologicallyAbnormalStructure,
    finding: SCT.lesion,
    findingSites: site ? [site] : [],
    algorithm,
    measurements,
    evaluations,
    texts,
  };
  if (lesion.outline) {
    return volumetricRoiGroup({
      ...common,
      roi: { kind: 'image-region', points: lesion.outline.pixelPoints, image: lesion.outline.image },
      sourceSeriesUid: anchor.ctSeriesUid,
      roiSource: anchor.structureSet ? { structureSet: anchor.structureSet, roiNumber: lesion.roiNumber } : undefined,
    });
  }
  if (anchor.structureSet) {
    return volumetricRoiGroup({ ...common, roi: { kind: 'region-in-space', structureSet: anchor.structureSet, roiNumber: lesion.roiNumber }, sourceSeriesUid: anchor.ctSeriesUid });
  }
  throw new TypeError(`lesion ${lesion.trackingId} has neither an outline nor an RTSTRUCT to reference: the SR cannot say where it is.`);
}

function statisticMeasurements(stats: ScoreStatistics, algorithm: Algorithm): Measurement[] {
  const m: Measurement[] = [];
  const add = (value: number | null, derivation: CodedConcept) => {
    if (value !== null && Number.isFinite(value)) m.push({ name: CD8.score, value: { value, unit: NO_UNITS }, derivation, algorithm });
  };
  add(stats.mean, SCT.mean);
  add(stats.median, CD8.median);
  add(stats.min, SCT.minimum);
  add(stats.max, SCT.maximum);
  add(stats.sd, SCT.standardDeviation);
  add(stats.range, CD8.range);
  add(stats.iqr, CD8.iqr);
  add(stats.coefficientOfVariation, CD8.coefficientOfVariation);
  add(stats.entropy, CD8.entropy);
  if (stats.fractionHot !== null && Number.isFinite(stats.fractionHot)) m.push({ name: CD8.fractionHot, value: { value: stats.fractionHot, unit: NO_UNITS } });
  return m;
}

function signatureText(analysis: StudyAnalysis): string {
  const s = analysis.signature;
  return `${s.name} ${s.version}${s.complete ? '' : ' (incomplete: values pending verification, no score is computed)'}; ${s.citation}${s.doi ? '; doi:' + s.doi : ''}`;
}

function thresholdText(analysis: StudyAnalysis): string {
  const t = analysis.signature.threshold;
  return `${t.value === null ? 'none' : t.value}: ${t.provenance}`;
}

export function summaryGroups(analysis: StudyAnalysis): ContainerItem[] {
  const algorithm = algorithmOf(analysis);
  const studyUid = analysis.study.studyInstanceUid;
  const summary = analysis.summary;
  const texts: TextEvaluation[] = [
    { name: CD8.researchCaveat, text: RESEARCH_CAVEAT },
    { name: CD8.signature, text: signatureText(analysis) },
    { name: CD8.threshold, text: thresholdText(analysis) },
    ...analysis.problems.map((p) => ({ name: CD8.studyProblem, text: `${p.code}: ${p.message}` })),
  ];
  const groups = [
    measurementGroup({
      trackingIdentifier: 'Patient summary',
      trackingUid: summaryTrackingUid(studyUid, 'all'),
      algorithm,
      measurements: [
        { name: CD8.lesionCount, value: { value: summary.lesionCount, unit: ucum('{lesions}') } },
        { name: CD8.scoredCount, value: { value: summary.count, unit: ucum('{lesions}') } },
        ...statisticMeasurements(summary, algorithm),
      ],
      evaluations: [{ name: CD8.analysisStatus, value: analysis.status === 'scored' ? CD8.studyScored : CD8.studyNotScored }],
      texts,
    }),
  ];
  for (const [site, stats] of Object.entries(summary.perSite) as Array<[LesionSite, ScoreStatistics | undefined]>) {
    if (!stats || stats.count === 0) continue;
    const code = siteConcept(site);
    groups.push(
      measurementGroup({
        trackingIdentifier: `Patient summary: ${site.replace(/_/g, ' ')}`,
        trackingUid: summaryTrackingUid(studyUid, `site:${site}`),
        findingSites: code ? [code] : [],
        algorithm,
        measurements: [{ name: CD8.scoredCount, value: { value: stats.count, unit: ucum('{lesions}') } }, ...statisticMeasurements(stats, algorithm)],
        texts: code ? [] : [{ name: CD8.siteSource, text: `lesions of site "${site}"` }],
      }),
    );
  }
  return groups;
}

export interface ReportContentOptions {
  observer?: Partial<DeviceObserver>;
}

export function reportContent(analysis: StudyAnalysis, options: ReportContentOptions = {}): ContainerItem {
  const ev = analysis.evidence;
  const anchor: LesionAnchor = ev
    ? { ctSeriesUid: ev.ct.seriesInstanceUid, structureSet: ev.rtstruct.instances[0] }
    : {};
  const library = ev && ev.ct.instances.length > 0
    ? imageLibrary([{ modality: DCM.ct, seriesInstanceUid: ev.ct.seriesInstanceUid, frameOfReferenceUid: ev.ct.frameOfReferenceUid, images: ev.ct.instances }])
    : undefined;
  return measurementReport({
    observer: {
      uid: options.observer?.uid ?? DEVICE_OBSERVER_UID,
      name: options.observer?.name ?? analysis.algorithm.name,
      manufacturer: options.observer?.manufacturer ?? 'cd8-node project',
      modelName: options.observer?.modelName ?? `${analysis.algorithm.name} ${analysis.algorithm.version}`,
    },
    proceduresReported: [SCT.ctProcedure],
    imageLibrary: library,
    algorithm: algorithmOf(analysis),
    groups: [...analysis.lesions.map((l) => lesionGroup(l, analysis, anchor)), ...summaryGroups(analysis)],
  });
}
