/** A lesion's key image, drawn from arrays: the contour in the class colour exactly on the mask's edge, grey CT elsewhere. */
import { directionLetter, drawLesionPicture, imagePlacement, maskOutlines, scaleBarMm, DrawableSlice } from '../../../src/drawing/lesionPicture';
import { CLASS_COLOURS, PictureClass } from '../../../src/drawing/palette';
import { fontRuns } from '../../../src/drawing/fonts';

/** A 100 × 80 slice (0.8 mm pixels): a smooth HU gradient with a disc of radius 15 px at (50, 40). */
function disc(): DrawableSlice {
  const width = 100;
  const height = 80;
  const hu = new Float32Array(width * height);
  const lesion = new Uint8Array(width * height);
  const ringOuter = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const r = Math.hypot(x + 0.5 - 50, y + 0.5 - 40);
      hu[y * width + x] = -100 + 2 * x;
      lesion[y * width + x] = r <= 15 ? 1 : 0;
      ringOuter[y * width + x] = r <= 21 ? 1 : 0;
    }
  return { width, height, hu, lesion, ringOuter, pixelSpacingMm: [0.8, 0.8], rowDirection: [1, 0, 0], columnDirection: [0, 1, 0] };
}

const at = (rgb: Uint8Array, width: number, x: number, y: number) => [...rgb.subarray(3 * (Math.round(y) * width + Math.round(x)), 3 * (Math.round(y) * width + Math.round(x)) + 3)];
const near = (a: number[], b: readonly number[], tol = 40) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

test.each(['hot', 'cold', 'not-scored'] as PictureClass[])('the %s contour lies on the mask edge in its colour; far from it the pixels are grey CT', (cls) => {
  const s = disc();
  const picture = drawLesionPicture(s, cls, { badge: cls.toUpperCase(), title: 'Lesion 1 GTV-1', lines: ['CD8 score 1.2'] }, { window: { width: 400, level: 40 }, sizePx: 512 });
  expect(picture.width).toBe(512);
  expect(picture.height % 2).toBe(0);
  expect(picture.png.subarray(1, 4).toString('latin1')).toBe('PNG');
  const { pxPerMm, ox, oy } = imagePlacement(s, 512);
  const toPicture = (x: number, y: number) => [ox + x * 0.8 * pxPerMm, oy + y * 0.8 * pxPerMm] as const;
  // The lesion's leftmost column edge at the disc's centre row: x = 35 (first inside pixel), corner between rows 40/41.
  const [lx, ly] = toPicture(35, 40.5);
  expect(near(at(picture.rgb, 512, lx, ly), CLASS_COLOURS[cls].rgb)).toBe(true);
  // Well inside the image, far from lesion and ring: grey (R = G = B).
  const [gx, gy] = toPicture(90, 10);
  const grey = at(picture.rgb, 512, gx, gy);
  expect(grey[0]).toBe(grey[1]);
  expect(grey[1]).toBe(grey[2]);
  // HU -100 + 2·90 = 80 in W400/L40: (80 - (-160)) / 400 · 255 ≈ 153.
  expect(Math.abs(grey[0] - 153)).toBeLessThanOrEqual(3);
});

test('outlines follow pixel edges: a 3 × 2 block is one rectangle; a hole is a second loop', () => {
  const block = new Uint8Array([0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  const loops = maskOutlines(block, 5, 4);
  expect(loops).toHaveLength(1);
  expect(loops[0].map((p) => p.join(',')).sort()).toEqual(['1,1', '1,3', '4,1', '4,3']);
  const ring = new Uint8Array(25).fill(1);
  ring[12] = 0;
  expect(maskOutlines(ring, 5, 5)).toHaveLength(2);
});

test('orientation letters and scale bar', () => {
  expect(directionLetter([1, 0, 0])).toBe('L');
  expect(directionLetter([-1, 0, 0])).toBe('R');
  expect(directionLetter([0, 1, 0])).toBe('P');
  expect(directionLetter([0, -0.9, 0.1])).toBe('A');
  expect(directionLetter([0, 0.2, -0.95])).toBe('F');
  expect(scaleBarMm(18)).toBe(20);
  expect(scaleBarMm(4)).toBe(5);
  expect(scaleBarMm(60)).toBe(50);
});

test('PDF text runs: kana and kanji in Noto Sans JP, everything else (Latin, Greek, Cyrillic) in DejaVu Sans', () => {
  expect(fontRuns('Yamada, Tarou = 山田 太郎 = やまだ')).toEqual([
    { font: 'latin', text: 'Yamada, Tarou = ' },
    { font: 'cjk', text: '山田 太郎 ' },
    { font: 'latin', text: '= ' },
    { font: 'cjk', text: 'やまだ' },
  ]);
  expect(fontRuns('Παπαδόπουλος Иван')).toEqual([{ font: 'latin', text: 'Παπαδόπουλος Иван' }]);
});

test('text from the sender is bounded: a 5,000-character ROI name and caption stay inside the picture and take bounded time', () => {
  const long = 'GTV_' + 'x'.repeat(5000);
  const started = Date.now();
  const picture = drawLesionPicture(disc(), 'hot', { badge: 'HOT', title: `Lesion 1 ${long}`, lines: [`ROI ${long} ${long}`] }, { window: { width: 400, level: 40 }, sizePx: 512 });
  expect(picture.width).toBe(512);
  // The caption of a 600-character line wraps to some tens of lines, not thousands.
  expect(picture.height).toBeLessThan(512 + 40 * 17 + 100);
  expect(Date.now() - started).toBeLessThan(20000);
});
