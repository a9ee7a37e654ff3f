/** The ground-truth file of `signature fit` / `validate` (pure): lesion ID, one numeric column. */
import { CsvTable } from './csv';

export class TargetError extends Error {}

/** Lesion ID → value (null when the cell is empty: that lesion has no ground truth and is left out). */
export function readTargetTable(t: CsvTable, what: string): { name: string; values: Map<string, number | null> } {
  if (t.header.length === 1) {
    throw new TargetError(`${what}: has no ground-truth column (only ${t.header[0]}); give two columns: the lesion_id of the export, then the ground truth (e.g. lesion_id,cd8b).`);
  }
  if (t.header.length !== 2) {
    throw new TargetError(`${what}: needs exactly two columns (the lesion_id of the export, then the ground truth), found ${t.header.length}: ${t.header.join(', ')}.`);
  }
  const values = new Map<string, number | null>();
  t.rows.forEach((r, k) => {
    const id = r[0].trim();
    const cell = r[1].trim();
    if (!id) throw new TargetError(`${what}: line ${k + 2} has no lesion ID.`);
    if (values.has(id)) throw new TargetError(`${what}: lesion ${id} appears twice (line ${k + 2}).`);
    const v = cell === '' || /^(na|nan)$/i.test(cell) ? null : Number(cell);
    if (v !== null && !Number.isFinite(v)) throw new TargetError(`${what}: line ${k + 2}: "${cell}" is not a number (leave the cell empty for a lesion without ground truth).`);
    values.set(id, v);
  });
  return { name: t.header[1], values };
}
