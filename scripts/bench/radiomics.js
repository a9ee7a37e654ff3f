#!/usr/bin/env node
'use strict';
/**
 * Radiomics benchmark (run `npm run bench:radiomics`, which builds first).
 *
 *   1. The CD8 feature set (config/radiomics/cd8.json): tumour + peritumoral ring of GTV-1 of
 *      the IBSI CT phantom, resampled to 1 mm isotropic. Target: < 1 s per lesion on one core.
 *   2. The full IBSI feature set of configuration C (2 mm, every family) for the same lesion.
 *   3. How the CD8 set's time grows with lesion size: synthetic spheres of 1, 10 and 100 ml in a
 *      textured CT-like image (0.8 × 0.8 × 2.5 mm voxels).
 *
 * Prints time per lesion and voxels per second (voxels of the regions on the feature grid).
 * Node runs this on one thread. Figures taken while other work shares the machine are noisy.
 */
const { join } = require('node:path');
const { cpus } = require('node:os');
const ROOT = join(__dirname, '..', '..');
const SHARED = join(ROOT, '..', 'shared');
const { readNifti } = require(join(ROOT, 'dist', 'io', 'nifti'));
const { extractFeatures, extractRegions } = require(join(ROOT, 'dist', 'radiomics', 'extract'));
const { loadRadiomicsSettings } = require(join(ROOT, 'dist', 'radiomics', 'settings'));

const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);

function phantom() {
  const dir = join(SHARED, 'data', 'ibsi-ct-phantom', 'nifti');
  const image = readNifti(join(dir, 'image', 'phantom.nii.gz'));
  for (let i = 0; i < image.data.length; i++) image.data[i] = Math.round(image.data[i]);
  const m = readNifti(join(dir, 'mask', 'mask.nii.gz'));
  return { image, mask: { dims: m.dims, spacing: m.spacing, origin: m.origin, data: Uint8Array.from(m.data, (v) => (v > 0.5 ? 1 : 0)) } };
}

/** Median wall time (ms) of `repeats` runs after one warm-up run; returns the last result too. */
function time(fn, repeats = REPEATS) {
  let result = fn();
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t = process.hrtime.bigint();
    result = fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], result };
}

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}

/** A CT-like image: soft tissue with smooth texture and noise, and a sphere of `ml` at its centre. */
function sphereCase(ml) {
  const spacing = [0.8, 0.8, 2.5];
  const radius = Math.cbrt((3 * ml * 1000) / (4 * Math.PI));
  const half = radius + 25; // room for the ring and the local-intensity sphere
  const dims = spacing.map((s) => 2 * Math.ceil(half / s) + 1);
  const random = rng(42);
  const n = dims[0] * dims[1] * dims[2];
  const data = new Float32Array(n);
  const mask = new Uint8Array(n);
  const c = dims.map((d, i) => ((d - 1) * spacing[i]) / 2);
  for (let z = 0, i = 0; z < dims[2]; z++)
    for (let y = 0; y < dims[1]; y++)
      for (let x = 0; x < dims[0]; x++, i++) {
        const p = [x * spacing[0] - c[0], y * spacing[1] - c[1], z * spacing[2] - c[2]];
        const r = Math.hypot(p[0], p[1], p[2]);
        const inside = r <= radius;
        const base = inside ? 60 : 30;
        data[i] = Math.round(base + 15 * Math.sin(p[0] / 3) * Math.cos(p[1] / 4) + 20 * (random() - 0.5));
        mask[i] = inside ? 1 : 0;
      }
  return { image: { dims, spacing, origin: [0, 0, 0], data }, mask: { dims, spacing, origin: [0, 0, 0], data: mask } };
}

const fmt = (x, digits = 0) => x.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(title, ms, voxels, timings) {
  console.log(`${title}: ${fmt(ms)} ms per lesion, ${fmt(voxels)} voxels, ${fmt((voxels / ms) * 1000)} voxels/s`);
  if (timings) {
    const parts = Object.entries(timings).map(([k, v]) => `${k} ${fmt(v)}`);
    console.log(`  breakdown (ms, last run): ${parts.join(', ')}`);
  }
}

function main() {
  console.log(`Radiomics benchmark — Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs; one is used)`);
  console.log(`Median of ${REPEATS} runs after a warm-up.`);
  console.log('');
  const { image, mask } = phantom();
  const cd8 = loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', 'cd8.json'));
  const c = loadRadiomicsSettings(join(ROOT, 'config', 'radiomics', 'ibsi-config-c.json'));

  const run1 = time(() => extractRegions(image, mask, cd8, ['roi', 'ring']));
  const roi = run1.result.roi.diagnostics;
  const ring = run1.result.ring.diagnostics;
  const sum = (a, b) => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (a[k] ?? 0) + (k.startsWith('interpolate') ? 0 : b[k] ?? 0)]));
  report(`1. CD8 set, GTV-1 at 1 mm (tumour ${fmt(roi.voxels.morphological)} + ring ${fmt(ring.voxels.morphological)} voxels)`, run1.ms, roi.voxels.morphological + ring.voxels.morphological, sum(roi.timingsMs, ring.timingsMs));
  console.log(`  features: ${run1.result.roi.features.length} tumour + ${run1.result.ring.features.length} ring; target < 1000 ms per lesion: ${run1.ms < 1000 ? 'met' : 'NOT met'}`);

  const run2 = time(() => extractFeatures(image, mask, c));
  report(`2. Full IBSI set, configuration C (2 mm, ${run2.result.features.length} features)`, run2.ms, run2.result.diagnostics.voxels.morphological, run2.result.diagnostics.timingsMs);

  console.log('');
  console.log('3. CD8 set (tumour + ring) against lesion size, synthetic spheres:');
  const rows = [];
  for (const ml of [1, 10, 100]) {
    const s = sphereCase(ml);
    const r = time(() => extractRegions(s.image, s.mask, cd8, ['roi', 'ring']));
    const voxels = r.result.roi.diagnostics.voxels.morphological + r.result.ring.diagnostics.voxels.morphological;
    rows.push({ ml, ms: r.ms, voxels });
    console.log(`   ${String(ml).padStart(3)} ml: ${fmt(r.ms).padStart(6)} ms per lesion, ${fmt(voxels).padStart(9)} voxels at 1 mm, ${fmt((voxels / r.ms) * 1000).padStart(10)} voxels/s`);
  }
  const slope = Math.log(rows[2].ms / rows[0].ms) / Math.log(100);
  console.log(`   time grows as volume^${slope.toFixed(2)} between 1 and 100 ml.`);
}

main();
