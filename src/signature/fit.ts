/**
 * Fits a site's own linear signature the way the 2018 study built the CD8 signature (pure):
 * elastic-net regression of a ground truth (e.g. CD8B expression) on candidate inputs chosen as
 * that study did — every feature of the tumour and of its ring, site indicators and kVp — with
 * λ chosen by cross-validation over patients, then a complete signature and a report.
 */
import { featureKey } from '../radiomics/feature';
import { AGGREGATIONS, Aggregation } from '../radiomics/feature';
import type { LesionSite } from '../results/types';
import type { Signature } from '../cd8/signatureSchema';
import { percentile } from '../cd8/statistics';
import { auc, Estimate, medianSplit } from './agreement';
import { assignFolds, coefficientsAt, crossValidate, elasticNetPath, seededRandom } from './elasticNet';
import { LesionRow } from './lesionTable';

export class FitError extends Error {}

export interface FitOptions {
  alpha: number;
  folds: number;
  seed: number;
  rule: 'lambda.min' | 'lambda.1se';
  /** Bootstrap resamples for the selection frequency (0 = none). */
  bootstrap: number;
  /** Candidate columns to leave out: exact names or patterns with "*". */
  exclude: readonly string[];
  /** kV for a lesion whose CT has no KVP, as the node scores it (config score.defaultKvp). */
  defaultKvp: number;
}

export interface FitInput {
  lesions: readonly LesionRow[];
  /** Lesion ID → ground truth; null where the target file leaves it empty. */
  target: ReadonlyMap<string, number | null>;
  /** File names, for messages. */
  featuresFile: string;
  targetFile: string;
}

/** One candidate input of the design matrix. */
export type Candidate =
  | { kind: 'feature'; column: string; region: 'tumour' | 'ring'; tag: string; aggregation: Aggregation | null }
  | { kind: 'site'; column: string; site: LesionSite }
  | { kind: 'kvp'; column: string };

export interface SelectedTerm {
  candidate: Candidate;
  coefficient: number;
  /** Fraction of bootstrap fits that select it (NaN without bootstrap). */
  selectionFrequency: number;
}

export interface FitResult {
  lesionIds: string[];
  patients: number;
  /** Lesions of the features file without a target, left out. */
  leftOutWithoutTarget: number;
  /** The signature (name and version) the features were computed under: one for every lesion. */
  featuresSignature: string;
  candidates: Candidate[];
  /** Covariate candidates left out because constant in these lesions (e.g. a single site). */
  constantCovariates: string[];
  foldid: number[];
  lambda: number;
  lambdaIndex: number;
  lambdaMin: number;
  lambda1se: number;
  pathLength: number;
  intercept: number;
  selected: SelectedTerm[];
  cvMse: number;
  cvR2: number;
  /** AUC of the out-of-fold score for target ≥ its median. */
  cvAuc: Estimate;
  targetMedian: number;
  /** In-sample scores of the training lesions. */
  fittedScores: number[];
  /** The design matrix (columns) and target, for checks against other software. */
  x: Float64Array[];
  y: Float64Array;
}

const parseFeatureColumn = (column: string): Candidate | undefined => {
  const m = /^(tumour|ring):([a-z0-9_]+)(?:\[(.+)\])?$/.exec(column);
  if (!m) return undefined;
  const aggregation = (m[3] ?? null) as Aggregation | null;
  if (aggregation !== null && !AGGREGATIONS.includes(aggregation)) return undefined;
  return { kind: 'feature', column, region: m[1] as 'tumour' | 'ring', tag: m[2], aggregation };
};

const matcher = (patterns: readonly string[]) => {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (column: string) => res.some((r) => r.test(column));
};

const list = (items: readonly string[], max = 8) => `${items.slice(0, max).join(', ')}${items.length > max ? `, … (${items.length} in all)` : ''}`;

export function fitSignature(input: FitInput, opts: FitOptions): FitResult {
  const { lesions, target } = input;
  const known = new Set(lesions.map((l) => l.lesionId));
  const unknown = [...target.keys()].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new FitError(
      `${unknown.length} lesion ID${unknown.length === 1 ? '' : 's'} of ${input.targetFile} ${unknown.length === 1 ? 'is' : 'are'} not in ${input.featuresFile}: ${list(unknown, 5)}. The target's first column must hold the lesion_id of the export (the lesion's tracking UID); export again or correct the IDs.`,
    );
  }
  const used = lesions.filter((l) => target.get(l.lesionId) !== undefined && target.get(l.lesionId) !== null);
  const leftOutWithoutTarget = lesions.length - used.length;
  // Features are only comparable when one set of radiomics settings made them all.
  const signatures = new Map<string, number>();
  for (const l of used) signatures.set(l.signature, (signatures.get(l.signature) ?? 0) + 1);
  if (signatures.size > 1) {
    throw new FitError(
      `the lesions with a target were analysed under ${signatures.size} signatures (${[...signatures].sort((a, b) => b[1] - a[1]).map(([s, n]) => `"${s}": ${n}`).join(', ')}), whose radiomics settings may differ, so their features may not be comparable. Fit on the lesions of one signature (its rows of the signature column), or analyse them all again with one (cd8-node features --batch DIR --signature FILE).`,
    );
  }
  const patients = new Set(used.map((l) => l.patient)).size;
  if (patients < 3) {
    throw new FitError(
      `${patients} patient${patients === 1 ? '' : 's'} (${used.length} lesion${used.length === 1 ? '' : 's'} with a target): the cross-validation needs at least 3 patients (lesions of a patient stay in one fold), and a signature worth using many more. Check the export's patient column, or add patients.`,
    );
  }
  if (patients < opts.folds) {
    throw new FitError(
      `${patients} patient${patients === 1 ? '' : 's'} (${used.length} lesion${used.length === 1 ? '' : 's'} with a target) ${patients === 1 ? 'is' : 'are'} fewer than the ${opts.folds} folds of the cross-validation (lesions of a patient stay in one fold); give --folds ${Math.max(3, patients)} or fewer (at least 3), or more patients.`,
    );
  }
  if (opts.folds < 3) throw new FitError(`--folds must be at least 3 (as cv.glmnet), not ${opts.folds}.`);

  // Candidates: every feature of tumour and ring, site indicators, kVp (2018 study).
  const excluded = matcher(opts.exclude);
  const columns = [...new Set(used.flatMap((l) => Object.keys(l.features)))].filter((c) => !excluded(c));
  const features = columns.map(parseFeatureColumn).filter((c): c is Candidate => c !== undefined);
  // No indicator for "unknown": the node scores an unknown site as no site at all.
  const sites = [...new Set(used.map((l) => l.site))].filter((s) => s !== 'unknown').sort();
  const covariates: Candidate[] = [...sites.map((site): Candidate => ({ kind: 'site', column: `site:${site}`, site })), { kind: 'kvp' as const, column: 'kvp' }].filter((c) => !excluded(c.column));
  const value = (c: Candidate, l: LesionRow): number =>
    c.kind === 'feature' ? (l.features[c.column] ?? NaN) : c.kind === 'site' ? (l.site === c.site ? 1 : 0) : (l.kvp ?? opts.defaultKvp);

  const missing = features.filter((c) => used.some((l) => !Number.isFinite(value(c, l))));
  if (missing.length > 0) {
    const detail = missing.slice(0, 5).map((c) => {
      const ids = used.filter((l) => !Number.isFinite(value(c, l))).map((l) => l.lesionId);
      return `${c.column} (${ids.length} lesion${ids.length === 1 ? '' : 's'}: ${list(ids, 3)})`;
    });
    throw new FitError(
      `missing values (features undefined for some lesions) in ${missing.length} column${missing.length === 1 ? '' : 's'}: ${detail.join('; ')}${missing.length > 5 ? '; …' : ''}. Leave those columns out with --exclude "${missing[0].column}" (patterns with * allowed), or those lesions out of ${input.targetFile}.`,
    );
  }
  const isConstant = (c: Candidate) => used.every((l) => value(c, l) === value(c, used[0]));
  const constantFeatures = features.filter(isConstant);
  if (constantFeatures.length > 0) {
    throw new FitError(
      `${constantFeatures.length} column${constantFeatures.length === 1 ? ' is' : 's are'} constant across the ${used.length} lesions with a target, so ${constantFeatures.length === 1 ? 'it' : 'they'} cannot enter the fit: ${list(constantFeatures.map((c) => c.column))}. Leave ${constantFeatures.length === 1 ? 'it' : 'them'} out with --exclude (patterns with * allowed, e.g. --exclude "${constantFeatures[0].column}").`,
    );
  }
  const constantCovariates = covariates.filter(isConstant).map((c) => c.column);
  const candidates = [...features, ...covariates.filter((c) => !constantCovariates.includes(c.column))];
  if (candidates.length === 0) throw new FitError('no candidate input is left (every column excluded or constant).');

  const x = candidates.map((c) => Float64Array.from(used, (l) => value(c, l)));
  const y = Float64Array.from(used, (l) => target.get(l.lesionId) as number);
  if (used.every((l) => target.get(l.lesionId) === y[0])) throw new FitError(`the target is the same for every lesion (${y[0]}); there is nothing to fit.`);
  const foldid = assignFolds(used.map((l) => l.patient), opts.folds, opts.seed);
  const netOpts = { alpha: opts.alpha };
  const cv = crossValidate(x, y, foldid, netOpts);
  const index = opts.rule === 'lambda.min' ? cv.indexMin : cv.index1se;
  const lambda = cv.path.lambda[index];
  const beta = cv.path.beta[index];
  const intercept = cv.path.a0[index];

  // Bootstrap over patients: how often each input is selected at the chosen λ.
  const counts = new Array<number>(candidates.length).fill(0);
  if (opts.bootstrap > 0) {
    const rnd = seededRandom(opts.seed + 1);
    const byPatient = new Map<string, number[]>();
    used.forEach((l, i) => byPatient.set(l.patient, [...(byPatient.get(l.patient) ?? []), i]));
    const groups = [...byPatient.values()];
    let done = 0;
    for (let b = 0; b < opts.bootstrap; b++) {
      const rows = Array.from({ length: groups.length }, () => groups[Math.floor(rnd() * groups.length)]).flat();
      const xb = x.map((col) => Float64Array.from(rows, (i) => col[i]));
      const yb = Float64Array.from(rows, (i) => y[i]);
      // A resample can make a column constant or the target flat: that fit is skipped.
      if (xb.some((col) => col.every((v) => v === col[0])) || yb.every((v) => v === yb[0])) continue;
      const path = elasticNetPath(xb, yb, netOpts);
      coefficientsAt(path, [lambda])[0].beta.forEach((bj, j) => {
        if (bj !== 0) counts[j]++;
      });
      done++;
    }
    counts.forEach((cnt, j) => (counts[j] = done > 0 ? cnt / done : NaN));
  }
  const selected = candidates.flatMap((c, j) => (beta[j] !== 0 ? [{ candidate: c, coefficient: beta[j], selectionFrequency: opts.bootstrap > 0 ? counts[j] : NaN }] : []));

  const n = y.length;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const varY = y.reduce((a, b) => a + (b - ym) ** 2, 0) / n;
  const split = medianSplit([...y]);
  const fittedScores = used.map((_, i) => intercept + beta.reduce((s, bj, j) => s + bj * x[j][i], 0));
  return {
    lesionIds: used.map((l) => l.lesionId),
    patients,
    leftOutWithoutTarget,
    featuresSignature: [...signatures.keys()][0],
    candidates,
    constantCovariates,
    foldid,
    lambda,
    lambdaIndex: index,
    lambdaMin: cv.lambdaMin,
    lambda1se: cv.lambda1se,
    pathLength: cv.path.lambda.length,
    intercept,
    selected,
    cvMse: cv.cvm[index],
    cvR2: 1 - cv.cvm[index] / varY,
    cvAuc: auc(cv.predictions[index], split.positive),
    targetMedian: split.cut,
    fittedScores,
    x,
    y,
  };
}

export interface SignatureMeta {
  id: string;
  name: string;
  radiomicsSettings: string;
  fittedAt: string;
  dataHash: string;
  settings: string;
  note: string;
}

/** The complete signature file of a fit: every value "verified" (fitted), origin site-fitted, provenance filled. */
export function fittedSignature(fit: FitResult, opts: FitOptions, meta: SignatureMeta, lesions: readonly LesionRow[]): Signature {
  const used = lesions.filter((l) => fit.lesionIds.includes(l.lesionId));
  const kvps = used.map((l) => l.kvp).filter((k): k is number => k !== null);
  const cut = percentile([...fit.fittedScores].sort((a, b) => a - b), 50);
  const terms = fit.selected.filter((t) => t.candidate.kind === 'feature');
  return {
    $comment: `Fitted by cd8-node signature fit on ${fit.lesionIds.length} lesions of ${fit.patients} patients. A site's own signature: not the published CD8 signature.`,
    id: meta.id,
    name: meta.name,
    version: meta.fittedAt.slice(0, 10),
    citation: `Site-fitted linear signature (elastic net, cd8-node signature fit, ${meta.fittedAt.slice(0, 10)}), candidate inputs as Sun et al., Lancet Oncol 2018;19(9):1180-91.`,
    doi: null,
    origin: 'site-fitted',
    provenance: {
      method: 'elastic-net linear regression (glmnet conventions: standardised inputs, 100-λ path, k-fold cross-validation by patient)',
      fittedAt: meta.fittedAt,
      dataHash: meta.dataHash,
      settings: meta.settings,
      lambda: fit.lambda,
      lambdaRule: opts.rule,
      cvMse: fit.cvMse,
      cvR2: fit.cvR2,
      lesions: fit.lesionIds.length,
      patients: fit.patients,
      note: meta.note,
    },
    preprocessing: { radiomicsSettings: meta.radiomicsSettings, status: 'verified', note: 'The radiomics settings the fitted features were computed with.' },
    terms: (terms.length > 0 ? terms : []).map((t) => {
      const c = t.candidate as Extract<Candidate, { kind: 'feature' }>;
      return { feature: c.tag, aggregation: c.aggregation, region: c.region, coefficient: t.coefficient, status: 'verified' as const, note: `${featureKey({ tag: c.tag, aggregation: c.aggregation ?? undefined })} in the ${c.region}; selected in ${Number.isNaN(t.selectionFrequency) ? '–' : `${Math.round(t.selectionFrequency * 100)} %`} of bootstrap fits` };
    }),
    covariates: fit.selected
      .filter((t) => t.candidate.kind !== 'feature')
      .map((t) => {
        const c = t.candidate;
        return c.kind === 'site'
          ? { name: `site_${c.site}`, kind: 'site-indicator' as const, site: c.site, kvp: null, coefficient: t.coefficient, status: 'verified' as const, note: '1 when the lesion site is ' + c.site }
          : { name: 'kvp', kind: 'kvp-continuous' as const, site: null, kvp: null, coefficient: t.coefficient, status: 'verified' as const, note: `KVP in kV (${opts.defaultKvp} kV where missing)` };
      }),
    intercept: { value: fit.intercept, status: 'verified', note: '' },
    threshold: {
      mode: 'absolute',
      value: cut,
      percentile: 50,
      minCohort: 20,
      provenance: `median of the fitted scores of the ${fit.lesionIds.length} training lesions (the 2018 study split at its cohort median)`,
      status: 'verified',
    },
    validity: {
      modalities: ['CT'],
      minKvp: kvps.length > 0 ? Math.min(...kvps) : null,
      maxKvp: kvps.length > 0 ? Math.max(...kvps) : null,
      maxSliceThicknessMm: null,
      minVolumeMl: used.length > 0 ? Math.min(...used.map((l) => l.volumeMl)) : null,
      note: 'kVp and volume ranges of the training lesions.',
    },
  };
}
