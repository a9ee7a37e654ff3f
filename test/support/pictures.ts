/** Reading the pictures back as a viewer would: DCMTK renders a Secondary Capture, poppler reads a PDF. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import type { KeySlice } from '../../src/imaging/keySlice';
import { imagePlacement } from '../../src/drawing/lesionPicture';
import { run } from './process';

export interface Rgb {
  width: number;
  height: number;
  at(x: number, y: number): [number, number, number];
}

export async function decodePng(png: Buffer): Promise<Rgb> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  return {
    width: image.width,
    height: image.height,
    at: (x, y) => {
      const i = 4 * (Math.round(y) * image.width + Math.round(x));
      return [data[i], data[i + 1], data[i + 2]];
    },
  };
}

/** DCMTK's dcm2pnm renders the DICOM image to PNG (as a viewer would): its pixels. */
export async function renderWithDcmtk(dicom: Buffer): Promise<Rgb> {
  const dir = mkdtempSync(join(tmpdir(), 'dcm2pnm-'));
  writeFileSync(join(dir, 'in.dcm'), dicom);
  const r = await run('dcm2pnm', ['+on', join(dir, 'in.dcm'), join(dir, 'out.png')]);
  if (r.code !== 0) throw new Error(`dcm2pnm failed (${r.code}): ${r.stderr}`);
  return decodePng(readFileSync(join(dir, 'out.png')));
}

/**
 * Two probe points of a lesion picture of `sizePx` drawn from `key`: a point on the lesion's
 * outline (the left edge of its middle row) and a point of the image far from lesion and ring,
 * away from letters, badge and scale bar.
 */
export function probes(key: KeySlice, sizePx: number): { contour: [number, number]; far: [number, number] } {
  const { pxPerMm, ox, oy } = imagePlacement(key, sizePx);
  const [sx, sy] = key.pixelSpacingMm;
  const toPicture = (x: number, y: number): [number, number] => [ox + x * sx * pxPerMm, oy + y * sy * pxPerMm];
  const rows = [...Array(key.height).keys()].filter((y) => key.lesion.subarray(y * key.width, (y + 1) * key.width).some((v) => v !== 0));
  const mid = rows[Math.floor(rows.length / 2)];
  const left = key.lesion.subarray(mid * key.width, (mid + 1) * key.width).findIndex((v) => v !== 0);
  const contour = toPicture(left, mid + 0.5);
  const clear = (x: number, y: number, r: number) => {
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= key.width || yy >= key.height || key.ringOuter[yy * key.width + xx]) return false;
      }
    return true;
  };
  for (let y = 0; y < key.height; y++)
    for (let x = 0; x < key.width; x++) {
      const [px, py] = toPicture(x + 0.5, y + 0.5);
      if (px > 70 && px < sizePx - 70 && py > 70 && py < sizePx - 70 && clear(x, y, 6)) return { contour, far: [px, py] };
    }
  throw new Error('no pixel far from the lesion in the key slice');
}

export const close = (a: readonly number[], b: readonly number[], tolerance = 40) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
export const isGrey = (p: readonly number[]) => p[0] === p[1] && p[1] === p[2];

export async function pdfText(pdf: Buffer): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pdftotext-'));
  writeFileSync(join(dir, 'in.pdf'), pdf);
  const r = await run('pdftotext', ['-enc', 'UTF-8', join(dir, 'in.pdf'), '-']);
  if (r.code !== 0) throw new Error(`pdftotext failed: ${r.stderr}`);
  return r.stdout;
}

/** pdffonts' rows: name, type and whether embedded. */
export async function pdfFonts(pdf: Buffer): Promise<Array<{ name: string; embedded: boolean }>> {
  const dir = mkdtempSync(join(tmpdir(), 'pdffonts-'));
  writeFileSync(join(dir, 'in.pdf'), pdf);
  const r = await run('pdffonts', [join(dir, 'in.pdf')]);
  if (r.code !== 0) throw new Error(`pdffonts failed: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .slice(2)
    .filter((l) => l.trim())
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      // name, type (one or two words), encoding, emb, sub, uni, object, ID
      return { name: cols[0], embedded: cols[cols.length - 5] === 'yes' };
    });
}

/** Renders every page with pdftoppm; returns the number of pages pdfinfo counts and the PNGs made. */
export async function renderPdfPages(pdf: Buffer): Promise<{ pages: number; pngs: Buffer[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'pdftoppm-'));
  writeFileSync(join(dir, 'in.pdf'), pdf);
  const info = await run('pdfinfo', [join(dir, 'in.pdf')]);
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info.stdout)?.[1]);
  const r = await run('pdftoppm', ['-r', '50', '-png', join(dir, 'in.pdf'), join(dir, 'page')]);
  if (r.code !== 0) throw new Error(`pdftoppm failed: ${r.stderr}`);
  const pngs = [...Array(pages).keys()].map((i) => readFileSync(join(dir, `page-${i + 1}.png`)));
  return { pages, pngs };
}
