#!/usr/bin/env node
'use strict';
/**
 * How much does a lesion's result move when the input moves a little?
 *   - the contour dilated or eroded by one voxel (6-connected, in 3-D);
 *   - the CT shifted by half a voxel in x and y (trilinear resampling), the contour kept in place.
 * On the IBSI CT phantom and the two STS patients. Reports, per case and perturbation, the change
 * of the score of a complete *test* signature (the CD8 signature's coefficients are pending, so no
 * real CD8 score exists yet) and the median / 90th-percentile relative change of every radiomic
 * feature of the tumour and of the ring.
 *
 * Usage: npm run build && node scripts/robustness.js [--markdown]
 */
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const dist = (p) => require(join(ROOT, 'dist', p));
const { loadImagingStudy } = dist('imaging/load');
const { scoreStudy } = dist('cd8/scoreStudy');
const { loadScoringSetup } = dist('pipeline/setup');
const { loadMarginMm } = dist('pipeline/analyseFiles');
const { configSchema } = dist('config/schema');

const DATA = join(ROOT, '..', 'shared', 'data');
const CASES = [
  ['IBSI CT phantom', join(DATA, 'ibsi-ct-phantom/dicom/image'), join(DATA, 'ibsi-ct-phantom/dicom/mask/DCM_RS_00060.dcm')],
  ['STS_001', join(DATA, 'sts/STS_001/CT/image'), join(DATA, 'sts/STS_001/CT/mask/RS.dcm')],
  ['STS_002', join(DATA, 'sts/STS_002/CT/image'), join(DATA, 'sts/STS_002/CT/mask/RS.dcm')],
];

/** The complete test signature of the tests (real features of both regions, test coefficients). */
const TEST_SIGNATURE = join(ROOT, 'test', 'fixtures', 'complete-test-signature.json');

/** One-voxel 6-connected dilation (grow = true) or erosion of a mask. */
function morph(mask, grow) {
  const [nx, ny, nz] = mask.dims;
  const src = mask.data;
  const out = new Uint8Array(src.length);
  for (let z = 0, i = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        const n = [x > 0 ? src[i - 1] : 0, x < nx - 1 ? src[i + 1] : 0, y > 0 ? src[i - nx] : 0, y < ny - 1 ? src[i + nx] : 0, z > 0 ? src[i - nx * ny] : 0, z < nz - 1 ? src[i + nx * ny] : 0];
        out[i] = grow ? (src[i] || n.some(Boolean) ? 1 : 0) : src[i] && n.every(Boolean) ? 1 : 0;
      }
  return { ...mask, data: out };
}

/** The image moved by half a voxel along x and y (bilinear; edges repeat). */
function shiftHalfVoxel(image) {
  const [nx, ny, nz] = image.dims;
  const src = image.data;
  const out = new Float32Array(src.length);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        const x1 = Math.min(nx - 1, x + 1);
        const y1 = Math.min(ny - 1, y + 1);
        const at = (a, b) => src[a + nx * (b + ny * z)];
        out[x + nx * (y + ny * z)] = Math.round(0.25 * (at(x, y) + at(x1, y) + at(x, y1) + at(x1, y1)));
      }
  return { ...image, data: out };
}

function relativeChanges(base, other) {
  const out = [];
  for (const region of ['tumour', 'ring'])
    for (const [k, v] of Object.entries(base.features[region])) {
      const w = other.features[region][k];
      if (!Number.isFinite(v) || !Number.isFinite(w)) continue;
      const scale = Math.max(Math.abs(v), 1e-12);
      out.push(Math.abs(w - v) / scale);
    }
  return out.sort((a, b) => a - b);
}

const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))];

async function main() {
  const markdown = process.argv.includes('--markdown');
  const config = configSchema.defaultValue();
  const setup = loadScoringSetup(config, TEST_SIGNATURE);
  const run = { version: 1, cohortScores: [], analysedAt: new Date().toISOString() };
  const rows = [];
  for (const [name, ct, rtstruct] of CASES) {
    const study = await loadImagingStudy(ct, rtstruct, { rules: config.lesions, marginMm: loadMarginMm(config, setup) });
    const variant = (change) => scoreStudy({ ...study, lesions: study.lesions.map(change) }, setup, run);
    const base = scoreStudy(study, setup, run);
    const variants = {
      'contour dilated 1 voxel': variant((l) => ({ ...l, mask: morph(l.mask, true) })),
      'contour eroded 1 voxel': variant((l) => ({ ...l, mask: morph(l.mask, false) })),
      'CT shifted ½ voxel (x, y)': variant((l) => ({ ...l, ct: { ...l.ct, image: shiftHalfVoxel(l.ct.image) } })),
    };
    for (const [what, v] of Object.entries(variants)) {
      base.lesions.forEach((l, i) => {
        const o = v.lesions[i];
        const rel = relativeChanges(l, o);
        rows.push({ name, lesion: l.trackingId, what, base: l.score, score: o.score, delta: o.score - l.score, median: q(rel, 0.5), p90: q(rel, 0.9), n: rel.length, flip: l.classification !== o.classification });
      });
    }
  }
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  if (markdown) {
    console.log('| case | lesion | perturbation | test score | score change | class flips | feature change: median | 90th pct |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.name} | ${r.lesion} | ${r.what} | ${r.base.toFixed(3)} | ${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)} | ${r.flip ? 'yes' : 'no'} | ${pct(r.median)} | ${pct(r.p90)} |`);
  } else {
    for (const r of rows) console.log(`${r.name.padEnd(16)} ${r.lesion.padEnd(14)} ${r.what.padEnd(28)} score ${r.base.toFixed(3)} → ${r.score.toFixed(3)} (${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)})  features (${r.n}): median ${pct(r.median)}, p90 ${pct(r.p90)}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
