/**
 * What `cd8-node signature check` explains about a signature (pure): how each term's name was
 * resolved, what is still pending, and the signature evaluated on a phantom lesion, so that a
 * typo shows as an absurd number before a patient sees it.
 */
import { evaluateSignature, Evaluation } from '../cd8/evaluate';
import { isTermProblem, pendingItems, resolveTerm, Signature } from '../cd8/signatureSchema';
import { extractRegions, featureKey, RadiomicsSettings } from '../radiomics';
import type { ExtractionResult } from '../radiomics';
import { syntheticLesion } from '../pipeline/warmUp';
import { formatNumber } from './format';

/** One line per term: the name as written → IBSI feature, aggregation, region, and how. */
export function termResolutionLines(sig: Signature): string[] {
  return sig.terms.map((t, i) => {
    const head = `  ${i + 1}. `;
    const r = resolveTerm(t);
    const coefficient = t.coefficient === null ? 'coefficient pending' : `coefficient ${formatNumber(t.coefficient)}`;
    if (r === null) return `${head}(feature pending) — ${t.status}${t.note ? `: ${t.note}` : ''}`;
    if (isTermProblem(r)) return `${head}"${t.feature}" — ERROR (terms[${i}].${r.field}): ${r.message}`;
    const n = r.name;
    const affine = r.scale !== 1 || r.offset !== 0 ? `; value = ${r.scale !== 1 ? `${formatNumber(r.scale)} × ` : ''}IBSI${r.offset !== 0 ? ` + ${r.offset}` : ''}` : '';
    const lines = [
      `${head}"${t.feature}" (${n.via}) → ${n.tag} (${n.code}, ${n.ibsiName})${r.aggregation ? `, ${r.aggregation}` : ''}, ${t.region ?? 'region pending'}${affine}; ${coefficient} [${t.status}]`,
    ];
    if (n.note) lines.push(`       note: ${n.note}`);
    if (n.source) lines.push(`       source: ${n.source}`);
    return lines.join('\n');
  });
}

export function covariateLines(sig: Signature): string[] {
  return sig.covariates.map((c, i) => {
    const what = c.kind === 'site-indicator' ? `1 when the site is ${c.site ?? '(pending)'}` : c.kind === 'kvp-indicator' ? `1 when KVP = ${c.kvp ?? '(pending)'} kV` : c.kind === 'kvp-continuous' ? 'KVP in kV' : '(kind pending)';
    return `  ${i + 1}. ${c.name ?? '(name pending)'}: ${what}; ${c.coefficient === null ? 'coefficient pending' : `coefficient ${formatNumber(c.coefficient)}`} [${c.status}]`;
  });
}

/** Tumour and ring features of a region pair, by flat key. */
export function flatFeatures(result: ExtractionResult | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of result?.features ?? []) out[featureKey(f)] = f.value;
  return out;
}

export const PHANTOM = { volumeMl: 10, site: 'liver', kvp: 120 } as const;

/** The signature on the built-in phantom: a 10 ml CT-like sphere (soft tissue, textured), as a liver lesion at 120 kV. */
export function evaluateOnPhantom(sig: Signature, settings: RadiomicsSettings): Evaluation {
  const lesion = syntheticLesion(PHANTOM.volumeMl, [0.8, 0.8, 2.5], settings.ring.outerMm);
  const regions = extractRegions(lesion.image, lesion.mask, settings, ['roi', 'ring'], { alignTo: lesion.image });
  return evaluateSignature(sig, {
    features: { tumour: flatFeatures(regions.roi), ring: flatFeatures(regions.ring) },
    site: PHANTOM.site,
    kvp: PHANTOM.kvp,
    defaultKvp: PHANTOM.kvp,
  });
}

export function evaluationLines(e: Evaluation): string[] {
  const rows = e.terms.map((t) => {
    const name = `${t.writtenAs ?? t.name}${t.aggregation ? `[${t.aggregation}]` : ''}${t.region ? ` (${t.region})` : ''}`;
    return `  ${name.padEnd(48)} ${formatNumber(t.value).padStart(12)} × ${formatNumber(t.coefficient).padStart(10)} = ${formatNumber(t.contribution).padStart(12)}`;
  });
  const total = e.score !== null ? `  score ${formatNumber(e.score)}` : `  no score: ${e.reason ?? e.status}`;
  return [...rows, total];
}

export function pendingLines(sig: Signature): string[] {
  const p = pendingItems(sig);
  return p.length === 0 ? ['  nothing: the signature is complete.'] : p.map((x) => `  - ${x}`);
}
