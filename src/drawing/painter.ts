/**
 * What a page layout draws with, so that the summary page is laid out once and drawn both on a
 * canvas (Skia, for the Secondary Capture and the PNG) and into a PDF (pdfkit, as real text with
 * embedded fonts). Coordinates in PDF points (1/72 inch), y downwards, text positioned by the top
 * of its line.
 */
import { PngFilter } from '@napi-rs/canvas';
import type { Canvas, SKRSContext2D } from '@napi-rs/canvas';
import { canvasFont, FONT_FILES, fontRuns } from './fonts';

export interface TextStyle {
  size: number;
  bold?: boolean;
  colour?: string;
  /** A dark outline, so that light text stays legible over bright image content (canvas only). */
  halo?: boolean;
}

export interface Painter {
  text(text: string, x: number, y: number, style: TextStyle): void;
  width(text: string, style: TextStyle): number;
  rect(x: number, y: number, w: number, h: number, fill: string, stroke?: string): void;
  line(points: ReadonlyArray<readonly [number, number]>, colour: string, width: number, dash?: readonly number[]): void;
  dot(x: number, y: number, r: number, fill: string, stroke: string): void;
}

/** A painter on a 2D canvas context whose unit is `scale` pixels per point. */
export function canvasPainter(ctx: SKRSContext2D, scale: number): Painter {
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.textBaseline = 'top';
  const font = (s: TextStyle) => canvasFont(s.size, s.bold);
  return {
    text(text, x, y, style) {
      ctx.font = font(style);
      if (style.halo) {
        ctx.strokeStyle = 'rgba(0, 0, 0, 0.85)';
        ctx.lineWidth = Math.max(2, style.size / 5);
        ctx.lineJoin = 'round';
        ctx.setLineDash([]);
        ctx.strokeText(text, x, y);
      }
      ctx.fillStyle = style.colour ?? '#000000';
      ctx.fillText(text, x, y);
    },
    width(text, style) {
      ctx.font = font(style);
      return ctx.measureText(text).width;
    },
    rect(x, y, w, h, fill, stroke) {
      ctx.fillStyle = fill;
      ctx.fillRect(x, y, w, h);
      if (stroke) {
        ctx.strokeStyle = stroke;
        ctx.lineWidth = 0.75;
        ctx.setLineDash([]);
        ctx.strokeRect(x, y, w, h);
      }
    },
    line(points, colour, width, dash = []) {
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.setLineDash([...dash]);
      ctx.beginPath();
      points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.stroke();
      ctx.setLineDash([]);
    },
    dot(x, y, r, fill, stroke) {
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 0.75;
      ctx.stroke();
    },
  };
}

/** A painter on a pdfkit document; text is real text, per-character in the font that has it. */
export function pdfPainter(doc: PDFKit.PDFDocument): Painter {
  doc.registerFont('latin', FONT_FILES.latin);
  doc.registerFont('latin-bold', FONT_FILES.latinBold);
  doc.registerFont('cjk', FONT_FILES.cjk);
  doc.registerFont('cjk-bold', FONT_FILES.cjkBold);
  const runs = (text: string, style: TextStyle) => fontRuns(text).map((r) => ({ ...r, name: `${r.font}${style.bold ? '-bold' : ''}` }));
  const width = (text: string, style: TextStyle) => runs(text, style).reduce((w, r) => w + doc.font(r.name).fontSize(style.size).widthOfString(r.text), 0);
  return {
    text(text, x, y, style) {
      doc.fillColor(style.colour ?? '#000000');
      let at = x;
      for (const r of runs(text, style)) {
        doc.font(r.name).fontSize(style.size);
        // Top of the line as on the canvas: pdfkit places text by its line box, whose ascent differs per font.
        doc.text(r.text, at, y, { lineBreak: false });
        at += doc.widthOfString(r.text);
      }
    },
    width,
    rect(x, y, w, h, fill, stroke) {
      doc.rect(x, y, w, h).fill(fill);
      if (stroke) doc.rect(x, y, w, h).lineWidth(0.75).stroke(stroke);
    },
    line(points, colour, lineWidth, dash) {
      if (points.length < 2) return;
      doc.moveTo(points[0][0], points[0][1]);
      for (const [x, y] of points.slice(1)) doc.lineTo(x, y);
      if (dash && dash.length) doc.dash(dash[0], { space: dash[1] ?? dash[0] });
      doc.lineWidth(lineWidth).stroke(colour);
      doc.undash();
    },
    dot(x, y, r, fill, stroke) {
      doc.circle(x, y, r).lineWidth(0.75).fillAndStroke(fill, stroke);
    },
  };
}

/** Text longer than this is shortened with "…" before it is laid out (names and ROI names come from the sender). */
export const MAX_TEXT = 600;

/** A word wider than `maxWidth` cut into pieces that fit (character by character). */
function pieces(p: Painter, word: string, style: TextStyle, maxWidth: number): string[] {
  if (p.width(word, style) <= maxWidth) return [word];
  const out: string[] = [];
  let piece = '';
  for (const ch of word) {
    if (piece && p.width(piece + ch, style) > maxWidth) {
      out.push(piece);
      piece = '';
    }
    piece += ch;
  }
  if (piece) out.push(piece);
  return out;
}

/** Greedy word wrap to `maxWidth`; words wider than a line are cut, text beyond MAX_TEXT characters dropped. */
export function wrapText(p: Painter, text: string, style: TextStyle, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  const bounded = [...text].length > MAX_TEXT ? `${[...text].slice(0, MAX_TEXT - 1).join('')}…` : text;
  for (const word of bounded.split(/\s+/).filter(Boolean).flatMap((w) => pieces(p, w, style, maxWidth))) {
    const candidate = line ? `${line} ${word}` : word;
    if (p.width(candidate, style) <= maxWidth || !line) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** Raw RGB (3 bytes per pixel, row by row) and PNG of a canvas. */
export interface Picture {
  width: number;
  height: number;
  rgb: Uint8Array;
  png: Buffer;
}

export function pictureOf(canvas: Canvas): Picture {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  // zlib level 1 with the Paeth filter: ~8x less CPU than the default (level 6, all filters) for
  // ~10 % more bytes (measured on a 512 px key image: 6 against 47 ms, 188 against 171 kB).
  return { width, height, rgb, png: canvas.encodeSync('png', { compressionLevel: 1, filters: PngFilter.Paeth }) };
}
