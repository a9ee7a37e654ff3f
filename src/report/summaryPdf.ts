/**
 * A minimal PDF (1.4) with a text table, written by hand: one standard font (Helvetica, not
 * embedded, WinAnsi encoding), one content stream per page, and a cross-reference table with exact
 * byte offsets. Enough for "a table of lesions and scores" without a PDF library.
 */

export interface PdfText {
  title: string;
  /** Lines above the table. */
  lines: string[];
  header: string[];
  rows: string[][];
  /** Column x positions in points from the left margin. */
  columns: number[];
  footer: string[];
}

const PAGE_W = 842; // A4 landscape, points
const PAGE_H = 595;
const MARGIN = 40;
const LINE = 14;

/** PDF literal string in WinAnsi: escape ( ) \, map what Latin-1 cannot hold to "?". */
function pdfString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    const byte = code < 0x20 ? 0x20 : code > 0xff ? 0x3f : code;
    const c = String.fromCharCode(byte);
    out += c === '(' || c === ')' || c === '\\' ? '\\' + c : c;
  }
  return `(${out})`;
}

function wrap(text: string, width: number): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if ((line + ' ' + w).trim().length > width) {
      if (line) lines.push(line);
      line = w;
    } else line = (line + ' ' + w).trim();
  }
  if (line) lines.push(line);
  return lines;
}

export function writeTablePdf(t: PdfText): Buffer {
  type Op = { x: number; size: number; text: string; bold?: boolean };
  type Placed = Op & { y: number };
  const pages: Placed[][] = [[]];
  let y = PAGE_H - MARGIN;
  const emit = (ops: Op[], height = LINE) => {
    if (y - height < MARGIN) {
      pages.push([]);
      y = PAGE_H - MARGIN;
    }
    y -= height;
    pages[pages.length - 1].push(...ops.map((o) => ({ ...o, y })));
  };
  emit([{ x: 0, size: 14, text: t.title, bold: true }], 20);
  for (const l of t.lines) for (const w of wrap(l, 140)) emit([{ x: 0, size: 9, text: w }]);
  emit([], 6);
  emit(t.header.map((h, i) => ({ x: t.columns[i], size: 9, text: h, bold: true })));
  for (const row of t.rows) emit(row.map((c, i) => ({ x: t.columns[i], size: 9, text: c })));
  emit([], 6);
  for (const l of t.footer) for (const w of wrap(l, 150)) emit([{ x: 0, size: 8, text: w }], 11);

  const objects: string[] = [];
  const add = (body: string) => objects.push(body) - 1 + 1; // object numbers start at 1
  add('<< /Type /Catalog /Pages 2 0 R >>');
  const pagesIndex = objects.push('') - 1; // filled once the kids are known
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const bold = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const page of pages) {
    const ops = page
      .map((o) => `BT /${o.bold ? 'F2' : 'F1'} ${o.size} Tf ${MARGIN + o.x} ${o.y} Td ${pdfString(o.text)} Tj ET`)
      .join('\n');
    const content = add(`<< /Length ${Buffer.byteLength(ops, 'latin1')} >>\nstream\n${ops}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] /Resources << /Font << /F1 ${font} 0 R /F2 ${bold} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objects[pagesIndex] = `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`;

  let pdf = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
