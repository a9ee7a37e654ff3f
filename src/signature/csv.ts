/** CSV as research tools read it (RFC 4180: comma, quotes doubled, CRLF or LF), pure. */

export class CsvError extends Error {}

export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return fields.map(csvField).join(',');
}

export interface CsvTable {
  header: string[];
  rows: string[][];
}

/** Parses CSV text; every row must have the header's number of fields. `what` names the file in errors. */
export function parseCsv(text: string, what: string): CsvTable {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (quoted) throw new CsvError(`${what}: a quoted field is not closed before the end of the file.`);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const nonEmpty = records.filter((r) => !(r.length === 1 && r[0].trim() === ''));
  if (nonEmpty.length === 0) throw new CsvError(`${what}: the file is empty; it needs a header line and one line per lesion.`);
  const [header, ...rows] = nonEmpty;
  rows.forEach((r, k) => {
    if (r.length !== header.length) throw new CsvError(`${what}: line ${k + 2} has ${r.length} fields, the header has ${header.length}.`);
  });
  return { header: header.map((h) => h.trim()), rows };
}
