/** Numbers in the signature toolkit's text: the project's formatter (ops/format), 4 significant digits, trailing zeros dropped, integers as they are. */
import { significant } from '../ops/format';
import type { Estimate } from './agreement';

export function formatNumber(v: number | null | undefined, digits = 4): string {
  return significant(v, digits, { trim: true, integers: true });
}

/** "0.74 (95 % CI 0.57 to 0.86)"; without a CI (too few lesions, or perfect agreement: zero variance) it says so rather than print a CI of no width. */
export function formatEstimate(e: Estimate, digits = 3): string {
  const v = formatNumber(e.value, digits);
  return Number.isFinite(e.low) && Number.isFinite(e.high) ? `${v} (95 % CI ${formatNumber(e.low, digits)} to ${formatNumber(e.high, digits)})` : `${v} (95 % CI not estimable: too few lesions or perfect agreement)`;
}
