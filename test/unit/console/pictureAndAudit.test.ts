import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { cropAround, drawSliceWithContour } from '../../../src/console/slicePicture';
import { searchAuditTrail, AUDIT_SEARCH_MAX_RESULTS } from '../../../src/ops/auditSearch';
import { featuresCsv } from '../../../src/console/features';
import type { LesionResult } from '../../../src/results/types';

describe('plain lesion picture', () => {
  it('crops a square around the contour inside the image and draws the contour in red over the windowed slice', async () => {
    const columns = 128;
    const rows = 96;
    const values = new Float32Array(columns * rows).fill(-1000);
    // A soft-tissue disc (40 HU) at (60, 50), radius 10.
    for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) if ((x - 60) ** 2 + (y - 50) ** 2 <= 100) values[y * columns + x] = 40;
    const contour = Array.from({ length: 32 }, (_, i): [number, number] => [60 + 10 * Math.cos((i / 32) * 2 * Math.PI), 50 + 10 * Math.sin((i / 32) * 2 * Math.PI)]);
    expect(cropAround(contour, columns, rows)).toEqual({ x: 28, y: 18, side: 64 });
    // Near the border, the crop stays inside the image.
    expect(cropAround([[2, 2], [5, 5]], columns, rows)).toEqual({ x: 0, y: 0, side: 64 });

    const png = drawSliceWithContour({ values, columns, rows }, contour, { size: 200 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const img = await loadImage(png);
    expect([img.width, img.height]).toEqual([200, 200]);
    const ctx = createCanvas(200, 200).getContext('2d');
    ctx.drawImage(img, 0, 0);
    const px = (x: number, y: number) => Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
    // Centre of the disc: mid grey (40 HU is the window centre); air: black; on the contour: red.
    const [r, g, b] = px(100, 100);
    expect(Math.abs(r - 128)).toBeLessThan(8);
    expect([g, b]).toEqual([r, r]);
    expect(px(5, 5)).toEqual([0, 0, 0]);
    const edge = px(Math.round((70 - 28 + 0.5) * (200 / 64)), Math.round((50 - 18 + 0.5) * (200 / 64)));
    expect(edge[0]).toBeGreaterThan(200);
    expect(edge[1]).toBeLessThan(120);
  });
});

describe('audit trail search', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-audit-search-'));
  const file = join(dir, 'audit.log');
  const lines = [
    { time: '2026-12-06T10:00:00.000Z', event: 'association.accepted', callingAeTitle: 'PACS_A', calledAeTitle: 'CD8NODE' },
    { time: '2026-12-07T09:00:00.000Z', event: 'instance.stored', callingAeTitle: 'PACS_A', studyInstanceUid: '1.2.3.4' },
    { time: '2026-12-07T09:01:00.000Z', event: 'instance.stored', callingAeTitle: 'MODALITY', studyInstanceUid: '1.2.3.5' },
  ];
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n');

  it('filters by day, AE title and study, newest first, skipping lines that are not events', async () => {
    expect((await searchAuditTrail(file, { date: '2026-12-07' })).events.map((e) => e.studyInstanceUid)).toEqual(['1.2.3.5', '1.2.3.4']);
    expect((await searchAuditTrail(file, { aeTitle: 'pacs_a' })).events.map((e) => e.event)).toEqual(['instance.stored', 'association.accepted']);
    expect((await searchAuditTrail(file, { study: '1.2.3.5' })).events).toHaveLength(1);
    expect((await searchAuditTrail(join(dir, 'missing.log'), {})).events).toEqual([]);
  });

  it('reads only the end of a large file and returns a bounded number of events', async () => {
    const big = join(dir, 'big.log');
    const line = JSON.stringify({ time: '2026-12-07T09:00:00.000Z', event: 'echo.received', callingAeTitle: 'X' });
    writeFileSync(big, (line + '\n').repeat(5000));
    const r = await searchAuditTrail(big, { limit: 1_000_000 }, 100 * line.length);
    expect(r.truncated).toBe(true);
    expect(r.events.length).toBeLessThan(100);
    expect((await searchAuditTrail(big, { limit: 1_000_000 })).events).toHaveLength(AUDIT_SEARCH_MAX_RESULTS);
  });
});

describe('features CSV', () => {
  it('names every feature by IBSI and keeps a spreadsheet from reading an ROI name as a formula', () => {
    const lesion = { trackingId: '1 =HYPERLINK("x")', roiNumber: 1, roiName: '=HYPERLINK("x")', features: { tumour: { stat_mean: 40, 'cm_contrast[3D merged]': 7.5 }, ring: { stat_mean: NaN } } } as unknown as LesionResult;
    const csv = featuresCsv([lesion]).split('\r\n');
    expect(csv[1]).toBe('"1 =HYPERLINK(""x"")",1,"\'=HYPERLINK(""x"")",tumour,intensity_statistics,Mean intensity,stat_mean,Q4LE,,,40');
    expect(csv[2]).toBe('"1 =HYPERLINK(""x"")",1,"\'=HYPERLINK(""x"")",tumour,glcm,Contrast,cm_contrast,ACUI,3D merged,IAZD,7.5');
    expect(csv[3]).toMatch(/,ring,.*,stat_mean,Q4LE,,,$/);
  });
});
