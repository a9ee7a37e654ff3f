#!/usr/bin/env node
/**
 * Benchmark: loading one lesion from a large CT study decodes only the slices it needs.
 *
 *   npm run build && node scripts/bench/imaging-load.js [SLICES] [SIZE]
 *
 * Writes a synthetic study into a temporary directory (SLICES axial slices of SIZE × SIZE,
 * default 1000 × 512², 1 mm apart, built from the header of sts/STS_001) and an RTSTRUCT with
 * one 30-slice spherical lesion, then times `loadImagingStudy` and prints the decoded slice
 * count, the size of the volume kept and the peak resident memory, next to what the whole series
 * would have needed as Float32. Figures depend on the machine and on what else runs on it.
 */
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const dcmjs = require('dcmjs');
const { loadImagingStudy } = require('../../dist/imaging/load');

const SLICES = Number(process.argv[2] ?? 1000);
const SIZE = Number(process.argv[3] ?? 512);
const DATA = join(__dirname, '..', '..', '..', 'shared', 'data', 'sts', 'STS_001', 'CT');

function read(path) {
  const b = readFileSync(path);
  return dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function writeStudy(dir) {
  const base = read(join(DATA, 'image', '000000.dcm'));
  const pixels = new Int16Array(SIZE * SIZE);
  for (let j = 0; j < SIZE; j++) for (let i = 0; i < SIZE; i++) pixels[j * SIZE + i] = -1000 + ((i * 7 + j * 13) % 1400);
  const root = '1.2.826.0.1.3680043.8.498.77';
  for (let k = 0; k < SLICES; k++) {
    const uid = `${root}.${k + 1}`;
    const out = new dcmjs.data.DicomDict({ ...base.meta, '00020003': { vr: 'UI', Value: [uid] } });
    out.dict = {
      ...base.dict,
      '00080018': { vr: 'UI', Value: [uid] },
      '00200013': { vr: 'IS', Value: [k + 1] },
      '00200032': { vr: 'DS', Value: [-250, -250, -500 + k] },
      '00201041': { vr: 'DS', Value: [-500 + k] },
      '00180050': { vr: 'DS', Value: [1] },
      '00280010': { vr: 'US', Value: [SIZE] },
      '00280011': { vr: 'US', Value: [SIZE] },
      '7FE00010': { vr: 'OW', Value: [pixels.buffer] },
    };
    writeFileSync(join(dir, `ct-${String(k).padStart(4, '0')}.dcm`), Buffer.from(out.write()));
  }
  // RTSTRUCT: the STS_001 one, with its GTV replaced by a 30 mm sphere in the middle of the study.
  const rs = read(join(DATA, 'mask', 'RS.dcm'));
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(rs.dict);
  const centreZ = -500 + Math.floor(SLICES / 2);
  const contours = [];
  for (let dz = -14; dz <= 14; dz++) {
    const r = Math.sqrt(15 * 15 - dz * dz);
    const pts = [];
    for (let a = 0; a < 64; a++) pts.push(r * Math.cos((a / 64) * 2 * Math.PI), r * Math.sin((a / 64) * 2 * Math.PI), centreZ + dz);
    contours.push({ _vrMap: {}, ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: 64, ContourData: pts.map((v) => Number(v.toFixed(3))) });
  }
  ds.ROIContourSequence = [{ _vrMap: {}, ReferencedROINumber: 1, ROIDisplayColor: [255, 0, 0], ContourSequence: contours }];
  const out = new dcmjs.data.DicomDict(rs.meta);
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  const rsPath = join(dir, 'RS.dcm');
  writeFileSync(rsPath, Buffer.from(out.write()));
  return rsPath;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-bench-imaging-'));
  try {
    let t = Date.now();
    dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
    const rs = writeStudy(dir);
    console.log(`wrote ${SLICES} slices of ${SIZE} × ${SIZE} in ${((Date.now() - t) / 1000).toFixed(1)} s (${dir})`);
    const rssBefore = process.memoryUsage().rss;
    t = Date.now();
    const rules = { includeTypes: ['GTV'], excludeTypes: [], includeNames: ['^gtv'], excludeNames: [], defaultSite: 'unknown' };
    const study = await loadImagingStudy(dir, rs, { rules, marginMm: 20 });
    const ms = Date.now() - t;
    const kept = study.volumes.reduce((n, v) => n + v.image.data.byteLength, 0);
    const whole = SLICES * SIZE * SIZE * 4;
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(`loadImagingStudy: ${ms} ms; decoded ${study.decodedSlices} of ${SLICES} slices; lesion ${study.lesions[0].summary.volumeMl.toFixed(1)} ml on ${study.lesions[0].summary.slicesSpanned} slices`);
    console.log(`HU volume kept: ${(kept / 2 ** 20).toFixed(1)} MiB (whole series as Float32: ${(whole / 2 ** 20).toFixed(0)} MiB)`);
    console.log(`resident memory: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before loading, peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
