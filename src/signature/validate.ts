/**
 * A signature checked on a cohort with ground truth (pure): each lesion's score from the exported
 * features, then Spearman correlation and AUC (median split of the target) with 95 % CIs and a
 * calibration table, overall and per site.
 */
import { evaluateSignature } from '../cd8/evaluate';
import { classify } from '../cd8/evaluate';
import { pendingItems, Signature } from '../cd8/signatureSchema';
import type { LesionSite } from '../results/types';
import { auc, calibrationTable, CalibrationRow, Estimate, medianSplit, spearman } from './agreement';
import { LesionRow } from './lesionTable';

export class ValidateError extends Error {}

export interface ScoredPoint {
  lesionId: string;
  site: LesionSite;
  score: number;
  target: number;
  classification: 'hot' | 'cold' | null;
}

export interface Agreement {
  n: number;
  spearman: Estimate;
  /** AUC of the score for target ≥ median (of this group). */
  auc: Estimate;
  targetMedian: number;
  calibration: CalibrationRow[];
}

export interface Validation {
  points: ScoredPoint[];
  /** Lesions with a target that could not be scored, and why. */
  notScored: Array<{ lesionId: string; reason: string }>;
  leftOutWithoutTarget: number;
  /** Patients of the scored lesions (the CIs treat lesions as independent: with fewer patients than lesions they are too narrow). */
  patients: number;
  overall: Agreement;
  perSite: Partial<Record<LesionSite, Agreement>>;
  threshold: number | null;
}

/** Needs at least this many lesions for a correlation or an AUC to be reported for a group. */
export const MIN_GROUP = 4;

function agreement(points: readonly ScoredPoint[], groups: number): Agreement {
  const scores = points.map((p) => p.score);
  const target = points.map((p) => p.target);
  const split = medianSplit(target);
  return { n: points.length, spearman: spearman(scores, target), auc: auc(scores, split.positive), targetMedian: split.cut, calibration: calibrationTable(scores, target, groups) };
}

export function validateSignature(
  sig: Signature,
  lesions: readonly LesionRow[],
  target: ReadonlyMap<string, number | null>,
  opts: { defaultKvp: number; groups: number; featuresFile: string; targetFile: string },
): Validation {
  const pending = pendingItems(sig);
  if (pending.length > 0) throw new ValidateError(`the signature is incomplete (${pending.join('; ')} pending): there is no score to validate.`);
  const known = new Set(lesions.map((l) => l.lesionId));
  const unknown = [...target.keys()].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new ValidateError(`${unknown.length} lesion ID${unknown.length === 1 ? '' : 's'} of ${opts.targetFile} ${unknown.length === 1 ? 'is' : 'are'} not in ${opts.featuresFile}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}. The target's first column must hold the lesion_id of the export.`);
  }
  const threshold = sig.threshold.mode === 'absolute' ? sig.threshold.value : null;
  const points: ScoredPoint[] = [];
  const notScored: Validation['notScored'] = [];
  const patients = new Set<string>();
  let leftOut = 0;
  for (const l of lesions) {
    const t = target.get(l.lesionId);
    if (t === undefined || t === null) {
      leftOut++;
      continue;
    }
    const features = { tumour: {} as Record<string, number>, ring: {} as Record<string, number> };
    for (const [col, v] of Object.entries(l.features)) {
      const [region, key] = [col.slice(0, col.indexOf(':')), col.slice(col.indexOf(':') + 1)];
      if (region === 'tumour' || region === 'ring') features[region][key] = v;
    }
    const e = evaluateSignature(sig, { features, site: l.site, kvp: l.kvp, defaultKvp: opts.defaultKvp });
    if (e.score === null) notScored.push({ lesionId: l.lesionId, reason: e.reason ?? e.status });
    else {
      points.push({ lesionId: l.lesionId, site: l.site, score: e.score, target: t, classification: classify(e.score, threshold) });
      patients.add(l.patient);
    }
  }
  if (points.length < MIN_GROUP) {
    const why = notScored.length > 0 ? ` (${notScored.length} could not be scored, e.g. ${notScored[0].lesionId}: ${notScored[0].reason})` : '';
    throw new ValidateError(`${points.length} lesion${points.length === 1 ? '' : 's'} with a target could be scored${why}; validation needs at least ${MIN_GROUP}.`);
  }
  // A constant target or score has no rank order: no correlation, no median split, nothing to report.
  if (points.every((p) => p.target === points[0].target)) {
    throw new ValidateError(`the target is the same (${points[0].target}) for all ${points.length} scored lesions of ${opts.targetFile}: there is nothing to correlate the scores with. Check that its second column holds the ground truth.`);
  }
  if (points.every((p) => p.score === points[0].score)) {
    throw new ValidateError(`every one of the ${points.length} lesions has the same score (${points[0].score}): the signature does not tell them apart. Check its terms with "cd8-node signature check".`);
  }
  const perSite: Validation['perSite'] = {};
  for (const site of [...new Set(points.map((p) => p.site))].sort()) {
    const group = points.filter((p) => p.site === site);
    if (group.length >= MIN_GROUP) perSite[site] = agreement(group, Math.min(opts.groups, Math.floor(group.length / 2)));
  }
  return { points, notScored, leftOutWithoutTarget: leftOut, patients: patients.size, overall: agreement(points, opts.groups), perSite, threshold };
}
