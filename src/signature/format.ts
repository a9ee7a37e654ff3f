/** Numbers in the signature toolkit's text: the project's formatter (ops/format), 4 significant digits, trailing zeros dropped, integers as they are. */
import { significant } from '../ops/format';

export function formatNumber(v: number | null | undefined, digits = 4): string {
  return significant(v, digits, { trim: true, integers: true });
}
