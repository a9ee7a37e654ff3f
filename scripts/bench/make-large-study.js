#!/usr/bin/env node
'use strict';
/**
 * Builds a large synthetic CT study from the IBSI CT phantom, for the end-to-end memory benchmark
 * (scripts/bench/e2e --large):
 *
 *   npm run build && node scripts/bench/make-large-study.js OUT_DIR [--slices 1000] [--size 512] [--lesions 5]
 *   (it takes its UIDs from dist/dicom/uids)
 *
 * - SLICES axial CT slices of SIZE × SIZE: the phantom's 60 slices (204 × 201, 3 mm apart) are
 *   repeated along z, each placed in the middle of a SIZE × SIZE canvas of air (-1000 HU), with the
 *   phantom's pixel spacing and orientation. The canvas origin moves so that every phantom voxel
 *   keeps its x/y patient position; repeat r lies 180·r mm further along z.
 * - One RTSTRUCT with LESIONS ROIs "GTV-1" … (RT ROI Interpreted Type GTV): the phantom's GTV-1
 *   contours, moved along z onto repeats spread over the study, where the copied tumour is. It
 *   references the new frame of reference, lists every CT image of the series (so the node knows
 *   the study is complete as soon as they arrived) and each contour's own image.
 * - New Study, Series, Frame of Reference and SOP Instance UIDs on every run (2.25 UUID form).
 *
 * Writes OUT_DIR/image/CT_0000.dcm … and OUT_DIR/mask/RS.dcm (Explicit VR Little Endian) and
 * prints one JSON line describing the study. OUT_DIR must be empty or absent. Also usable as a
 * module: `makeLargeStudy(outDir, options)` returns the same description.
 */
const { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } = require('node:fs');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const dcmjs = require('dcmjs');

const ROOT = join(__dirname, '..', '..');
const PHANTOM = join(ROOT, '..', 'shared', 'data', 'ibsi-ct-phantom', 'dicom');
// The node's own UID vocabulary (dist/, after `npm run build`, as every benchmark needs).
const { SopClass, TransferSyntax } = require(join(ROOT, 'dist', 'dicom', 'uids'));
const EXPLICIT_LE = TransferSyntax.ExplicitVrLittleEndian;
const CT_IMAGE_STORAGE = SopClass.CtImageStorage;
const RT_STRUCTURE_SET_STORAGE = SopClass.RtStructureSetStorage;

const newUid = () => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;

function read(path) {
  const b = readFileSync(path);
  return dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const value = (dict, tag) => dict[tag]?.Value;

/** The phantom's CT slices, sorted by z (ascending), with their stored pixels. */
function phantomSlices() {
  const dir = join(PHANTOM, 'image');
  const slices = readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => {
      const d = read(join(dir, f));
      const position = value(d.dict, '00200032').map(Number);
      return { file: d, position, sop: value(d.dict, '00080018')[0] };
    });
  slices.sort((a, b) => a.position[2] - b.position[2]);
  return slices;
}

/** Repeats over which `lesions` lesions are spread (whole repeats only, evenly, away from the ends). */
function lesionRepeats(repeats, lesions) {
  if (lesions > repeats) throw new Error(`only ${repeats} whole phantom repeats fit: ask for at most ${repeats} lesions or more slices`);
  const out = [];
  for (let l = 0; l < lesions; l++) out.push(Math.floor(((l + 0.5) * repeats) / lesions));
  return out;
}

function makeLargeStudy(outDir, options = {}) {
  const sliceCount = options.slices ?? 1000;
  const size = options.size ?? 512;
  const lesionCount = options.lesions ?? 5;
  dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
  if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new Error(`${outDir} is not empty`);
  mkdirSync(join(outDir, 'image'), { recursive: true });
  mkdirSync(join(outDir, 'mask'), { recursive: true });

  const source = phantomSlices();
  const n = source.length;
  const first = source[0].file.dict;
  const rows = value(first, '00280010')[0];
  const cols = value(first, '00280011')[0];
  if (rows > size || cols > size) throw new Error(`the phantom (${cols} × ${rows}) does not fit in ${size} × ${size}`);
  const [dr, dc] = value(first, '00280030').map(Number); // row spacing (y), column spacing (x)
  const step = source[1].position[2] - source[0].position[2];
  const period = step * n; // one phantom repeat along z
  const offX = Math.floor((size - cols) / 2);
  const offY = Math.floor((size - rows) / 2);
  const [x0, y0, z0] = source[0].position;
  const originX = x0 - offX * dc;
  const originY = y0 - offY * dr;

  const study = newUid();
  const series = newUid();
  const frame = newUid();
  const canvas = new Uint16Array(size * size); // stored 0 = -1000 HU with the phantom's intercept
  const sops = [];
  for (let s = 0; s < sliceCount; s++) {
    const src = source[s % n];
    const pixels = new Uint16Array(value(src.file.dict, '7FE00010')[0]);
    canvas.fill(0);
    for (let j = 0; j < rows; j++) canvas.set(pixels.subarray(j * cols, (j + 1) * cols), (j + offY) * size + offX);
    const sop = newUid();
    const z = z0 + s * step;
    const out = new dcmjs.data.DicomDict({
      ...src.file.meta,
      '00020003': { vr: 'UI', Value: [sop] },
      '00020010': { vr: 'UI', Value: [EXPLICIT_LE] },
    });
    out.dict = {
      ...src.file.dict,
      '00080018': { vr: 'UI', Value: [sop] },
      '0020000D': { vr: 'UI', Value: [study] },
      '0020000E': { vr: 'UI', Value: [series] },
      '00200052': { vr: 'UI', Value: [frame] },
      '00200011': { vr: 'IS', Value: [1] },
      '00200013': { vr: 'IS', Value: [s + 1] },
      '00200032': { vr: 'DS', Value: [originX, originY, Number(z.toFixed(4))] },
      '00201041': { vr: 'DS', Value: [Number(z.toFixed(4))] },
      '00080060': { vr: 'CS', Value: ['CT'] },
      '00180060': { vr: 'DS', Value: [120] },
      '00081030': { vr: 'LO', Value: ['cd8-node large synthetic study'] },
      '0008103E': { vr: 'LO', Value: [`IBSI phantom x ${Math.ceil(sliceCount / n)} in ${size}x${size}`] },
      '00280010': { vr: 'US', Value: [size] },
      '00280011': { vr: 'US', Value: [size] },
      '7FE00010': { vr: 'OW', Value: [canvas.buffer] },
    };
    writeFileSync(join(outDir, 'image', `CT_${String(s).padStart(4, '0')}.dcm`), Buffer.from(out.write()));
    sops.push(sop);
  }

  // RTSTRUCT: GTV-1 of the phantom, once per lesion repeat.
  const rsFile = read(join(PHANTOM, 'mask', readdirSync(join(PHANTOM, 'mask')).find((f) => f.endsWith('.dcm'))));
  const rs = dcmjs.data.DicomMetaDictionary.naturalizeDataset(rsFile.dict);
  const gtv = rs.ROIContourSequence[0].ContourSequence;
  const sliceOfZ = (z) => Math.round((z - z0) / step);
  const repeats = lesionRepeats(Math.floor(sliceCount / n), lesionCount);
  const imageRef = (s) => ({ ReferencedSOPClassUID: CT_IMAGE_STORAGE, ReferencedSOPInstanceUID: sops[s] });
  const lesions = [];
  const roiContours = [];
  const roiList = [];
  const observations = [];
  repeats.forEach((r, l) => {
    const dz = r * period;
    const contours = gtv.map((c) => {
      const data = c.ContourData.map(Number);
      for (let p = 2; p < data.length; p += 3) data[p] = Number((data[p] + dz).toFixed(4));
      const s = sliceOfZ(data[2]);
      if (s < 0 || s >= sliceCount) throw new Error(`lesion ${l + 1} leaves the study at z ${data[2]}`);
      return { ContourImageSequence: [imageRef(s)], ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: data.length / 3, ContourData: data };
    });
    const zs = contours.map((c) => c.ContourData[2]);
    lesions.push({ roi: `${l + 1} GTV-${l + 1}`, repeat: r, zMm: [Math.min(...zs), Math.max(...zs)], slices: [sliceOfZ(Math.min(...zs)), sliceOfZ(Math.max(...zs))] });
    roiList.push({ ROINumber: l + 1, ReferencedFrameOfReferenceUID: frame, ROIName: `GTV-${l + 1}`, ROIGenerationAlgorithm: 'MANUAL' });
    roiContours.push({ ROIDisplayColor: [255, 40 * l, 0], ContourSequence: contours, ReferencedROINumber: l + 1 });
    observations.push({ ObservationNumber: l + 1, ReferencedROINumber: l + 1, RTROIInterpretedType: 'GTV', ROIInterpreter: '' });
  });
  const rsSop = newUid();
  Object.assign(rs, {
    SOPInstanceUID: rsSop,
    StudyInstanceUID: study,
    SeriesInstanceUID: newUid(),
    SeriesNumber: 2,
    StructureSetLabel: 'LARGE',
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: frame,
        RTReferencedStudySequence: [
          {
            ReferencedSOPClassUID: SopClass.DetachedStudyManagement,
            ReferencedSOPInstanceUID: study,
            RTReferencedSeriesSequence: [{ SeriesInstanceUID: series, ContourImageSequence: sops.map((_, s) => imageRef(s)) }],
          },
        ],
      },
    ],
    StructureSetROISequence: roiList,
    ROIContourSequence: roiContours,
    RTROIObservationsSequence: observations,
  });
  const rsOut = new dcmjs.data.DicomDict({
    ...rsFile.meta,
    '00020002': { vr: 'UI', Value: [RT_STRUCTURE_SET_STORAGE] },
    '00020003': { vr: 'UI', Value: [rsSop] },
    '00020010': { vr: 'UI', Value: [EXPLICIT_LE] },
  });
  rsOut.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(rs);
  writeFileSync(join(outDir, 'mask', 'RS.dcm'), Buffer.from(rsOut.write()));

  return { dir: outDir, studyInstanceUid: study, seriesInstanceUid: series, frameOfReferenceUid: frame, slices: sliceCount, size, sliceSpacingMm: step, lesions };
}

module.exports = { makeLargeStudy };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i < 0 ? dflt : Number(args[i + 1]);
  };
  const outDir = args.find((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1].startsWith('--')));
  if (!outDir || args.includes('--help') || args.includes('-h')) {
    const lines = readFileSync(__filename, 'utf8').split('\n');
    process.stdout.write(lines.slice(3, lines.indexOf(' */')).map((l) => l.replace(/^ \* ?/, '')).join('\n') + '\n');
    process.exit(args.includes('--help') || args.includes('-h') ? 0 : 2);
  }
  const started = Date.now();
  const made = makeLargeStudy(outDir, { slices: opt('--slices', 1000), size: opt('--size', 512), lesions: opt('--lesions', 5) });
  console.log(JSON.stringify({ ...made, seconds: (Date.now() - started) / 1000 }));
}
