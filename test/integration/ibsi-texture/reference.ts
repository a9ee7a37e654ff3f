/**
 * IBSI chapter 1 reference values (../shared/reference/ibsi/*.csv) and the comparison rule of
 * their README: within the tolerance when one is given; otherwise equal after rounding to the
 * significant digits written (at least 3: the digital phantom values are given to 3).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aggregation } from '../../../src/radiomics/feature';
import { SHARED } from '../../support/process';

export interface ReferenceRow {
  configuration: string;
  family: string;
  feature: string;
  code: string;
  /** As written in the file. */
  reference: string;
  tolerance: string;
  aggregation: Aggregation;
}

const TEXTURE = new Set(['GLCM', 'GLRLM', 'GLSZM', 'GLDZM', 'NGTDM', 'NGLDM']);

/** The file's aggregation names, mapped to ours ("3D merged (13 directions)" → "3D merged"). */
function aggregationOf(name: string): Aggregation {
  return name.replace(/ \(13 directions\)$/, '') as Aggregation;
}

export function textureReferenceRows(file: string, configuration?: string): ReferenceRow[] {
  const lines = readFileSync(join(SHARED, 'reference', 'ibsi', file), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const col = (name: string) => header.indexOf(name);
  return lines
    .slice(1)
    .map((line) => line.split(','))
    .map((c) => ({
      configuration: col('configuration') >= 0 ? c[col('configuration')] : 'digital phantom',
      family: c[col('family')],
      feature: c[col('feature')],
      code: c[col('ibsi_code')],
      reference: c[col('reference')],
      tolerance: c[col('tolerance')],
      aggregation: aggregationOf(c[col('aggregation')]),
    }))
    .filter((r) => TEXTURE.has(r.family) && (configuration === undefined || r.configuration === configuration));
}

function significantDigits(written: string): number {
  const mantissa = written.toLowerCase().split('e')[0].replace('-', '').replace('.', '').replace(/^0+/, '');
  return Math.max(mantissa.length, 1);
}

/** The largest difference the reference allows. */
export function allowedDifference(row: Pick<ReferenceRow, 'reference' | 'tolerance'>): number {
  if (row.tolerance !== '') return Number(row.tolerance);
  const ref = Number(row.reference);
  if (ref === 0) return 1e-9;
  const digits = Math.max(3, significantDigits(row.reference));
  const lastPlace = 10 ** (Math.floor(Math.log10(Math.abs(ref))) - digits + 1);
  return lastPlace / 2 + Math.abs(ref) * 1e-12;
}

export function matches(row: Pick<ReferenceRow, 'reference' | 'tolerance'>, value: number): boolean {
  return Number.isFinite(value) && Math.abs(value - Number(row.reference)) <= allowedDifference(row);
}
