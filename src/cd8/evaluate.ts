/**
 * Evaluates a linear signature for one lesion (pure): every term's value and contribution, the
 * score, and why there is none when there is none. A NaN or missing input never enters the sum.
 */
import { featureKey } from '../radiomics/feature';
import type { LesionSite, ScoreStatus, SignatureTerm } from '../results/types';
import { CovariateSpec, Signature, isTermProblem, pendingItems, resolveTerm } from './signatureSchema';
import { percentile } from './statistics';

export interface LesionInputs {
  /** Flat feature keys (`tag` or `tag[aggregation]`) → value, per region. */
  features: { tumour: Record<string, number>; ring: Record<string, number> };
  site: LesionSite;
  /** KVP (0018,0060) of the CT series, null when absent. */
  kvp: number | null;
  /** kV assumed when KVP is absent (config score.defaultKvp). */
  defaultKvp: number;
}

export interface Evaluation {
  terms: SignatureTerm[];
  score: number | null;
  status: Extract<ScoreStatus, 'scored' | 'signature-incomplete' | 'failed'>;
  reason?: string;
}

function contribution(coefficient: number | null, value: number | null): number | null {
  return coefficient === null || value === null || !Number.isFinite(value) ? null : coefficient * value;
}

function covariateValue(c: CovariateSpec, inputs: LesionInputs): { value: number | null; source: string; unit?: string } {
  const kvp = inputs.kvp ?? inputs.defaultKvp;
  const kvpSource = inputs.kvp !== null ? `KVP (0018,0060) = ${inputs.kvp} kV` : `default ${inputs.defaultKvp} kV: KVP (0018,0060) missing`;
  switch (c.kind) {
    case 'site-indicator':
      if (c.site === null) return { value: null, source: 'site of the indicator not known yet' };
      if (inputs.site === 'unknown') return { value: 0, source: `lesion site unknown: taken as not ${c.site}` };
      return { value: inputs.site === c.site ? 1 : 0, source: `lesion site: ${inputs.site}` };
    case 'kvp-indicator':
      if (c.kvp === null) return { value: null, source: 'kVp of the indicator not known yet' };
      return { value: kvp === c.kvp ? 1 : 0, source: kvpSource };
    case 'kvp-continuous':
      return { value: kvp, source: kvpSource, unit: 'kV' };
    default:
      return { value: null, source: 'covariate not known yet' };
  }
}

export function evaluateSignature(sig: Signature, inputs: LesionInputs): Evaluation {
  const terms: SignatureTerm[] = [];
  const problems: string[] = [];

  sig.terms.forEach((t, i) => {
    let value: number | null = null;
    const r = resolveTerm(t);
    const resolved = r !== null && !isTermProblem(r) ? r : null;
    const label = resolved?.tag ?? t.feature ?? `term ${i + 1} (pending)`;
    if (resolved && t.region !== null) {
      const key = featureKey({ tag: resolved.tag, aggregation: resolved.aggregation ?? undefined });
      const v = inputs.features[t.region][key];
      if (v === undefined) problems.push(`${key} was not computed in the ${t.region} (check the signature's radiomics settings)`);
      else if (!Number.isFinite(v)) problems.push(`${key} is undefined (NaN) in the ${t.region}`);
      // A name that denotes an affine function of the IBSI value (e.g. a LIFEx log10 entropy) enters as that.
      else value = resolved.scale * v + resolved.offset;
    }
    terms.push({
      kind: 'feature',
      name: label,
      ...(resolved && resolved.name.via !== 'IBSI tag' ? { writtenAs: t.feature as string } : {}),
      ...(resolved && (resolved.scale !== 1 || resolved.offset !== 0)
        ? { transform: `${resolved.scale !== 1 ? `${Number(resolved.scale.toPrecision(6))} * ` : ''}${resolved.tag}${resolved.offset !== 0 ? ` + ${resolved.offset}` : ''}` }
        : {}),
      aggregation: resolved?.aggregation ?? t.aggregation ?? undefined,
      region: t.region ?? undefined,
      value,
      coefficient: t.coefficient,
      contribution: contribution(t.coefficient, value),
    });
  });

  sig.covariates.forEach((c, i) => {
    const { value, source, unit } = covariateValue(c, inputs);
    terms.push({ kind: 'covariate', name: c.name ?? `covariate ${i + 1} (pending)`, value, coefficient: c.coefficient, contribution: contribution(c.coefficient, value), source, unit });
  });

  terms.push({ kind: 'intercept', name: 'intercept', value: 1, coefficient: sig.intercept.value, contribution: sig.intercept.value });

  const pending = pendingItems(sig);
  if (pending.length > 0) {
    return { terms, score: null, status: 'signature-incomplete', reason: `not available: signature incomplete (${pending.length} value${pending.length === 1 ? '' : 's'} pending verification)` };
  }
  if (problems.length > 0) return { terms, score: null, status: 'failed', reason: problems.join('; ') };
  const score = terms.reduce((sum, t) => sum + (t.contribution as number), 0);
  if (!Number.isFinite(score)) return { terms, score: null, status: 'failed', reason: 'the score is not a finite number' };
  return { terms, score, status: 'scored' };
}

export interface ResolvedThreshold {
  value: number | null;
  provenance: string;
}

/** The cut-off in use: the signature's absolute value, or a percentile of the node's own scored lesions. */
export function resolveThreshold(sig: Signature, cohortScores: readonly number[]): ResolvedThreshold {
  const t = sig.threshold;
  if (t.mode === 'absolute') return { value: t.value, provenance: t.provenance };
  const n = cohortScores.length;
  if (n < t.minCohort) {
    return {
      value: null,
      provenance: `${t.percentile}th percentile of this node's scored lesions, once there are ${t.minCohort} (now ${n}): no hot/cold class yet. ${t.provenance}`,
    };
  }
  const value = percentile([...cohortScores].sort((a, b) => a - b), t.percentile);
  return { value, provenance: `${t.percentile}th percentile (${value.toPrecision(4)}) of ${n} lesions scored by this node. ${t.provenance}` };
}

/** hot = CD8-inflamed (score at or above the cut-off), cold = below; no class without both. */
export function classify(score: number | null, threshold: number | null): 'hot' | 'cold' | null {
  if (score === null || threshold === null) return null;
  return score >= threshold ? 'hot' : 'cold';
}
