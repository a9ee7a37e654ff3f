/**
 * The imaging's own reader against dcmjs on every kind of DICOM file the tests and the shared data
 * use: the image headers of a directory (and the files skipped, with their reasons), the
 * structure set, and each image's stored samples must be deep-equal whichever reader reads them.
 * The shared data (IBSI phantom, STS_001, STS_002: CT in Implicit VR, RTSTRUCTs with character
 * sets and sequences of undefined length), copies made by DCMTK (Explicit VR, big endian,
 * deflated, JPEG-LS, RLE, JPEG lossless SV1 and process 14), by dcmjs-codecs (JPEG 2000), by
 * python3-pydicom (Enhanced CT) and by dcmjs (the synthetic studies and RTSTRUCT variants). The
 * fast reader must also be the one that read the native files (not dcmjs behind it).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { Context, NativeCodecs } from 'dcmjs-codecs';
import { fastParse } from '../../../src/dicom/fastRead';
import { initialiseCodecs, readPixelSamples } from '../../../src/dicom/read';
import { readImageHeaders, readStructureSet } from '../../../src/imaging/load';
import { readNatural, writeRtstructWith, square } from '../../support/rtstructVariant';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { ROOT, run, SHARED } from '../../support/process';

const DATA = join(SHARED, 'data');
const PHANTOM = join(DATA, 'ibsi-ct-phantom', 'dicom');
const PHANTOM_RS = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
const SLICES = ['DCM_IMG_00000.dcm', 'DCM_IMG_00029.dcm', 'DCM_IMG_00059.dcm'];
const work = mkdtempSync(join(tmpdir(), 'cd8-fastreader-'));

/** Headers, skipped files, and every single-frame image's samples, read by both readers; returns how many files the fast path read itself. */
async function expectSameReading(ct: string): Promise<number> {
  const [fast, reference] = await Promise.all([readImageHeaders(ct, 'fast'), readImageHeaders(ct, 'dcmjs')]);
  expect(fast).toEqual(reference);
  expect(reference.headers.length).toBeGreaterThan(0);
  let covered = 0;
  for (const h of reference.headers) {
    if (fastParse(readFileSync(h.source), true, true) !== undefined) covered++;
    if (h.frame !== undefined) continue;
    const [a, b] = await Promise.all([readPixelSamples(h.source, h.pixel, 'fast'), readPixelSamples(h.source, h.pixel, 'dcmjs')]);
    expect({ source: h.source, samples: a }).toEqual({ source: h.source, samples: b });
  }
  return covered;
}

async function expectSameStructureSet(rs: string): Promise<void> {
  const [fast, reference] = await Promise.all([readStructureSet(rs, 'fast'), readStructureSet(rs, 'dcmjs')]);
  expect(fast).toEqual(reference);
  expect(reference.rois.flatMap((r) => r.contours).length).toBeGreaterThan(0);
}

/** A copy of a few phantom slices and the RTSTRUCT made by a DCMTK tool. */
async function copies(name: string, tool: string, args: string[], withRtstruct = true): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  const sources = [...SLICES.map((s) => join(PHANTOM, 'image', s)), ...(withRtstruct ? [PHANTOM_RS] : [])];
  for (const src of sources) {
    const r = await run(tool, [...args, src, join(dir, src.split('/').pop()!)]);
    if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} ${src}: ${r.stderr}`);
  }
  return dir;
}

/**
 * JPEG 2000 copies of the slices, encoded by dcmjs-codecs (DCMTK has no JPEG 2000 codec). Made
 * before anything is decoded in this file: dcmjs-codecs' JPEG 2000 encoder fails once its
 * WebAssembly has decoded other syntaxes ("opj_end_compress::Failed to end compress").
 */
async function jpeg2000Copies(): Promise<string> {
  await initialiseCodecs();
  const dir = join(work, 'j2k');
  mkdirSync(dir);
  for (const s of SLICES) {
    const { meta, ds } = readNatural(join(PHANTOM, 'image', s));
    const pixels = new Uint8Array(ds.PixelData as ArrayBuffer);
    const ctx = new Context({ width: ds.Columns as number, height: ds.Rows as number, bitsAllocated: 16, bitsStored: ds.BitsStored as number, samplesPerPixel: 1, pixelRepresentation: ds.PixelRepresentation as number, planarConfiguration: 0, photometricInterpretation: 'MONOCHROME2', decodedBuffer: pixels });
    const encoded = NativeCodecs.encodeJpeg2000(ctx, { lossy: false }).getEncodedBuffer()!;
    const naturalMeta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(meta);
    naturalMeta.TransferSyntaxUID = '1.2.840.10008.1.2.4.90';
    const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(naturalMeta));
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ ...ds, PixelData: [encoded.slice().buffer], _vrMap: { PixelData: 'OB' } });
    writeFileSync(join(dir, s), Buffer.from(dict.write()));
  }
  return dir;
}

describe('the fast reader reads what dcmjs reads', () => {
  let j2k: string;
  beforeAll(async () => {
    j2k = await jpeg2000Copies();
  });

  it.each([
    ['the IBSI CT phantom', join(PHANTOM, 'image'), PHANTOM_RS],
    ['STS_001', join(DATA, 'sts', 'STS_001', 'CT', 'image'), join(DATA, 'sts', 'STS_001', 'CT', 'mask', 'RS.dcm')],
    ['STS_002', join(DATA, 'sts', 'STS_002', 'CT', 'image'), join(DATA, 'sts', 'STS_002', 'CT', 'mask', 'RS.dcm')],
  ])('in the shared data: %s (its CT read by the fast path itself)', async (_name, ct, rs) => {
    const files = readdirSync(ct).length;
    expect(await expectSameReading(ct)).toBe(files);
    await expectSameStructureSet(rs);
    expect(fastParse(readFileSync(rs), true, false)).toBeDefined();
  });

  it.each([
    ['Explicit VR Little Endian', 'dcmconv', ['+te'], true],
    ['Explicit VR Big Endian (read by dcmjs)', 'dcmconv', ['+tb'], false],
    ['Deflated Explicit VR (read by dcmjs)', 'dcmconv', ['+td'], false],
    ['JPEG-LS lossless', 'dcmcjpls', [], true],
    ['RLE lossless', 'dcmcrle', [], true],
    ['JPEG lossless SV1', 'dcmcjpeg', ['+e1'], true],
    ['JPEG lossless process 14, predictor 7', 'dcmcjpeg', ['+el', '+sv', '7'], true],
  ])('in a DCMTK copy: %s', async (name, tool, args, fastHeaders) => {
    const dir = await copies(name.replace(/\W+/g, '-'), tool, args);
    const images = join(dir, 'images');
    mkdirSync(images);
    for (const s of SLICES) writeFileSync(join(images, s), readFileSync(join(dir, s)));
    expect(await expectSameReading(images)).toBe(fastHeaders ? SLICES.length : 0);
    // The directory with the RTSTRUCT in it: the RTSTRUCT is skipped, with the same reason.
    await expectSameReading(dir);
    await expectSameStructureSet(join(dir, 'DCM_RS_00060.dcm'));
  });

  it('in a JPEG 2000 copy made with dcmjs-codecs', async () => {
    expect(await expectSameReading(j2k)).toBe(SLICES.length);
    const { headers } = await readImageHeaders(j2k);
    expect(new Set(headers.map((h) => h.transferSyntaxUid))).toEqual(new Set(['1.2.840.10008.1.2.4.90']));
  });

  it('in an Enhanced CT made by python3-pydicom (its frames placed from the functional groups dcmjs reads)', async () => {
    const dir = join(work, 'enhanced');
    mkdirSync(dir);
    const r = await run('/usr/bin/python3', [join(ROOT, 'test', 'support', 'enhanced_ct.py'), join(PHANTOM, 'image'), join(dir, 'enhanced.dcm'), '--reverse']);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const [fast, reference] = await Promise.all([readImageHeaders(dir, 'fast'), readImageHeaders(dir, 'dcmjs')]);
    expect(fast).toEqual(reference);
    expect(fast.headers).toHaveLength(60);
  }, 120000);

  it('in a synthetic study and an RTSTRUCT variant written by dcmjs', async () => {
    const dir = join(work, 'synthetic');
    const study = writeSyntheticStudy(dir, { dims: [40, 32, 12], background: 40, lesions: [{ roiNumber: 1, name: 'GTV', interpretedType: 'GTV', centre: [20, 16, 6], radiusMm: 4, value: 90 }] });
    expect(await expectSameReading(study.ctDir)).toBe(12);
    await expectSameStructureSet(study.rtstruct);
    const variant = join(work, 'variant.dcm');
    writeRtstructWith(PHANTOM_RS, variant, [{ number: 90, name: 'Bödy', type: 'EXTERNAL', contours: [{ type: 'CLOSED_PLANAR', points: square(0, 0, -40, 100) }] }]);
    await expectSameStructureSet(variant);
    expect(fastParse(readFileSync(variant), true, false)).toBeDefined();
  });
});
