/**
 * How a non-texture feature family is described: the heavy work (sorting, histograms, the mesh,
 * the convex hull) is done once per region by `prepare`; each feature is then a cheap pure
 * function of that prepared data. The descriptors double as the feature registry.
 */
import { DocumentedDescriptor, FeatureFamily, FeatureValue } from '../feature';
import { errorText } from '../../ops/errorText';

export interface FeatureDefinition<D> extends DocumentedDescriptor {
  compute: (data: D) => number;
}

export interface FamilyDefinition<D> {
  family: FeatureFamily;
  features: readonly FeatureDefinition<D>[];
}

export function defineFeature<D>(
  family: FeatureFamily,
  tag: string,
  code: string,
  name: string,
  doc: string,
  compute: (data: D) => number,
  extra: { noIbsiReference?: boolean } = {},
): FeatureDefinition<D> {
  return { family, tag, code, name, doc, compute, ...extra };
}

/**
 * Evaluates the features of a family on prepared data, except those whose tag or code is in
 * `exclude`; a throwing or NaN feature gets a reason.
 */
export function evaluateFamily<D>(def: FamilyDefinition<D>, data: D | { unavailable: string }, exclude: ReadonlySet<string> = new Set()): FeatureValue[] {
  const out: FeatureValue[] = [];
  for (const f of def.features) {
    if (isExcluded(f, exclude)) continue;
    const base = { family: f.family, tag: f.tag, code: f.code, name: f.name };
    if (isUnavailable(data)) {
      out.push({ ...base, value: NaN, reason: data.unavailable });
      continue;
    }
    try {
      const value = f.compute(data);
      out.push(Number.isFinite(value) ? { ...base, value } : { ...base, value: NaN, reason: `${f.name} is undefined for this region` });
    } catch (e) {
      out.push({ ...base, value: NaN, reason: errorText(e) });
    }
  }
  return out;
}

/** Is the feature excluded by settings (features.exclude names its IBSI tag or code)? */
export function isExcluded(f: Pick<FeatureValue, 'tag' | 'code'>, exclude: ReadonlySet<string>): boolean {
  return exclude.has(f.tag) || exclude.has(f.code);
}

function isUnavailable(data: unknown): data is { unavailable: string } {
  return typeof data === 'object' && data !== null && 'unavailable' in data && typeof (data as { unavailable: unknown }).unavailable === 'string';
}

/** The family's descriptors with their documentation lines, as listed in the registry. */
export function describe<D>(def: FamilyDefinition<D>): DocumentedDescriptor[] {
  return def.features.map(({ family, tag, code, name, doc, noIbsiReference }) => ({ family, tag, code, name, doc, ...(noIbsiReference ? { noIbsiReference } : {}) }));
}
