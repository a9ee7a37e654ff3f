/**
 * The header reader gives the store and study assembly the attributes they file an instance
 * under, from the first bytes of a dataset, in Implicit or Explicit VR. Checked against the
 * values DCMTK's dcmdump shows for the same files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { MalformedDatasetError, readInstanceHeader, TruncatedDatasetError } from '../../../src/dicom/header';
import { readFileMeta } from '../../../src/dicom/part10';
import { run, SHARED } from '../../support/process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const CT = join(PHANTOM, 'image', 'DCM_IMG_00000.dcm');
const RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
const STS_RTSTRUCT = join(SHARED, 'data', 'sts', 'STS_001', 'CT', 'mask', 'RS.dcm');

function dataset(file: string): { bytes: Buffer; explicitVr: boolean; syntax: string } {
  const all = readFileSync(file);
  const meta = readFileMeta(all);
  return { bytes: all.subarray(meta.datasetOffset), explicitVr: meta.transferSyntaxUid !== '1.2.840.10008.1.2', syntax: meta.transferSyntaxUid };
}

/** dcmdump's value of one top-level attribute, e.g. "0020,0013". */
async function dcmdumpValue(file: string, tag: string): Promise<string> {
  const r = await run('dcmdump', ['+P', tag, file]);
  const m = /\[(.*?)\]|\s(\d+)\s+#/.exec(r.stdout);
  return (m?.[1] ?? m?.[2] ?? '').trim();
}

describe('readInstanceHeader', () => {
  it('reads a CT slice (Implicit VR) as dcmdump does, from its first 4 kB', async () => {
    const { bytes } = dataset(CT);
    const h = readInstanceHeader(bytes.subarray(0, 4096), { explicitVr: false, complete: false });
    expect(h).toEqual({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: await dcmdumpValue(CT, '0008,0018'),
      studyInstanceUid: await dcmdumpValue(CT, '0020,000d'),
      seriesInstanceUid: await dcmdumpValue(CT, '0020,000e'),
      patientId: '1',
      modality: 'CT',
      frameOfReferenceUid: await dcmdumpValue(CT, '0020,0052'),
      instanceNumber: 41,
      seriesNumber: undefined,
      studyDate: undefined,
      accessionNumber: undefined,
    });
  });

  it('collects what an RTSTRUCT references: frames of reference, series, contour images', () => {
    const { bytes } = dataset(RTSTRUCT);
    const h = readInstanceHeader(bytes, { explicitVr: false, complete: true });
    expect(h.modality).toBe('RTSTRUCT');
    expect(h.rtstruct).toEqual({
      frameOfReferenceUids: ['1.3.6.1.4.1.9590.100.1.2.43753750011518494101799896492065629048'],
      seriesUids: ['1.3.6.1.4.1.9590.100.1.2.296658988911737913102339329841519593982'],
      imageUids: expect.any(Array),
    });
    expect(h.rtstruct!.imageUids).toHaveLength(60);
    expect(h.rtstruct!.imageUids).toContain('1.3.6.1.4.1.9590.100.1.2.366329533712562522941846291781386317822');
  });

  it('unites series-level and per-contour image references (STS_001: 267 images, one frame)', () => {
    const { bytes } = dataset(STS_RTSTRUCT);
    const h = readInstanceHeader(bytes, { explicitVr: false, complete: true });
    expect(h.rtstruct!.imageUids).toHaveLength(267);
    expect(h.rtstruct!.frameOfReferenceUids).toEqual(['1.3.6.1.4.1.14519.5.2.1.5168.1900.316167340799089327122304118088']);
    expect(h.accessionNumber).toBe('1764353264683505');
  });

  it('asks for more bytes when a prefix ends before the attributes, and calls a cut dataset malformed', () => {
    const { bytes } = dataset(RTSTRUCT);
    expect(() => readInstanceHeader(bytes.subarray(0, 2000), { explicitVr: false, complete: false })).toThrow(TruncatedDatasetError);
    expect(() => readInstanceHeader(bytes.subarray(0, 2000), { explicitVr: false, complete: true })).toThrow(MalformedDatasetError);
  });

  it('refuses to walk Implicit VR bytes as Explicit VR (wrong transfer syntax)', () => {
    const { bytes } = dataset(CT);
    expect(() => readInstanceHeader(bytes, { explicitVr: true, complete: true })).toThrow(/no valid VR/);
  });

  it.each([
    ['+te', 'Explicit VR Little Endian'],
    ['+td', 'Deflated Explicit VR Little Endian'],
  ])('reads the same values after dcmconv %s (%s)', async (option) => {
    const out = join(mkdtempSync(join(tmpdir(), 'cd8-header-')), 'rs.dcm');
    expect((await run('dcmconv', [option, RTSTRUCT, out])).code).toBe(0);
    const converted = dataset(out);
    expect(converted.explicitVr).toBe(true);
    const bytes = option === '+td' ? inflateRawSync(converted.bytes) : converted.bytes;
    const fromImplicit = readInstanceHeader(dataset(RTSTRUCT).bytes, { explicitVr: false, complete: true });
    expect(readInstanceHeader(bytes, { explicitVr: true, complete: true })).toEqual(fromImplicit);
  });
});

describe('readInstanceHeader walked to the end: the readability check', () => {
  /** Explicit VR Little Endian element. */
  const el = (group: number, element: number, vr: string, value: Buffer, undefinedLength = false): Buffer => {
    const long = ['OB', 'OW', 'SQ', 'UN'].includes(vr);
    const h = Buffer.alloc(long ? 12 : 8);
    h.writeUInt16LE(group, 0);
    h.writeUInt16LE(element, 2);
    h.write(vr, 4, 'latin1');
    if (long) h.writeUInt32LE(undefinedLength ? 0xffffffff : value.length, 8);
    else h.writeUInt16LE(value.length, 6);
    return Buffer.concat([h, value]);
  };
  const us = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  const item = (value: Buffer, tag = 0xe000) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0xfffe, 0);
    h.writeUInt16LE(tag, 2);
    h.writeUInt32LE(value.length, 4);
    return Buffer.concat([h, value]);
  };
  const image = (frames: number, pixelData: Buffer) =>
    Buffer.concat([
      el(0x0008, 0x0016, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.2\0')),
      el(0x0008, 0x0018, 'UI', Buffer.from('1.2.3.4\0')),
      el(0x0028, 0x0002, 'US', us(1)),
      el(0x0028, 0x0008, 'IS', Buffer.from(`${frames} `.slice(0, 2))),
      el(0x0028, 0x0010, 'US', us(4)),
      el(0x0028, 0x0011, 'US', us(4)),
      el(0x0028, 0x0100, 'US', us(16)),
      pixelData,
    ]);
  const check = (b: Buffer) => readInstanceHeader(b, { explicitVr: true, complete: true, walkToEnd: true });
  const encapsulated = (...fragments: Buffer[]) => el(0x7fe0, 0x0010, 'OB', Buffer.concat([item(Buffer.alloc(0)), ...fragments.map((f) => item(f)), item(Buffer.alloc(0), 0xe0dd)]), true);

  it('accepts native Pixel Data of exactly Rows × Columns × Samples × Bits Allocated × frames', () => {
    expect(check(image(2, el(0x7fe0, 0x0010, 'OW', Buffer.alloc(4 * 4 * 2 * 2)))).sopInstanceUid).toBe('1.2.3.4');
  });

  it('refuses native Pixel Data one frame short', () => {
    expect(() => check(image(2, el(0x7fe0, 0x0010, 'OW', Buffer.alloc(4 * 4 * 2))))).toThrow(/Pixel Data holds 32 bytes; .* requires 64/);
  });

  it('accepts encapsulated Pixel Data with a fragment per frame, refuses fewer fragments than frames', () => {
    expect(check(image(2, encapsulated(Buffer.alloc(10), Buffer.alloc(12)))).sopInstanceUid).toBe('1.2.3.4');
    expect(() => check(image(2, encapsulated(Buffer.alloc(10))))).toThrow(MalformedDatasetError);
  });

  it('refuses a fragment that declares more bytes than follow, and fragments without their delimiter', () => {
    const whole = image(1, encapsulated(Buffer.alloc(10)));
    const lying = Buffer.from(whole);
    lying.writeUInt32LE(1000, whole.length - 8 - 10 - 4);
    expect(() => check(lying)).toThrow(/declares 1000 bytes/);
    expect(() => check(whole.subarray(0, whole.length - 8))).toThrow(MalformedDatasetError);
  });
});
