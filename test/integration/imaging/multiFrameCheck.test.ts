/**
 * The frame count of a multi-frame object is checked when the study is planned, before anything
 * is planned on it, from the element headers that lead to its Pixel Data (checkMultiFrame), not by
 * parsing the whole object with dcmjs (openMultiFrame), which the decoding does once. The
 * phantom's 60 slices as one Enhanced CT (python3-pydicom, test/support/enhanced_ct.py), native or
 * compressed by DCMTK (RLE with and without an offset table, one fragment a frame or several,
 * JPEG-LS), whole or two frames short, get openMultiFrame's answer, counted from their bytes.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { checkMultiFrame, openMultiFrame, pixelDataHolding } from '../../../src/dicom/read';
import { ImagingError, imagingStudyParts, planImagingStudy } from '../../../src/imaging/load';
import { DEFAULT_LESION_RULES } from '../../support/imaging';
import { ROOT, run, SHARED } from '../../support/process';
import { layoutOf, outcome } from '../../support/multiFrame';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
const BUILDER = join(ROOT, 'test', 'support', 'enhanced_ct.py');
const PIXEL_DATA = '7FE00010';

async function must(command: string, args: string[]): Promise<void> {
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command}: ${r.stdout}${r.stderr}`);
}

/** A directory holding one Enhanced CT of the phantom, built with `args`, then passed through a DCMTK compressor if given. */
async function enhanced(name: string, args: string[] = [], compress?: [string, ...string[]]): Promise<{ dir: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), `cd8-mf-${name}-`));
  const file = join(dir, `${name}.dcm`);
  if (!compress) {
    await must('/usr/bin/python3', [BUILDER, join(PHANTOM, 'image'), file, ...args]);
    return { dir, file };
  }
  const plain = join(mkdtempSync(join(tmpdir(), 'cd8-mf-plain-')), 'plain.dcm');
  await must('/usr/bin/python3', [BUILDER, join(PHANTOM, 'image'), plain, ...args]);
  const [command, ...options] = compress;
  await must(command, [...options, plain, file]);
  return { dir, file };
}

describe('the frame count of a multi-frame CT, checked at planning', () => {
  it.each([
    ['native Explicit VR (pydicom)', [], undefined, /^holds its frames$/],
    ['two frames short (--short-pixel-data 2)', ['--short-pixel-data', '2'], undefined, /declares 60 frames \(Number of Frames\) of 204 × 201 × 16 bits, but its Pixel Data holds 4756464 bytes \(58\.00 frames\)/],
    ['RLE, one fragment a frame, with an offset table (dcmcrle)', [], ['dcmcrle'], /^holds its frames$/],
    ['RLE, one fragment a frame, no offset table (dcmcrle -ot)', [], ['dcmcrle', '-ot'], /^holds its frames$/],
    ['RLE in 8 KB fragments, with an offset table (dcmcrle +fs 8)', [], ['dcmcrle', '+fs', '8'], /^holds its frames$/],
    ['RLE in 8 KB fragments, no offset table: each fragment a frame for dcmjs', [], ['dcmcrle', '+fs', '8', '-ot'], /declares 60 frames \(Number of Frames\), but its encapsulated Pixel Data holds \d{3} frames/],
    ['JPEG-LS Lossless (dcmcjpls)', [], ['dcmcjpls'], /^holds its frames$/],
  ] as Array<[string, string[], [string, ...string[]] | undefined, RegExp]>)('%s: counted from its bytes, with openMultiFrame’s answer', async (name, args, compress, expected) => {
    const { file } = await enhanced(name.replace(/\W+/g, '-').slice(0, 20), args, compress);
    const layout = await layoutOf(file);
    expect(pixelDataHolding(file)).toBeDefined();
    const checked = await outcome(() => checkMultiFrame(file, layout));
    expect(checked).toBe(await outcome(() => openMultiFrame(file, layout)));
    expect(checked).toMatch(expected);
  });

  it('plans on an Enhanced CT with dcmjs reading it up to Pixel Data only, and parses it whole once, to decode it', async () => {
    const { dir, file } = await enhanced('planned', ['--reverse']);
    const size = statSync(file).size;
    const readFile = jest.spyOn(dcmjs.data.DicomMessage, 'readFile');
    try {
      const planned = await planImagingStudy(dir, RTSTRUCT, { rules: DEFAULT_LESION_RULES });
      expect(planned.ctSeries.slices).toHaveLength(60);
      // The header of the object (a multi-frame object is always read by dcmjs), and nothing read whole.
      const planning = readFile.mock.calls.map(([, options]) => options?.untilTag);
      expect(planning.length).toBeGreaterThan(0);
      expect(planning.every((until) => until === PIXEL_DATA)).toBe(true);

      readFile.mockClear();
      let decoded = 0;
      for await (const part of imagingStudyParts(planned)) decoded += part.decodedSlices;
      expect(decoded).toBeGreaterThan(0);
      expect(readFile.mock.calls.map(([buffer, options]) => ({ bytes: buffer.byteLength, untilTag: options?.untilTag }))).toEqual([{ bytes: size, untilTag: undefined }]);
    } finally {
      readFile.mockRestore();
    }
  });

  it('refuses an object two frames short when planning, with openMultiFrame’s words, without parsing it whole', async () => {
    const { dir, file } = await enhanced('short', ['--short-pixel-data', '2']);
    const readFile = jest.spyOn(dcmjs.data.DicomMessage, 'readFile');
    let error: unknown;
    try {
      error = await planImagingStudy(dir, RTSTRUCT, { rules: DEFAULT_LESION_RULES }).catch((e: unknown) => e);
      expect(readFile.mock.calls.every(([, options]) => options?.untilTag === PIXEL_DATA)).toBe(true);
    } finally {
      readFile.mockRestore();
    }
    expect(error).toBeInstanceOf(ImagingError);
    const reference = await outcome(async () => openMultiFrame(file, await layoutOf(file)));
    expect((error as ImagingError).problems).toEqual([{ code: 'multi-frame-inconsistent', message: reference }]);
  });
});
