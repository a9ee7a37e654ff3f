/**
 * The signature file: a linear radiomic signature as data, so a site can add or correct one
 * without code. Every value carries a status (`verified` / `pending`); a signature with any
 * pending or missing value is *incomplete* and never yields a score.
 *
 *   score = intercept + Σ coefficient_i × feature_i(region_i) + Σ coefficient_j × covariate_j
 *
 * Validation is pure (parsed JSON in, typed signature + issues out); reading the file is in
 * loadSignature.ts.
 */
import { ConfigIssue, Infer, s } from '../config/schemaKit';
import { AGGREGATION_CODES, Aggregation } from '../radiomics/feature';
import type { LesionSite } from '../results/types';
import { NameResolution, resolveFeatureName } from '../signature/featureNames';
import { isTextureFamily } from '../radiomics/texture';

export const SITES: readonly LesionSite[] = ['liver', 'lung', 'lymph_node', 'head_and_neck', 'other', 'unknown'];
const AGGREGATIONS = Object.keys(AGGREGATION_CODES) as Aggregation[];

const status = s.enum(['verified', 'pending'] as const, {
  doc: '"verified" = read in the publication, or fitted by `cd8-node signature fit` (see provenance); "pending" = not yet verified (the signature is then incomplete).',
  default: 'pending',
});
const note = s.string({ doc: 'Where the value comes from, or what is missing.', default: '' });

const term = s.object(
  {
    feature: s.nullable(
      s.string({
        doc: 'The feature: IBSI tag (e.g. "cm_contrast"), IBSI code (e.g. "ACUI"), unique IBSI name, or the name LIFEx prints (e.g. "GLCM_Contrast", "GLZLM_SZE"); `cd8-node signature check` shows how it resolves.',
        default: 'stat_mean',
        nonEmpty: true,
      }),
    ),
    aggregation: s.nullable(s.enum(AGGREGATIONS, { doc: 'Texture aggregation by IBSI name (texture features only; a LIFEx texture name implies its own).', default: '3D merged' })),
    region: s.nullable(s.enum(['tumour', 'ring'] as const, { doc: 'Region the feature is computed in.', default: 'tumour' })),
    coefficient: s.nullable(s.number({ doc: 'Coefficient of the (unstandardised) feature value.', default: 0 })),
    status,
    note,
  },
  'One radiomic term.',
);

const covariate = s.object(
  {
    name: s.nullable(s.string({ doc: 'Name shown in the output, e.g. "site_liver" or "kvp_120".', default: 'site_liver', nonEmpty: true })),
    kind: s.nullable(
      s.enum(['site-indicator', 'kvp-indicator', 'kvp-continuous'] as const, {
        doc: 'site-indicator: 1 when the lesion site is `site`, else 0; kvp-indicator: 1 when KVP equals `kvp`, else 0; kvp-continuous: KVP in kV.',
        default: 'site-indicator',
      }),
    ),
    site: s.nullable(s.enum(SITES, { doc: 'Site of a site-indicator.', default: 'liver' })),
    kvp: s.nullable(s.number({ doc: 'KVP of a kvp-indicator, in kV.', default: 120, min: 1, max: 1000, unit: 'kV' })),
    coefficient: s.nullable(s.number({ doc: 'Coefficient.', default: 0 })),
    status,
    note,
  },
  'One non-radiomic covariate, resolved from DICOM (KVP (0018,0060)) or from the lesion site.',
);

export const signatureSchema = s.object(
  {
    $comment: s.nullable(s.string({ doc: 'Free text for readers of the file.', default: '' })),
    id: s.string({ doc: 'Stable identifier, e.g. "cd8-sun2018".', default: 'cd8-sun2018', required: true, nonEmpty: true }),
    name: s.string({ doc: 'Name shown to users.', default: 'CD8 radiomic score', required: true, nonEmpty: true }),
    version: s.string({ doc: 'Version of this file.', default: '1', required: true, nonEmpty: true }),
    citation: s.string({ doc: 'Publication the signature comes from.', default: '', required: true, nonEmpty: true }),
    doi: s.nullable(s.string({ doc: 'DOI of the publication.', default: '' })),
    origin: s.enum(['published', 'site-fitted'] as const, {
      doc: 'published = values read in a publication; site-fitted = fitted on a site\'s own cohort by `cd8-node signature fit` (provenance says how).',
      default: 'published',
    }),
    provenance: s.nullable(
      s.object(
        {
          method: s.string({ doc: 'How the values were obtained.', default: '', nonEmpty: true }),
          fittedAt: s.string({ doc: 'ISO 8601 time of the fit.', default: '', nonEmpty: true }),
          dataHash: s.string({ doc: 'SHA-256 of the features and target files the fit read.', default: '', nonEmpty: true }),
          settings: s.string({ doc: 'The fit settings (alpha, folds, seed, λ rule, path).', default: '' }),
          lambda: s.number({ doc: 'The chosen λ.', default: 0, min: 0 }),
          lambdaRule: s.enum(['lambda.min', 'lambda.1se'] as const, { doc: 'How λ was chosen by cross-validation.', default: 'lambda.1se' }),
          cvMse: s.number({ doc: 'Cross-validated mean squared error at the chosen λ.', default: 0, min: 0 }),
          cvR2: s.number({ doc: 'Cross-validated R² at the chosen λ.', default: 0 }),
          lesions: s.int({ doc: 'Lesions the fit used.', default: 0, min: 0 }),
          patients: s.int({ doc: 'Patients they belong to.', default: 0, min: 0 }),
          note: s.string({ doc: 'Anything else a reader needs.', default: '' }),
        },
        'Where a fitted signature comes from.',
      ),
    ),
    preprocessing: s.object(
      {
        radiomicsSettings: s.string({
          doc: 'Radiomics settings file (resampling, discretisation, ring width); relative to this file.',
          default: '../radiomics/cd8.json',
          required: true,
          nonEmpty: true,
        }),
        status,
        note,
      },
      'How features are computed.',
    ),
    terms: s.list(term, { doc: 'Radiomic terms.', default: [], check: (l) => (l.length === 0 ? 'a signature needs at least one term.' : undefined) }),
    covariates: s.list(covariate, { doc: 'Non-radiomic covariates.', default: [] }),
    intercept: s.object({ value: s.nullable(s.number({ doc: 'Intercept.', default: 0 })), status, note }, 'The intercept.'),
    threshold: s.object(
      {
        mode: s.enum(['absolute', 'cohort-percentile'] as const, {
          doc: 'absolute: hot when score ≥ value; cohort-percentile: hot when score ≥ the given percentile of the scores this node has computed (its own cohort).',
          default: 'cohort-percentile',
        }),
        value: s.nullable(s.number({ doc: 'Cut-off for mode "absolute".', default: 0 })),
        percentile: s.number({ doc: 'Percentile for mode "cohort-percentile" (50 = median).', default: 50, min: 0, max: 100 }),
        minCohort: s.int({ doc: 'Scored lesions the cohort needs before a percentile cut-off is used; below it no class is given.', default: 20, min: 1 }),
        provenance: s.string({ doc: 'Where the cut-off comes from; stated in every output.', default: '', required: true, nonEmpty: true }),
        status,
      },
      'Hot/cold cut-off.',
    ),
    validity: s.object(
      {
        modalities: s.list(s.string({ doc: '', default: 'CT', nonEmpty: true }), { doc: 'Modalities the signature was built on.', default: ['CT'] }),
        minKvp: s.nullable(s.number({ doc: 'Lowest KVP of the training data.', default: 80, unit: 'kV' })),
        maxKvp: s.nullable(s.number({ doc: 'Highest KVP of the training data.', default: 140, unit: 'kV' })),
        maxSliceThicknessMm: s.nullable(s.number({ doc: 'Thickest slices of the training data.', default: 5, unit: 'mm' })),
        minVolumeMl: s.nullable(s.number({ doc: 'Smallest lesion the signature is meant for.', default: 1, unit: 'ml' })),
        note,
      },
      'Validity limits: a lesion outside them is flagged.',
    ),
  },
  'A linear radiomic signature',
);

export type Signature = Infer<typeof signatureSchema>;
export type SignatureTermSpec = Signature['terms'][number];
export type CovariateSpec = Signature['covariates'][number];

/** What keeps a signature from being usable, in words; empty when complete. */
export function pendingItems(sig: Signature): string[] {
  const out: string[] = [];
  if (sig.preprocessing.status !== 'verified') out.push('preprocessing settings');
  sig.terms.forEach((t, i) => {
    const missing = [t.feature === null && 'feature', t.region === null && 'region', t.coefficient === null && 'coefficient'].filter(Boolean);
    if (t.status !== 'verified' || missing.length > 0) out.push(`term ${i + 1}${missing.length > 0 ? ` (${missing.join(', ')} unknown)` : ''}`);
  });
  sig.covariates.forEach((c, i) => {
    const needs = c.kind === 'site-indicator' ? c.site === null : c.kind === 'kvp-indicator' ? c.kvp === null : false;
    const missing = [c.name === null && 'name', c.kind === null && 'kind', needs && (c.kind === 'site-indicator' ? 'site' : 'kvp'), c.coefficient === null && 'coefficient'].filter(Boolean);
    if (c.status !== 'verified' || missing.length > 0) out.push(`covariate ${i + 1}${missing.length > 0 ? ` (${missing.join(', ')} unknown)` : ''}`);
  });
  if (sig.intercept.status !== 'verified' || sig.intercept.value === null) out.push('intercept');
  if (sig.threshold.mode === 'absolute' && (sig.threshold.value === null || sig.threshold.status !== 'verified')) out.push('threshold');
  return out;
}

export function isComplete(sig: Signature): boolean {
  return pendingItems(sig).length === 0;
}

/** A term's feature as the engine computes it: IBSI tag and aggregation, and the affine map to the value the name denotes. */
export interface ResolvedTerm {
  tag: string;
  aggregation: Aggregation | null;
  scale: number;
  offset: number;
  name: Extract<NameResolution, { ok: true }>;
}

/** Why a term's feature cannot be resolved, and which of its keys to fix. */
export interface TermProblem {
  field: 'feature' | 'aggregation';
  message: string;
}

/**
 * Resolves a term's feature name (IBSI tag, code, name or LIFEx name) and its aggregation, or says
 * what is wrong. Null when the feature is still pending.
 */
export function resolveTerm(t: Pick<SignatureTermSpec, 'feature' | 'aggregation'>): ResolvedTerm | TermProblem | null {
  if (t.feature === null) return null;
  const r = resolveFeatureName(t.feature);
  if (!r.ok) return { field: 'feature', message: r.message };
  const texture = isTextureFamily(r.family);
  const shown = r.tag === t.feature ? `"${t.feature}"` : `"${t.feature}" (${r.tag})`;
  if (r.aggregation && t.aggregation !== null && t.aggregation !== r.aggregation) {
    return { field: 'aggregation', message: `${shown} is computed by LIFEx as IBSI "${r.aggregation}", but the term says "${t.aggregation}"; remove the aggregation or write "${r.aggregation}".` };
  }
  const aggregation = t.aggregation ?? r.aggregation ?? null;
  if (texture && aggregation === null) return { field: 'aggregation', message: `${shown} is a texture feature: name its IBSI aggregation, e.g. "3D merged".` };
  if (!texture && aggregation !== null) return { field: 'aggregation', message: `${shown} is not a texture feature; remove the aggregation.` };
  return { tag: r.tag, aggregation, scale: r.scale, offset: r.offset, name: r };
}

export function isTermProblem(r: ResolvedTerm | TermProblem | null): r is TermProblem {
  return r !== null && 'field' in r;
}

/** Rules across fields: what a verified value must have, and texture features need an aggregation. */
function signatureRules(sig: Signature): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const error = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
  const resolved = sig.terms.map((t, i) => {
    const path = `terms[${i}]`;
    if (t.status === 'verified' && (t.feature === null || t.region === null || t.coefficient === null)) {
      error(path, 'is marked "verified" but its feature, region or coefficient is null; fill them in or mark it "pending".');
    }
    const r = resolveTerm(t);
    if (isTermProblem(r)) error(`${path}.${r.field}`, r.message);
    return isTermProblem(r) ? null : r;
  });
  const seen = new Map<string, number>();
  sig.terms.forEach((t, i) => {
    const r = resolved[i];
    if (r === null) return;
    const k = `${r.tag}|${r.aggregation}|${t.region}`;
    const first = seen.get(k);
    if (first !== undefined) error(`terms[${i}]`, `repeats terms[${first}] (${r.tag} in ${t.region}); merge their coefficients.`);
    else seen.set(k, i);
  });
  sig.covariates.forEach((c, i) => {
    const path = `covariates[${i}]`;
    if (c.kind === 'site-indicator' && c.status === 'verified' && c.site === null) error(`${path}.site`, 'a verified site-indicator needs its site.');
    if (c.kind === 'kvp-indicator' && c.status === 'verified' && c.kvp === null) error(`${path}.kvp`, 'a verified kvp-indicator needs its kvp.');
    if (c.status === 'verified' && (c.kind === null || c.coefficient === null || c.name === null)) {
      error(path, 'is marked "verified" but its name, kind or coefficient is null; fill them in or mark it "pending".');
    }
    if (c.site !== null && c.kind !== 'site-indicator') error(`${path}.site`, `only a site-indicator has a site (this one is ${c.kind ?? 'of unknown kind'}).`);
  });
  if (sig.intercept.status === 'verified' && sig.intercept.value === null) error('intercept', 'is marked "verified" but its value is null.');
  if (sig.threshold.mode === 'absolute' && sig.threshold.status === 'verified' && sig.threshold.value === null) {
    error('threshold.value', 'mode "absolute" needs a value.');
  }
  return issues;
}

export interface ParsedSignature {
  signature: Signature | undefined;
  issues: ConfigIssue[];
}

export function parseSignature(raw: unknown): ParsedSignature {
  const issues: ConfigIssue[] = [];
  const sig = signatureSchema.parse(raw, '', issues);
  issues.push(...signatureRules(sig));
  const pending = pendingItems(sig);
  if (pending.length > 0) {
    issues.push({
      path: '(signature)',
      severity: 'warning',
      message: `incomplete: ${pending.length} value${pending.length > 1 ? 's are' : ' is'} pending (${pending.join('; ')}). Lesions get every feature but no score ("not available: signature incomplete").`,
    });
  }
  return { signature: issues.some((i) => i.severity === 'error') ? undefined : sig, issues };
}
