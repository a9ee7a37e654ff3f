/**
 * The IBSI chapter 1 reference values (../shared/reference/ibsi/*.csv) and how a computed value
 * is judged against one: within the tolerance; with an empty tolerance, equal after rounding to
 * the significant digits of the reference (at least 3: the digital phantom is given to 3); with
 * an empty reference, IBSI has no consensus value and the value is only reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../../support/process';
import { Aggregation, FeatureValue } from '../../../src/radiomics/feature';
import { roundSignificant } from '../../../src/radiomics/math/rounding';
import { TEXTURE_DESCRIPTORS } from '../../../src/radiomics/texture';
import { DIGITAL_PHANTOM_MANUAL } from './digitalPhantomManual';

export const REFERENCE_DIR = join(SHARED, 'reference', 'ibsi');
export const DATA_DIR = join(SHARED, 'data');

export interface ReferenceRow {
  configuration: string;
  family: string;
  feature: string;
  code: string;
  /** null: IBSI gives no consensus value. */
  reference: number | null;
  referenceText: string;
  /** null: exact at the digits shown. */
  tolerance: number | null;
  aggregation: Aggregation | null;
}

/** Rows of one reference file; files without a configuration column count as configuration "phantom". */
export function loadReference(file: string, configuration?: string): ReferenceRow[] {
  const lines = readFileSync(join(REFERENCE_DIR, file), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0].split(',');
  const col = (name: string) => header.indexOf(name);
  const rows: ReferenceRow[] = [];
  for (const line of lines.slice(1)) {
    const c = line.split(',');
    const cfg = col('configuration') >= 0 ? c[col('configuration')] : 'phantom';
    if (configuration && cfg !== configuration) continue;
    const ref = c[col('reference')];
    const tol = c[col('tolerance')];
    // "3D merged (13 directions)" in the digital phantom file is IBSI's 3D merged.
    const agg = c[col('aggregation')].replace(/\s*\(13 directions\)$/, '');
    rows.push({
      configuration: cfg,
      family: c[col('family')],
      feature: c[col('feature')],
      code: c[col('ibsi_code')],
      reference: ref === '' ? null : Number(ref),
      referenceText: ref,
      tolerance: tol === '' ? null : Number(tol),
      aggregation: agg === '' ? null : (agg as Aggregation),
    });
  }
  return rows;
}

/**
 * The digital phantom's texture values for the aggregations the reference file leaves out (2D,
 * 2.5D, 3D averaged), from the IBSI manual's tables (digitalPhantomManual.ts), as reference rows:
 * given to 3 significant digits, no tolerance.
 */
export function digitalPhantomManualRows(): ReferenceRow[] {
  return DIGITAL_PHANTOM_MANUAL.map((r) => {
    const d = TEXTURE_DESCRIPTORS.find((x) => x.family === r.family.toLowerCase() && x.name === r.feature);
    if (!d) throw new Error(`digitalPhantomManual: no ${r.family} feature named "${r.feature}"`);
    return { configuration: 'phantom', family: r.family, feature: r.feature, code: d.code, reference: Number(r.reference), referenceText: r.reference, tolerance: null, aggregation: r.aggregation };
  });
}

function significantDigits(text: string): number {
  const mantissa = text.replace(/^[-+]/, '').split(/[eE]/)[0].replace('.', '').replace(/^0+/, '');
  return Math.max(1, mantissa.length);
}

/** 'match', or a sentence saying how the value misses the reference. */
export function judge(row: ReferenceRow, value: number): string {
  if (row.reference === null) return 'match';
  if (!Number.isFinite(value)) return `computed ${value}, reference ${row.referenceText}`;
  if (row.tolerance !== null) {
    const diff = Math.abs(value - row.reference);
    // A hair of relative slack for values that sit exactly on the tolerance edge.
    return diff <= row.tolerance * (1 + 1e-9) + 1e-12 ? 'match' : `computed ${value}, reference ${row.referenceText} ± ${row.tolerance} (off by ${diff.toPrecision(3)})`;
  }
  const digits = Math.max(3, significantDigits(row.referenceText));
  const rounded = roundSignificant(value, digits);
  return Math.abs(rounded - row.reference) <= 1e-9 * Math.max(1, Math.abs(row.reference))
    ? 'match'
    : `computed ${value} (${rounded} at ${digits} significant digits), reference ${row.referenceText}`;
}

export function findFeature(features: FeatureValue[], row: ReferenceRow): FeatureValue | undefined {
  return features.find((f) => f.code === row.code && (row.aggregation === null ? f.aggregation === undefined : f.aggregation === row.aggregation));
}

export function rowLabel(row: ReferenceRow): string {
  return `${row.code} ${row.feature}${row.aggregation ? ` [${row.aggregation}]` : ''}`;
}
