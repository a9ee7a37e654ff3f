/**
 * The study's summary page (pure: text and numbers in, drawing out): who and what, a table of the
 * lesions, a chart of the lesion scores by site with the cut-off line and the patient summary, or
 * the reason in one sentence when nothing is scored, and the research caveat. Laid out once in
 * points on a Painter, drawn on a canvas (Secondary Capture, PNG) or into the PDF.
 */
import { createCanvas } from '@napi-rs/canvas';
import { canvasPainter, Painter, Picture, pictureOf, wrapText } from './painter';
import { CLASS_COLOURS, CLASS_WORDS, PictureClass } from './palette';

export interface SummaryRow {
  cells: string[];
  cls: PictureClass;
}

export interface ChartPoint {
  site: string;
  score: number;
  cls: PictureClass;
}

export interface SummaryPageModel {
  title: string;
  /** Label and value pairs: patient name as the DICOM gives it, ID, birth date, study ... */
  identity: Array<[string, string]>;
  /** Signature and cut-off in use. */
  signature: string;
  header: string[];
  /** Relative column widths of the table. */
  columns: number[];
  rows: SummaryRow[];
  /** Scores by site (empty: nothing scored). */
  chart: { sites: string[]; points: ChartPoint[]; cutOff: number | null };
  /** The patient summary (minimum, mean, spread) or, without any score, the reason in one sentence. */
  chartNote: string;
  /** Problems of the study, each one line. */
  notes: string[];
  caveat: string;
  footer: string;
}

/** A4 landscape in points. */
export const PAGE = { width: 842, height: 595, margin: 36 };
const INK = '#000000';
const GREY = '#555555';
const RULE = '#BBBBBB';

function chart(p: Painter, m: SummaryPageModel, x: number, y: number, w: number, h: number): void {
  const label = { size: 8, colour: GREY };
  p.text('CD8 score by site', x, y, { size: 10, bold: true, colour: INK });
  const top = y + 18;
  const bottom = y + h - 30;
  const left = x + 34;
  const right = x + w;
  p.line(
    [
      [left, top],
      [left, bottom],
      [right, bottom],
    ],
    INK,
    0.75,
  );
  const values = [...m.chart.points.map((q) => q.score), ...(m.chart.cutOff === null ? [] : [m.chart.cutOff])];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.1;
  lo -= pad;
  hi += pad;
  const yOf = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    const ty = yOf(v);
    p.line(
      [
        [left - 3, ty],
        [left, ty],
      ],
      INK,
      0.5,
    );
    const txt = Number(v.toPrecision(3)).toString();
    p.text(txt, left - 5 - p.width(txt, label), ty - 4, label);
  }
  const band = (right - left) / Math.max(1, m.chart.sites.length);
  m.chart.sites.forEach((site, i) => {
    const cx = left + band * (i + 0.5);
    p.text(site, cx - p.width(site, label) / 2, bottom + 4, label);
    const points = m.chart.points.filter((q) => q.site === site);
    // Side by side within the site's band (overlapping when there are many).
    const step = points.length > 1 ? Math.min(9, (band * 0.8) / (points.length - 1)) : 0;
    points.forEach((q, j) => p.dot(cx + (j - (points.length - 1) / 2) * step, yOf(q.score), 4, CLASS_COLOURS[q.cls].css, INK));
  });
  if (m.chart.cutOff !== null) {
    const cy = yOf(m.chart.cutOff);
    p.line(
      [
        [left, cy],
        [right, cy],
      ],
      INK,
      0.75,
      [4, 3],
    );
    const txt = `cut-off ${Number(m.chart.cutOff.toPrecision(4))}`;
    p.text(txt, right - p.width(txt, label), cy - 11, label);
  }
}

/** Lays the summary page out on `p` (points, A4 landscape). */
export function layoutSummaryPage(p: Painter, m: SummaryPageModel): void {
  const { width, height, margin } = PAGE;
  const inner = width - 2 * margin;
  p.rect(0, 0, width, height, '#FFFFFF');
  let y = margin;
  p.text(m.title, margin, y, { size: 15, bold: true, colour: INK });
  y += 24;
  // Identity: label and value pairs, two per line.
  const half = inner / 2;
  m.identity.forEach(([label, value], i) => {
    const x = margin + (i % 2) * half;
    const style = { size: 10, bold: i === 0, colour: INK };
    p.text(`${label}:`, x, y, { size: 10, colour: GREY });
    // One line each: a value too long for its half of the page is cut with "…".
    const [first, ...rest] = wrapText(p, value, style, half - 84);
    p.text(rest.length ? `${first.slice(0, -1)}…` : first, x + 78, y, style);
    if (i % 2 === 1 || i === m.identity.length - 1) y += 15;
  });
  y += 2;
  for (const line of wrapText(p, m.signature, { size: 9 }, inner)) {
    p.text(line, margin, y, { size: 9, colour: INK });
    y += 12;
  }
  y += 6;

  // The table of lesions (left), the chart (right).
  const tableWidth = inner * 0.62;
  const total = m.columns.reduce((a, b) => a + b, 0);
  const xs: number[] = [];
  m.columns.forEach((_, i) => xs.push(i === 0 ? margin : xs[i - 1] + (tableWidth * m.columns[i - 1]) / total));
  const cell = { size: 8.5, colour: INK };
  const head = { size: 8.5, bold: true, colour: INK };
  const tableTop = y;
  m.header.forEach((h, i) => p.text(h, xs[i], y, head));
  y += 13;
  p.line(
    [
      [margin, y - 2],
      [margin + tableWidth, y - 2],
    ],
    RULE,
    0.75,
  );
  const classColumn = m.header.findIndex((h) => /class/i.test(h));
  for (const row of m.rows) {
    // At most three lines a cell, the third cut with "…" if more would follow.
    const lines = row.cells.map((c, i) => {
      const all = wrapText(p, c, cell, (tableWidth * m.columns[i]) / total - 6);
      return all.length > 3 ? [...all.slice(0, 2), `${all[2].slice(0, -1)}…`] : all;
    });
    const rowLines = Math.max(...lines.map((l) => l.length));
    if (y + rowLines * 11 > height - margin - 60) {
      p.text(`… ${m.rows.length - m.rows.indexOf(row)} more lesion(s): see the SR`, margin, y, cell);
      y += 11;
      break;
    }
    lines.forEach((ls, i) => {
      const x = xs[i] + (i === classColumn ? 12 : 0);
      if (i === classColumn) p.rect(xs[i], y + 1, 8, 8, CLASS_COLOURS[row.cls].css, INK);
      ls.forEach((l, k) => p.text(l, x, y + k * 11, cell));
    });
    y += rowLines * 11 + 3;
  }

  const chartX = margin + tableWidth + 24;
  const chartW = width - margin - chartX;
  let cy = tableTop;
  if (m.chart.points.length > 0) {
    chart(p, m, chartX, cy, chartW, 220);
    cy += 226;
  } else {
    p.text('CD8 score by site', chartX, cy, { size: 10, bold: true, colour: INK });
    cy += 18;
  }
  for (const line of wrapText(p, m.chartNote, { size: 9 }, chartW)) {
    p.text(line, chartX, cy, { size: 9, colour: INK });
    cy += 12;
  }
  cy += 8;
  // Legend: the three class colours with their words.
  for (const cls of ['hot', 'cold', 'not-scored'] as const) {
    p.rect(chartX, cy + 1, 8, 8, CLASS_COLOURS[cls].css, INK);
    p.text(CLASS_WORDS[cls], chartX + 12, cy, { size: 8.5, colour: INK });
    cy += 12;
  }

  y = Math.max(y, cy) + 8;
  for (const note of m.notes) {
    for (const line of wrapText(p, note, { size: 8.5 }, inner)) {
      if (y > height - margin - 36) break;
      p.text(line, margin, y, { size: 8.5, colour: '#8B0000' });
      y += 11;
    }
  }
  footerOf(p, m.caveat, m.footer);
}

/** The research caveat and the producer line at the foot of a page. */
export function footerOf(p: Painter, caveat: string, footer: string): void {
  const { width, height, margin } = PAGE;
  p.line(
    [
      [margin, height - margin - 26],
      [width - margin, height - margin - 26],
    ],
    RULE,
    0.75,
  );
  p.text(caveat, margin, height - margin - 20, { size: 9, bold: true, colour: INK });
  p.text(footer, margin, height - margin - 8, { size: 7.5, colour: GREY });
}

/** The summary page as a picture, `pxPerPoint` pixels per point (1.5 gives 1263 × 893 px). */
export function drawSummaryPage(m: SummaryPageModel, pxPerPoint = 1.5): Picture {
  const w = 2 * Math.round((PAGE.width * pxPerPoint) / 2);
  const h = 2 * Math.round((PAGE.height * pxPerPoint) / 2);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#FFFFFF';
  ctx.fillRect(0, 0, w, h);
  layoutSummaryPage(canvasPainter(ctx, pxPerPoint), m);
  return pictureOf(canvas);
}
