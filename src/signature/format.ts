/** Numbers in the signature toolkit's text output: integers as they are, others to 4 significant digits, "–" for none. */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));
}
