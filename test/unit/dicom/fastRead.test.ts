/**
 * The imaging's own reader (src/dicom/fastRead.ts) gives the image headers and structure sets
 * dcmjs gives, for files built byte by byte here to hold what real files hold now and then:
 * Implicit and Explicit VR, odd values (padding, spaces, several values, empty values, numbers
 * with units), character sets (latin1 with Windows-1252 bytes, UTF-8 at the top level and in
 * items), sequences and items of undefined length, empty items, private sequences to skip. Files
 * it does not cover (a wanted attribute encoded as UN, ISO 2022 character sets, multi-frame
 * objects, damaged files) are read by dcmjs: the answer, or the error, is dcmjs'.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { fastParse, locateNativePixelData, WANTED_ATTRIBUTES } from '../../../src/dicom/fastRead';
import { ImagingReader, readImagingFile, readImagingHeader, readPixelSamples } from '../../../src/dicom/read';
import { imageHeader } from '../../../src/imaging/imageHeader';
import { parseStructureSet } from '../../../src/imaging/rtstruct';
import { SHARED } from '../../support/process';
import { elementHead, part10File, tagAndLength } from '../../support/part10Bytes';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const RT_STRUCT = '1.2.840.10008.5.1.4.1.1.481.3';

interface Item {
  elements: Element[];
  undefinedLength?: boolean;
}
interface Element {
  tag: number;
  vr: string;
  /** Text (padded to an even length: NUL for UI, space otherwise) or raw bytes (as they are). */
  value?: string | Buffer;
  items?: Item[];
  undefinedLength?: boolean;
}

const UNDEFINED = 0xffffffff;

const tagBytes = tagAndLength;

function valueBytes(e: Element, explicit: boolean): Buffer {
  if (e.items) {
    const parts: Buffer[] = e.items.map((item) => {
      const body = encode(item.elements, explicit);
      return item.undefinedLength ? Buffer.concat([tagBytes(0xfffee000, UNDEFINED), body, tagBytes(0xfffee00d, 0)]) : Buffer.concat([tagBytes(0xfffee000, body.length), body]);
    });
    if (e.undefinedLength) parts.push(tagBytes(0xfffee0dd, 0));
    return Buffer.concat(parts);
  }
  if (Buffer.isBuffer(e.value)) return e.value;
  const text = Buffer.from(e.value ?? '', 'utf8');
  return text.length % 2 === 0 ? text : Buffer.concat([text, Buffer.from(e.vr === 'UI' ? [0] : [0x20])]);
}

function encode(elements: Element[], explicit: boolean): Buffer {
  return Buffer.concat(
    elements.map((e) => {
      const value = valueBytes(e, explicit);
      const length = e.undefinedLength ? UNDEFINED : value.length;
      return Buffer.concat([elementHead(e.tag, e.vr, length, explicit), value]);
    }),
  );
}

function part10(sopClass: string, syntax: string, elements: Element[]): Buffer {
  return part10File(sopClass, syntax, encode(elements, syntax !== IMPLICIT), '1.2.3.4.5');
}

const sq = (tag: number, items: Item[], undefinedLength = false): Element => ({ tag, vr: 'SQ', items, undefinedLength });
const us = (tag: number, ...values: number[]): Element => ({ tag, vr: 'US', value: Buffer.from(Uint16Array.from(values).buffer) });

/** A CT slice with odd but valid values; `extra` go in tag order by the caller's care. */
function ctElements(charset: string | Buffer | undefined, extra: Element[] = []): Element[] {
  const pixels = Buffer.from(Int16Array.from({ length: 12 }, (_, i) => i * 100 - 600).buffer);
  return [
    ...(charset === undefined ? [] : [{ tag: 0x00080005, vr: 'CS', value: charset }]),
    { tag: 0x00080008, vr: 'CS', value: 'ORIGINAL\\PRIMARY \\ AXIAL' },
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE },
    { tag: 0x00080018, vr: 'UI', value: Buffer.from('1.2.3.100 \0') },
    { tag: 0x00080020, vr: 'DA', value: '20240102' },
    { tag: 0x00080030, vr: 'TM', value: '101500.25 ' },
    { tag: 0x00080050, vr: 'SH', value: '' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x00080070, vr: 'LO', value: Buffer.from([0x20, 0x4d, 0xe9, 0x64, 0x80, 0x9c, 0x20, 0x20]) },
    { tag: 0x00080090, vr: 'PN', value: 'WHO^DR=\\SECOND^ONE' },
    ...extra.filter((e) => e.tag < 0x00100000),
    { tag: 0x00100010, vr: 'PN', value: 'Müller^Zoë=ミュラー^ゾエ' },
    { tag: 0x00100020, vr: 'LO', value: ' P-17 ' },
    { tag: 0x00100021, vr: 'LO', value: 'ISSUER\\SECOND ' },
    { tag: 0x00100030, vr: 'DA', value: '' },
    { tag: 0x00100040, vr: 'CS', value: 'F ' },
    { tag: 0x00180050, vr: 'DS', value: ' 1.25mm' },
    { tag: 0x00180060, vr: 'DS', value: '' },
    { tag: 0x00181120, vr: 'DS', value: '+0.0' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.3.4' },
    { tag: 0x00200011, vr: 'IS', value: ' 7' },
    { tag: 0x00200013, vr: 'IS', value: '12 ' },
    { tag: 0x00200032, vr: 'DS', value: '-100.5\\ -80.25 \\1e1' },
    { tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    { tag: 0x00200052, vr: 'UI', value: '1.2.3.9' },
    ...extra.filter((e) => e.tag > 0x00200052 && e.tag < 0x00280000),
    us(0x00280002, 1),
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    us(0x00280010, 3),
    us(0x00280011, 4),
    { tag: 0x00280030, vr: 'DS', value: '0.5\\0.75' },
    us(0x00280100, 16),
    us(0x00280101, 12),
    us(0x00280102, 11),
    us(0x00280103, 1),
    { tag: 0x00281052, vr: 'DS', value: '-1024' },
    { tag: 0x00281053, vr: 'DS', value: '1.0 ' },
    ...extra.filter((e) => e.tag > 0x00280000),
    { tag: 0x7fe00010, vr: 'OW', value: pixels },
  ];
}

function structureSetElements(): Element[] {
  const contour = (z: number, data: string, undefinedLength = false): Item => ({
    undefinedLength,
    elements: [
      sq(0x30060016, [{ elements: [{ tag: 0x00081150, vr: 'UI', value: CT_IMAGE }, { tag: 0x00081155, vr: 'UI', value: `1.2.3.4.${z}` }, { tag: 0x00081160, vr: 'IS', value: '2' }] }]),
      { tag: 0x30060042, vr: 'CS', value: 'closed_planar ' },
      { tag: 0x30060046, vr: 'IS', value: '3' },
      { tag: 0x30060050, vr: 'DS', value: data },
    ],
  });
  return [
    { tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' },
    { tag: 0x00080016, vr: 'UI', value: RT_STRUCT },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.500' },
    { tag: 0x00080060, vr: 'CS', value: 'RTSTRUCT' },
    { tag: 0x00100010, vr: 'PN', value: 'Ünal^Ayşe' },
    { tag: 0x00100020, vr: 'LO', value: 'P-17' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.3.5' },
    // A private sequence of undefined length with nested items of undefined length: skipped.
    { tag: 0x00290010, vr: 'LO', value: 'PRIVATE CREATOR' },
    sq(0x00291010, [{ undefinedLength: true, elements: [sq(0x00291011, [{ undefinedLength: true, elements: [{ tag: 0x00291012, vr: 'LO', value: 'x' }] }], true)] }], true),
    { tag: 0x30060002, vr: 'SH', value: ' Plan ' },
    { tag: 0x30060004, vr: 'LO', value: 'Name\\Other' },
    sq(
      0x30060010,
      [
        {
          undefinedLength: true,
          elements: [
            { tag: 0x00200052, vr: 'UI', value: '1.2.3.9' },
            sq(0x30060012, [{ elements: [sq(0x30060014, [{ elements: [{ tag: 0x0020000e, vr: 'UI', value: '1.2.3.4' }, sq(0x30060016, [{ elements: [{ tag: 0x00081155, vr: 'UI', value: '1.2.3.4.1' }] }, { elements: [] }])] }])] }]),
          ],
        },
      ],
      true,
    ),
    sq(0x30060020, [
      // Its own character set: the ROI name is UTF-8; the next item's is read as latin1, as dcmjs does.
      { elements: [{ tag: 0x00080005, vr: 'CS', value: 'ISO_IR 192' }, { tag: 0x30060022, vr: 'IS', value: '1' }, { tag: 0x30060024, vr: 'UI', value: '1.2.3.9' }, { tag: 0x30060026, vr: 'LO', value: 'Läsion 1' }, { tag: 0x30060028, vr: 'ST', value: 'a\\b  ' }, { tag: 0x30060036, vr: 'CS', value: 'MANUAL' }] },
      { elements: [] },
      { undefinedLength: true, elements: [{ tag: 0x30060022, vr: 'IS', value: ' 2 ' }, { tag: 0x30060026, vr: 'LO', value: 'Läsion 2' }] },
      { undefinedLength: true, elements: [] },
      { elements: [{ tag: 0x30060022, vr: 'IS', value: '2' }, { tag: 0x30060026, vr: 'LO', value: 'twice' }] },
      { elements: [{ tag: 0x30060026, vr: 'LO', value: 'no number' }] },
    ]),
    sq(
      0x30060039,
      [
        { elements: [{ tag: 0x30060084, vr: 'IS', value: '1' }, sq(0x30060040, [contour(1, '0\\0\\1\\10.5\\0\\1\\ 10.5\\+1e1\\1'), contour(2, '0\\0\\2\\1\\0\\2\\1\\1\\2', true), contour(3, '0\\0\\3\\1\\0'), contour(4, '1.5mm\\\\3\\1\\2\\3')], true)] },
        { undefinedLength: true, elements: [{ tag: 0x30060084, vr: 'IS', value: '9' }, sq(0x30060040, [])] },
        { elements: [{ tag: 0x30060084, vr: 'IS', value: '2' }, sq(0x30060040, [contour(5, '')])] },
      ],
      true,
    ),
    sq(0x30060080, [{ elements: [{ tag: 0x30060084, vr: 'IS', value: '1' }, { tag: 0x300600a4, vr: 'CS', value: 'gtv ' }] }, { elements: [{ tag: 0x30060084, vr: 'IS', value: '2' }, { tag: 0x300600a4, vr: 'CS', value: '' }] }]),
  ];
}

const dir = mkdtempSync(join(tmpdir(), 'cd8-fastread-'));
let fileNo = 0;
function file(bytes: Buffer): string {
  const path = join(dir, `f${fileNo++}.dcm`);
  writeFileSync(path, bytes);
  return path;
}

/** The image header (or the error) each reader gives. */
async function headerBy(path: string, reader: ImagingReader): Promise<unknown> {
  try {
    const { meta, dataset } = await readImagingHeader(path, reader);
    return imageHeader(meta, dataset, path);
  } catch (e) {
    return { error: String(e) };
  }
}

async function structureSetBy(path: string, reader: ImagingReader): Promise<unknown> {
  try {
    const { dataset } = await readImagingFile(path, reader);
    return parseStructureSet(dataset, path);
  } catch (e) {
    return { error: String(e) };
  }
}

describe('the fast reader', () => {
  it('lists each attribute with the keyword and VR of dcmjs’ dictionary', () => {
    const dictionary = dcmjs.data.DicomMetaDictionary.dictionary as Record<string, { name: string; vr: string }>;
    for (const { tag, keyword, vr } of WANTED_ATTRIBUTES) {
      const hex = tag.toString(16).toUpperCase().padStart(8, '0');
      const entry = dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`];
      expect({ hex, name: entry?.name, vr: entry?.vr }).toEqual({ hex, name: keyword, vr });
    }
  });

  it.each([
    ['Implicit VR, no character set', IMPLICIT, undefined],
    ['Explicit VR, ISO_IR 100 (latin1 with Windows-1252 bytes)', EXPLICIT, 'ISO_IR 100'],
    ['Explicit VR, ISO_IR 192 (UTF-8)', EXPLICIT, 'ISO_IR 192'],
    ['Implicit VR, ISO_IR 192 (UTF-8)', IMPLICIT, 'ISO_IR 192'],
    ['Explicit VR, ISO_IR 6 written as "ISO_IR 6 " padded', EXPLICIT, 'ISO_IR 6'],
  ])('reads a CT header with odd values as dcmjs does: %s', async (_name, syntax, charset) => {
    const bytes = part10(CT_IMAGE, syntax, ctElements(charset));
    expect(fastParse(bytes, true, true)).toEqual(expect.objectContaining({ dataset: expect.objectContaining({ PixelData: 0 }) }));
    const path = file(bytes);
    const fast = await headerBy(path, 'fast');
    expect(fast).toEqual(await headerBy(path, 'dcmjs'));
    expect(fast).toMatchObject({ imagePositionPatient: [-100.5, -80.25, 10], sliceThickness: 1.25, pixel: { rows: 3, columns: 4, bitsStored: 12 }, rescaleSlope: 1 });
  });

  it('reads native pixel data where it lies, as dcmjs decodes it', async () => {
    for (const syntax of [IMPLICIT, EXPLICIT]) {
      const bytes = part10(CT_IMAGE, syntax, ctElements('ISO_IR 100'));
      const path = file(bytes);
      expect(locateNativePixelData(bytes)).toEqual({ transferSyntaxUid: syntax, offset: bytes.length - 24, length: 24 });
      const h = (await headerBy(path, 'fast')) as ReturnType<typeof imageHeader>;
      const fast = await readPixelSamples(path, h.pixel, 'fast');
      expect(fast).toEqual(await readPixelSamples(path, h.pixel, 'dcmjs'));
      expect(Array.from(fast)).toEqual(Array.from({ length: 12 }, (_, i) => i * 100 - 600));
    }
  });

  it('reads a header longer than its first read (16 KiB) from the whole file', async () => {
    const bytes = part10(CT_IMAGE, EXPLICIT, ctElements('ISO_IR 100', [{ tag: 0x00291010, vr: 'OB', value: Buffer.alloc(40000, 7) }]));
    const path = file(bytes);
    expect(fastParse(bytes.subarray(0, 16384), false, true)).toBe('more');
    expect(await headerBy(path, 'fast')).toEqual(await headerBy(path, 'dcmjs'));
  });

  it.each([
    ['Explicit VR', EXPLICIT],
    ['Implicit VR', IMPLICIT],
  ])('reads an RTSTRUCT with sequences and items of undefined length, empty items and character sets as dcmjs does (%s)', async (_name, syntax) => {
    const bytes = part10(RT_STRUCT, syntax, structureSetElements());
    expect(fastParse(bytes, true, false)).toBeDefined();
    const path = file(bytes);
    const fast = await structureSetBy(path, 'fast');
    expect(fast).toEqual(await structureSetBy(path, 'dcmjs'));
    expect(fast).toMatchObject({ label: 'Plan', rois: [{ number: 1, name: 'Läsion 1', interpretedType: 'GTV' }, { number: 2, name: 'LÃ¤sion 2' }] });
  });

  it.each([
    ['a wanted attribute encoded as UN', ctElements('ISO_IR 100', [{ tag: 0x00280008, vr: 'UN', value: '1' }])],
    ['an ISO 2022 character set', ctElements('ISO 2022 IR 87')],
    ['two character sets (dcmjs refuses them)', ctElements('ISO_IR 100\\ISO_IR 192')],
    ['a multi-frame object', ctElements(undefined, [{ tag: 0x00280008, vr: 'IS', value: '2' }])],
    ['float pixel data', [...ctElements(undefined).slice(0, -1), { tag: 0x7fe00008, vr: 'OF', value: Buffer.alloc(48) }]],
    ['a wanted element that runs past the end of the file', ctElements(undefined).slice(0, 12).concat([{ tag: 0x00200032, vr: 'DS', value: '1\\2\\3' }])],
  ])('leaves %s to dcmjs, with dcmjs’ answer', async (name, elements) => {
    let bytes = part10(CT_IMAGE, EXPLICIT, elements);
    if (/past the end/.test(name)) bytes = bytes.subarray(0, bytes.length - 2);
    expect(fastParse(bytes, true, true)).toBeUndefined();
    const path = file(bytes);
    expect(await headerBy(path, 'fast')).toEqual(await headerBy(path, 'dcmjs'));
  });

  it('leaves a damaged RTSTRUCT to dcmjs, which says what is wrong', async () => {
    const whole = part10(RT_STRUCT, EXPLICIT, structureSetElements());
    const path = file(whole.subarray(0, whole.length - 30));
    expect(fastParse(whole.subarray(0, whole.length - 30), true, false)).toBeUndefined();
    const fast = await structureSetBy(path, 'fast');
    expect(fast).toEqual(await structureSetBy(path, 'dcmjs'));
  });

  it('refuses sequences nested deeper than its bound, leaving them to dcmjs', () => {
    let nested: Element = { tag: 0x00291011, vr: 'SQ', items: [{ elements: [] }], undefinedLength: true };
    for (let d = 0; d < 20; d++) nested = { tag: 0x00291011, vr: 'SQ', items: [{ undefinedLength: true, elements: [nested] }], undefinedLength: true };
    const deep = part10(CT_IMAGE, EXPLICIT, ctElements(undefined, [{ tag: 0x00290010, vr: 'LO', value: 'X' }, nested]));
    expect(fastParse(deep, true, true)).toBeUndefined();
  });
});

/** dcmjs' natural dataset of a whole file or its header, or its error. */
function byDcmjs(bytes: Buffer, untilPixel: boolean): { meta: Record<string, unknown>; dataset: Record<string, unknown> } | 'error' {
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const d = dcmjs.data.DicomMessage.readFile(ab, untilPixel ? { untilTag: '7FE00010', includeUntilTagValue: false, ignoreErrors: false } : { ignoreErrors: false });
    return { meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.meta), dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.dict) };
  } catch {
    return 'error';
  }
}

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    return { error: String(e) };
  }
}

describe('the fast reader under fuzzing', () => {
  const TIME = { interruptAfterTimeLimit: 3000, numRuns: 100000 };
  /** Values as stored (even length): any bytes, or text of the characters that numbers, padding, several values and names are made of. */
  const evenLength = (b: Uint8Array) => Buffer.from(b.length % 2 === 0 ? b : [...b, 0x20]);
  const text = fc.array(fc.constantFrom(...'0129.-+eEx \\\0\taZ^=ÜミIn'.split('')), { maxLength: 16 }).map((c) => new Uint8Array(Buffer.from(c.join(''), 'utf8')));
  const anyValue = fc.oneof(fc.uint8Array({ maxLength: 24 }), text).map(evenLength);
  const anyUs = fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 3 }).map((v) => Buffer.from(Uint16Array.from(v).buffer));

  it.each([
    ['Implicit VR', IMPLICIT],
    ['Explicit VR', EXPLICIT],
  ])('gives any values of the attributes it reads as dcmjs gives them (%s)', (_name, syntax) => {
    const ct = ctElements(undefined);
    const wanted = ct.filter((e) => e.vr !== 'OW' && WANTED_ATTRIBUTES.some((w) => w.tag === e.tag));
    fc.assert(
      fc.property(fc.constantFrom(undefined, 'ISO_IR 100', 'ISO_IR 192'), fc.array(fc.tuple(fc.nat(wanted.length - 1), anyValue, anyUs), { minLength: 1, maxLength: 8 }), (charset, changes) => {
        const elements = ctElements(charset).map((e) => ({ ...e }));
        for (const [i, value, usValue] of changes) {
          const target = elements.find((e) => e.tag === wanted[i].tag)!;
          target.value = target.vr === 'US' ? usValue : value;
        }
        const bytes = part10(CT_IMAGE, syntax, elements);
        const fast = fastParse(bytes, true, true);
        const reference = byDcmjs(bytes, true);
        if (fast === undefined || fast === 'more') return;
        expect(reference).not.toBe('error');
        if (reference === 'error') return;
        expect(outcome(() => imageHeader(fast.meta, fast.dataset, 'f'))).toEqual(outcome(() => imageHeader(reference.meta, reference.dataset, 'f')));
      }),
      TIME,
    );
  });

  it('gives any values of an RTSTRUCT’s ROIs and contours as dcmjs gives them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyValue, anyValue, anyValue, anyValue, anyValue), { minLength: 1, maxLength: 4 }), (rois) => {
        const elements: Element[] = [
          { tag: 0x00080016, vr: 'UI', value: RT_STRUCT },
          { tag: 0x00080060, vr: 'CS', value: 'RTSTRUCT' },
          sq(0x30060020, rois.map(([number, name, , , ]) => ({ elements: [{ tag: 0x30060022, vr: 'IS', value: number }, { tag: 0x30060026, vr: 'LO', value: name }] }))),
          sq(0x30060039, rois.map(([number, , type, data, uid]) => ({ elements: [{ tag: 0x30060084, vr: 'IS', value: number }, sq(0x30060040, [{ elements: [sq(0x30060016, [{ elements: [{ tag: 0x00081155, vr: 'UI', value: uid }] }]), { tag: 0x30060042, vr: 'CS', value: type }, { tag: 0x30060050, vr: 'DS', value: data }] }])] }))),
          sq(0x30060080, rois.map(([number, , type]) => ({ elements: [{ tag: 0x30060084, vr: 'IS', value: number }, { tag: 0x300600a4, vr: 'CS', value: type }] }))),
        ];
        const bytes = part10(RT_STRUCT, EXPLICIT, elements);
        const fast = fastParse(bytes, true, false);
        const reference = byDcmjs(bytes, false);
        expect(fast).not.toBeUndefined();
        if (fast === undefined || fast === 'more' || reference === 'error') throw new Error('both readers should read it');
        expect(outcome(() => parseStructureSet(fast.dataset, 'f'))).toEqual(outcome(() => parseStructureSet(reference.dataset, 'f')));
      }),
      TIME,
    );
  });

  it.each([
    ['a CT header', readFileSync(join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom', 'image', 'DCM_IMG_00000.dcm')).subarray(0, 1258), true],
    ['an RTSTRUCT', part10(RT_STRUCT, EXPLICIT, structureSetElements()), false],
  ])('never throws on a damaged copy of %s (it answers, or leaves the file to dcmjs)', (_name, file, untilPixel) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(file.length), (flips, cut) => {
        const b = Buffer.from(file);
        for (const [at, value] of flips) b[Math.max(132, at)] = value;
        const result = fastParse(b.subarray(0, Math.max(cut, file.length - 40)), true, untilPixel);
        expect(result === undefined || result === 'more' || typeof result.dataset === 'object').toBe(true);
      }),
      TIME,
    );
  });
});
