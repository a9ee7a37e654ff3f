/**
 * One lesion's key image (pure: arrays in, pixels out): the CT slice windowed to grey, cropped
 * around the lesion and scaled so that it fills `sizePx`, the lesion's mask outlined in its class
 * colour (the outline follows the mask's pixel edges, so it is exactly the region the features
 * used), the peritumoral ring's outer edge dashed, a scale bar, orientation letters and a caption
 * with the class in words.
 */
import { createCanvas } from '@napi-rs/canvas';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { canvasPainter, Picture, pictureOf, wrapText } from './painter';
import { BACKGROUND, CLASS_COLOURS, MUTED, PictureClass, RING_COLOUR, TEXT } from './palette';

type Vec3 = readonly [number, number, number];

/** The slice to draw (see imaging/keySlice.ts). */
export interface DrawableSlice {
  width: number;
  height: number;
  hu: Float32Array;
  lesion: Uint8Array;
  ringOuter: Uint8Array;
  pixelSpacingMm: readonly [number, number];
  rowDirection: Vec3;
  columnDirection: Vec3;
}

export interface CtWindow {
  width: number;
  level: number;
}

export interface LesionPictureText {
  /** The class in words, on a badge of the class colour (e.g. "HOT (CD8-inflamed)"). */
  badge: string;
  /** First caption line, bold: lesion and ROI name. */
  title: string;
  /** Further caption lines (site, volume, score and cut-off or the reason, flags, caveat). */
  lines: string[];
}

export interface LesionPictureOptions {
  window: CtWindow;
  /** Width of the picture and side of the image square, pixels. */
  sizePx: number;
}

/** Patient direction letter of a unit vector (LPS: +x left, +y posterior, +z head). */
export function directionLetter(v: Vec3): string {
  const letters: Array<[string, string]> = [
    ['L', 'R'],
    ['P', 'A'],
    ['H', 'F'],
  ];
  const axis = [0, 1, 2].reduce((a, b) => (Math.abs(v[b]) > Math.abs(v[a]) ? b : a));
  return v[axis] >= 0 ? letters[axis][0] : letters[axis][1];
}

/**
 * Closed outlines of a mask, as polygons of pixel corners (x, y): the edges between inside and
 * outside pixels chained into loops, straight runs merged.
 */
export function maskOutlines(mask: Uint8Array, width: number, height: number): Array<Array<[number, number]>> {
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  const key = (x: number, y: number) => y * (width + 1) + x;
  // Directed edges with the inside on the right (clockwise on screen), keyed by their start corner.
  const next = new Map<number, number[]>();
  const add = (x0: number, y0: number, x1: number, y1: number) => {
    const k = key(x0, y0);
    const list = next.get(k);
    if (list) list.push(key(x1, y1));
    else next.set(k, [key(x1, y1)]);
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!inside(x, y)) continue;
      if (!inside(x, y - 1)) add(x, y, x + 1, y);
      if (!inside(x + 1, y)) add(x + 1, y, x + 1, y + 1);
      if (!inside(x, y + 1)) add(x + 1, y + 1, x, y + 1);
      if (!inside(x - 1, y)) add(x, y + 1, x, y);
    }
  const loops: Array<Array<[number, number]>> = [];
  for (const start of [...next.keys()]) {
    while (next.get(start)?.length) {
      const loop: Array<[number, number]> = [];
      let at = start;
      for (;;) {
        const outs = next.get(at);
        if (!outs || outs.length === 0) break;
        const to = outs.pop()!;
        if (outs.length === 0) next.delete(at);
        loop.push([at % (width + 1), Math.floor(at / (width + 1))]);
        at = to;
        if (at === start) break;
      }
      loops.push(simplify(loop));
    }
  }
  return loops;
}

/** Drops corners that lie on a straight run. */
function simplify(loop: Array<[number, number]>): Array<[number, number]> {
  const n = loop.length;
  return loop.filter((p, i) => {
    const a = loop[(i + n - 1) % n];
    const b = loop[(i + 1) % n];
    return (p[0] - a[0]) * (b[1] - p[1]) - (p[1] - a[1]) * (b[0] - p[0]) !== 0;
  });
}

/** A round length (mm) for a scale bar about `targetMm` long. */
export function scaleBarMm(targetMm: number): number {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200];
  return steps.reduce((best, s) => (Math.abs(s - targetMm) < Math.abs(best - targetMm) ? s : best));
}

function greyImage(ctx: SKRSContext2D, s: DrawableSlice, w: CtWindow) {
  const image = ctx.createImageData(s.width, s.height);
  const lo = w.level - w.width / 2;
  for (let i = 0; i < s.hu.length; i++) {
    const g = Math.max(0, Math.min(255, Math.round(((s.hu[i] - lo) / w.width) * 255)));
    image.data[4 * i] = g;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  }
  return image;
}

/**
 * Where the slice lands in a picture of `sizePx`: scaled to fill the square with square
 * millimetres, centred. Slice pixel corner (x, y) is at (ox + x·Δx·pxPerMm, oy + y·Δy·pxPerMm).
 */
export function imagePlacement(s: Pick<DrawableSlice, 'width' | 'height' | 'pixelSpacingMm'>, sizePx: number): { pxPerMm: number; ox: number; oy: number } {
  const [sx, sy] = s.pixelSpacingMm;
  const pxPerMm = sizePx / Math.max(s.width * sx, s.height * sy);
  return { pxPerMm, ox: (sizePx - s.width * sx * pxPerMm) / 2, oy: (sizePx - s.height * sy * pxPerMm) / 2 };
}

export function drawLesionPicture(s: DrawableSlice, cls: PictureClass, text: LesionPictureText, o: LesionPictureOptions): Picture {
  const size = o.sizePx;
  const u = size / 512; // layout unit: sizes below are for a 512 px picture
  const captionSize = 13 * u;
  const lineHeight = 17 * u;
  const margin = 10 * u;

  // Caption height first (it sets the canvas height).
  const measure = canvasPainter(createCanvas(1, 1).getContext('2d'), 1);
  const captionLines = text.lines.flatMap((l) => wrapText(measure, l, { size: captionSize }, size - 2 * margin));
  const height = 2 * Math.ceil((size + margin + lineHeight * (2 + captionLines.length) + margin) / 2);
  const canvas = createCanvas(size, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, size, height);

  const [sx, sy] = s.pixelSpacingMm;
  const { pxPerMm, ox, oy } = imagePlacement(s, size);
  const dw = s.width * sx * pxPerMm;
  const dh = s.height * sy * pxPerMm;
  const slice = createCanvas(s.width, s.height);
  slice.getContext('2d').putImageData(greyImage(slice.getContext('2d'), s, o.window), 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(slice, ox, oy, dw, dh);

  const toCanvas = ([x, y]: readonly [number, number]): [number, number] => [ox + x * sx * pxPerMm, oy + y * sy * pxPerMm];
  const p = canvasPainter(ctx, 1);
  for (const loop of maskOutlines(s.ringOuter, s.width, s.height)) p.line([...loop, loop[0]].map(toCanvas), RING_COLOUR, 1.5 * u, [6 * u, 5 * u]);
  const colour = CLASS_COLOURS[cls].css;
  for (const loop of maskOutlines(s.lesion, s.width, s.height)) p.line([...loop, loop[0]].map(toCanvas), colour, 2.5 * u);

  // Orientation letters at the middle of each edge; a scale bar bottom right.
  const letter = { size: 16 * u, bold: true, colour: TEXT, halo: true };
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  const left = directionLetter(neg(s.rowDirection));
  const right = directionLetter(s.rowDirection);
  const top = directionLetter(neg(s.columnDirection));
  const bottom = directionLetter(s.columnDirection);
  p.text(left, margin, size / 2 - 8 * u, letter);
  p.text(right, size - margin - p.width(right, letter), size / 2 - 8 * u, letter);
  p.text(top, size / 2 - p.width(top, letter) / 2, margin, letter);
  p.text(bottom, size / 2 - p.width(bottom, letter) / 2, size - margin - 16 * u, letter);
  const barMm = scaleBarMm((size * 0.2) / pxPerMm);
  const barPx = barMm * pxPerMm;
  const barY = size - margin - 4 * u;
  p.rect(size - margin - barPx - 1, barY - 1, barPx + 2, 3 * u + 2, '#000000');
  p.rect(size - margin - barPx, barY, barPx, 3 * u, TEXT);
  const barLabel = `${barMm} mm`;
  const small = { size: 12 * u, colour: TEXT, halo: true };
  p.text(barLabel, size - margin - barPx / 2 - p.width(barLabel, small) / 2, barY - 16 * u, small);

  // The class in words, in its colour, top left.
  const badge = { size: 14 * u, bold: true, colour: '#000000' };
  const words = text.badge;
  p.rect(margin, margin, p.width(words, badge) + 10 * u, 20 * u, colour);
  p.text(words, margin + 5 * u, margin + 3 * u, badge);

  // Caption under the image.
  let y = size + margin;
  const titleStyle = { size: 15 * u, bold: true, colour: TEXT };
  p.text(wrapText(p, text.title, titleStyle, size - 2 * margin)[0], margin, y, titleStyle);
  y += lineHeight * 1.4;
  for (const line of captionLines) {
    p.text(line, margin, y, { size: captionSize, colour: MUTED });
    y += lineHeight;
  }
  return pictureOf(canvas);
}
