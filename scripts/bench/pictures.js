#!/usr/bin/env node
'use strict';
/**
 * Pictures benchmark (run `npm run bench:pictures`, which builds first).
 *
 * The IBSI CT phantom is analysed once (complete test signature, so the lesion has a class); then,
 * BENCH_REPEATS times after BENCH_WARMUP warm-up runs (a node draws pictures in a worker that has
 * already drawn, so warm figures are the ones that count; the first, cold run is printed too):
 *   - one lesion's key image (draw + PNG encode), target < 50 ms;
 *   - the summary page (draw + PNG encode), target < 300 ms;
 *   - the PDF (summary page and the lesion's page, fonts subset and embedded);
 *   - wrapping the pictures as DICOM Secondary Captures (Part 10 bytes).
 * Prints wall time (median and fastest) and the median CPU time of this thread's process; on a
 * busy machine the fastest run is the least disturbed. For scale, the same run times DCMTK's dcm2pnm rendering the lesion's Secondary Capture to PNG
 * (a process per image, as a viewer's export would) and prints our key image against it.
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir, loadavg, cpus } = require('node:os');
const { join } = require('node:path');
const ROOT = join(__dirname, '..', '..');
const SHARED = join(ROOT, '..', 'shared');
const { loadConfig } = require(join(ROOT, 'dist', 'config', 'load'));
const { loadScoringSetup } = require(join(ROOT, 'dist', 'pipeline', 'setup'));
const { analyseStudyFiles } = require(join(ROOT, 'dist', 'pipeline', 'analyseFiles'));
const { renderStudyPictures, lesionCaption, pictureClass, summaryPageModel } = require(join(ROOT, 'dist', 'report', 'pictures'));
const { drawLesionPicture } = require(join(ROOT, 'dist', 'drawing', 'lesionPicture'));
const { drawSummaryPage } = require(join(ROOT, 'dist', 'drawing', 'summaryPage'));
const { writeResultPdf } = require(join(ROOT, 'dist', 'drawing', 'pdf'));
const { buildSecondaryCaptures } = require(join(ROOT, 'dist', 'report', 'pictureObjects'));

const REPEATS = Number(process.env.BENCH_REPEATS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function timed(label, f) {
  let t = process.hrtime.bigint();
  await f();
  const cold = ms(t);
  for (let i = 0; i < WARMUP; i++) await f();
  const runs = [];
  const cpu = [];
  for (let i = 0; i < REPEATS; i++) {
    const c = process.cpuUsage();
    t = process.hrtime.bigint();
    await f();
    runs.push(ms(t));
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const result = { label, cold, median: median(runs), fastest: Math.min(...runs), cpu: median(cpu) };
  console.log(
    `${label.padEnd(34)} median ${result.median.toFixed(1).padStart(7)} ms   fastest ${result.fastest.toFixed(1).padStart(7)} ms   CPU ${result.cpu.toFixed(1).padStart(7)} ms   first (cold) ${cold.toFixed(1).padStart(7)} ms`,
  );
  return result;
}

(async () => {
  console.log(`node ${process.version}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${REPEATS} runs after ${WARMUP} warm-up`);
  const phantom = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
  const config = loadConfig(null, {}).config;
  const setup = loadScoringSetup(config, join(ROOT, 'test', 'fixtures', 'complete-test-signature.json'));
  const { analysis, keySlices } = await analyseStudyFiles(join(phantom, 'image'), join(phantom, 'mask', 'DCM_RS_00060.dcm'), config, setup, {
    version: 1,
    cohortScores: [],
    analysedAt: new Date().toISOString(),
  });
  const lesion = analysis.lesions[0];
  const key = keySlices[0];
  const options = { ...config.report.pictures, ringOuterMm: setup.radiomics.ring.outerMm };
  const window = config.report.pictures.softTissueWindow;
  console.log(`lesion ${lesion.trackingId}: ${lesion.classification ?? 'not scored'}, key slice ${key.width} x ${key.height} pixels, picture ${config.report.pictures.sizePx} px wide`);

  const one = await timed('key image of one lesion', () => drawLesionPicture(key, pictureClass(lesion), lesionCaption(lesion, analysis, key, window, options.ringOuterMm), { window, sizePx: options.sizePx }));
  const page = await timed('summary page', () => drawSummaryPage(summaryPageModel(analysis)));
  const pictures = await renderStudyPictures(analysis, keySlices, options, false);
  const model = summaryPageModel(analysis);
  await timed('PDF (summary + 1 lesion page)', () =>
    writeResultPdf(model, pictures.lesions.map((l) => ({ title: l.caption.title, lines: l.caption.lines, png: l.png, width: l.width, height: l.height })), {
      title: 'CD8',
      createdAt: new Date(analysis.analysedAt),
      producer: 'bench',
    }),
  );
  const sc = buildSecondaryCaptures(analysis, pictures, { seriesNumber: 9902 });
  await timed('Secondary Captures (Part 10 bytes)', () => buildSecondaryCaptures(analysis, pictures, { seriesNumber: 9902 }));

  const dir = mkdtempSync(join(tmpdir(), 'bench-pictures-'));
  writeFileSync(join(dir, 'sc.dcm'), sc[0].bytes);
  const dcmtk = await timed('DCMTK dcm2pnm of the key image SC', () => execFileSync('dcm2pnm', ['+on', join(dir, 'sc.dcm'), join(dir, 'out.png')]));
  console.log('');
  // The fastest run is the least disturbed by other work on the machine: the targets are judged on it.
  console.log(`key image: fastest ${one.fastest.toFixed(1)} ms, median ${one.median.toFixed(1)} ms (target < 50 ms: ${one.fastest < 50 ? 'met' : 'NOT met'}); ${(one.median / dcmtk.median).toFixed(2)}x DCMTK dcm2pnm rendering the same picture (median)`);
  console.log(`summary page: fastest ${page.fastest.toFixed(1)} ms, median ${page.median.toFixed(1)} ms (target < 300 ms: ${page.fastest < 300 ? 'met' : 'NOT met'})`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
