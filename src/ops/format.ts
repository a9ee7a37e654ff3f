/** How numbers are written for people (logs, CLI text, summaries): the one place for it. */

/** At most `digits` decimals, trailing zeros dropped: 1.50 → "1.5", 2.004 → "2". */
export function fixed(x: number, digits = 2): string {
  return Number(x.toFixed(digits)).toString();
}

export interface SignificantOptions {
  /** What an absent value (null, undefined; with `trim` also NaN, ±∞) reads as. Default "–". */
  missing?: string;
  /** Drop trailing zeros: 0.5000 → "0.5". */
  trim?: boolean;
  /** Integers as they are (12, not "12.00"). */
  integers?: boolean;
}

/** `digits` significant digits. */
export function significant(v: number | null | undefined, digits: number, options: SignificantOptions = {}): string {
  const missing = options.missing ?? '–';
  if (v === null || v === undefined) return missing;
  if (options.trim) return Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : missing;
  if (options.integers && Number.isInteger(v)) return String(v);
  return v.toPrecision(digits);
}
