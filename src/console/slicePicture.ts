/**
 * A plain picture of a lesion: its key CT slice (soft-tissue window) cropped around the lesion,
 * with the contour drawn over it. Pure drawing: values in, PNG bytes out. Stands in for the key-slice
 * pictures of the report until those land (the console takes the picture from one function).
 */
import { createCanvas } from '@napi-rs/canvas';

export interface SliceImage {
  /** Rescaled values (HU), row by row. */
  values: Float32Array;
  columns: number;
  rows: number;
}

export interface PictureOptions {
  /** Side of the square picture in pixels. */
  size?: number;
  windowCenter?: number;
  windowWidth?: number;
}

/** Square crop (in image pixels) around the contour: 2.5 × its extent, at least 64 pixels, inside the image. */
export function cropAround(points: ReadonlyArray<readonly [number, number]>, columns: number, rows: number): { x: number; y: number; side: number } {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of points) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const side = Math.min(Math.max(64, Math.ceil(2.5 * Math.max(x1 - x0, y1 - y0))), columns, rows);
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max - side, Math.round(v)));
  return { x: clamp((x0 + x1) / 2 - side / 2, columns), y: clamp((y0 + y1) / 2 - side / 2, rows), side };
}

export function drawSliceWithContour(image: SliceImage, contour: ReadonlyArray<readonly [number, number]>, options: PictureOptions = {}): Buffer {
  const size = options.size ?? 300;
  const center = options.windowCenter ?? 40;
  const width = options.windowWidth ?? 400;
  const crop = cropAround(contour, image.columns, image.rows);
  // Window the cropped slice into grey levels at its own resolution, then scale it up smoothly.
  const source = createCanvas(crop.side, crop.side);
  const sctx = source.getContext('2d');
  const grey = sctx.createImageData(crop.side, crop.side);
  const lo = center - width / 2;
  for (let y = 0; y < crop.side; y++) {
    for (let x = 0; x < crop.side; x++) {
      const v = image.values[(crop.y + y) * image.columns + crop.x + x];
      const g = Math.max(0, Math.min(255, Math.round(((v - lo) / width) * 255)));
      const o = (y * crop.side + x) * 4;
      grey.data[o] = grey.data[o + 1] = grey.data[o + 2] = g;
      grey.data[o + 3] = 255;
    }
  }
  sctx.putImageData(grey, 0, 0);
  const canvas = createCanvas(size, size);
  const ctx = canvas.getContext('2d');
  const scale = size / crop.side;
  ctx.drawImage(source, 0, 0, size, size);
  ctx.strokeStyle = '#ff3b30';
  ctx.lineWidth = 2;
  ctx.beginPath();
  contour.forEach(([x, y], i) => {
    // Pixel coordinates name pixel centres: +0.5 puts the line through them.
    const px = (x - crop.x + 0.5) * scale;
    const py = (y - crop.y + 0.5) * scale;
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.closePath();
  ctx.stroke();
  return canvas.toBuffer('image/png');
}
