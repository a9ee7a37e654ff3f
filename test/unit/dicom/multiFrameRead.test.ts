/**
 * Before anything is planned on a multi-frame object (Enhanced CT), the analysis checks that its
 * Pixel Data holds the Number of Frames it declares. checkMultiFrame (src/dicom/read.ts) does it
 * from the element headers that lead to Pixel Data and the item headers of its fragments, with the
 * answer and the words of openMultiFrame, which parses the whole file with dcmjs (the reference
 * here). Files built byte by byte: native Pixel Data (Implicit and Explicit VR) of the right
 * length, with one padding byte, a frame short, a frame too many; encapsulated Pixel Data with and
 * without a Basic Offset Table, with fewer or more frames or fragments than declared; headers with
 * sequences and items of undefined length, values that hold item tags. What the byte-level count
 * leaves to dcmjs (data after Pixel Data, Pixel Data past the end of the file, offsets that do not
 * point at fragments, deflated files ...) gets dcmjs' answer. Damaged copies of each file, once dcmjs
 * has read their header (as the analysis does first), get the same answer from both.
 *
 * The header itself (readDicomHeader, dcmjs up to Pixel Data) is read from the first 64 KiB of the
 * file, or, when it is longer (an Enhanced CT's functional groups), up to where the same element
 * walk finds Pixel Data: the header of the whole file, without reading its pixels.
 */
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as dcmjs from 'dcmjs';
import { checkMultiFrame, openMultiFrame, pixelDataHolding, readDicomHeader } from '../../../src/dicom/read';
import type { PixelLayout } from '../../../src/imaging/imageHeader';
import { layoutOf, outcome } from '../../support/multiFrame';
import { elementHead, part10File, tagAndLength } from '../../support/part10Bytes';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const RLE = '1.2.840.10008.1.2.5';
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const UNDEFINED = 0xffffffff;

/** 3 frames of 3 × 2 × 16 bits: 12 bytes a frame. */
const FRAMES = 3;
const FRAME_BYTES = 12;

interface Element {
  tag: number;
  vr: string;
  /** Text (padded to an even length: NUL for UI, space otherwise) or bytes as they are. */
  value: string | Buffer;
  undefinedLength?: boolean;
}

function text(e: Element): Buffer {
  if (Buffer.isBuffer(e.value)) return e.value;
  const b = Buffer.from(e.value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([e.vr === 'UI' ? 0 : 0x20])]);
}

function encode(elements: Element[], explicit: boolean): Buffer {
  return Buffer.concat(
    elements.map((e) => {
      const value = text(e);
      const length = e.undefinedLength ? UNDEFINED : value.length;
      return Buffer.concat([elementHead(e.tag, e.vr, length, explicit), value]);
    }),
  );
}

const itemTag = tagAndLength;
const ITEM = 0xfffee000;
const ITEM_END = itemTag(0xfffee00d, 0);
const SEQUENCE_END = itemTag(0xfffee0dd, 0);

/** Items (each a list of elements) of undefined length, as pydicom writes them, or of defined length. */
function items(list: Element[][], explicit: boolean, undefinedLength: boolean): Buffer {
  return Buffer.concat(
    list.map((elements) => {
      const body = encode(elements, explicit);
      return undefinedLength ? Buffer.concat([itemTag(ITEM, UNDEFINED), body, ITEM_END]) : Buffer.concat([itemTag(ITEM, body.length), body]);
    }),
  );
}

const us = (tag: number, v: number): Element => ({ tag, vr: 'US', value: Buffer.from(Uint16Array.of(v).buffer) });

/** An Enhanced CT header with its functional groups: a sequence of defined length, one of undefined length with items of undefined length. */
function header(explicit: boolean, perFrameExtra: Element[] = []): Element[] {
  const position = (z: number): Element => ({
    tag: 0x00209113,
    vr: 'SQ',
    value: Buffer.concat([items([[{ tag: 0x00200032, vr: 'DS', value: `0\\0\\${z}` }]], explicit, true), SEQUENCE_END]),
    undefinedLength: true,
  });
  return [
    { tag: 0x00080016, vr: 'UI', value: ENHANCED_CT },
    { tag: 0x00080018, vr: 'UI', value: '1.2.3.4' },
    { tag: 0x00080060, vr: 'CS', value: 'CT' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.3' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.3.1' },
    { tag: 0x00200052, vr: 'UI', value: '1.2.3.9' },
    us(0x00280002, 1),
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280008, vr: 'IS', value: String(FRAMES) },
    us(0x00280010, 2),
    us(0x00280011, 3),
    us(0x00280100, 16),
    us(0x00280101, 12),
    us(0x00280102, 11),
    us(0x00280103, 1),
    {
      tag: 0x52009229,
      vr: 'SQ',
      value: items([[{ tag: 0x00209116, vr: 'SQ', value: items([[{ tag: 0x00200037, vr: 'DS', value: '1\\0\\0\\0\\1\\0' }]], explicit, false) }]], explicit, false),
    },
    {
      tag: 0x52009230,
      vr: 'SQ',
      value: Buffer.concat([items(Array.from({ length: FRAMES }, (_, z) => [position(z), ...perFrameExtra]), explicit, true), SEQUENCE_END]),
      undefinedLength: true,
    },
  ];
}

function part10(syntax: string, dataset: Buffer): Buffer {
  return part10File(ENHANCED_CT, syntax, dataset);
}

/** Native Pixel Data of `bytes` bytes. */
function native(bytes: number): Element {
  return { tag: 0x7fe00010, vr: 'OW', value: Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7 + 1) & 0xff)) };
}

/** Encapsulated Pixel Data: each frame as its fragments (of 4 bytes each), with a Basic Offset Table or an empty one. */
function encapsulated(fragmentsPerFrame: number[], table: boolean | number[]): Element {
  const fragments: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  fragmentsPerFrame.forEach((n, frame) => {
    offsets.push(at);
    for (let f = 0; f < n; f++) {
      const fragment = Buffer.concat([itemTag(ITEM, 4), Buffer.from([frame, f, 0xab, 0xcd])]);
      fragments.push(fragment);
      at += fragment.length;
    }
  });
  const entries = Array.isArray(table) ? table : table ? offsets : [];
  const bot = Buffer.concat([itemTag(ITEM, entries.length * 4), Buffer.from(Uint32Array.from(entries).buffer)]);
  return { tag: 0x7fe00010, vr: 'OB', value: Buffer.concat([bot, ...fragments, SEQUENCE_END]), undefinedLength: true };
}

/** The same fragments after another Basic Offset Table. */
function withTable(table: Buffer, pixelData: Element): Element {
  const value = pixelData.value as Buffer;
  return { ...pixelData, value: Buffer.concat([itemTag(ITEM, table.length), table, value.subarray(8 + value.readUInt32LE(4))]) };
}

function file(syntax: string, pixelData: Element, options: { perFrameExtra?: Element[]; after?: Buffer } = {}): Buffer {
  const explicit = syntax !== IMPLICIT;
  return Buffer.concat([part10(syntax, encode([...header(explicit, options.perFrameExtra), pixelData], explicit)), options.after ?? Buffer.alloc(0)]);
}

const dir = mkdtempSync(join(tmpdir(), 'cd8-framecount-'));
let fileNo = 0;
function write(bytes: Buffer): string {
  const path = join(dir, `f${fileNo++}.dcm`);
  writeFileSync(path, bytes);
  return path;
}

/** Both answers for one file, and whether the byte-level count covered it. */
async function answers(bytes: Buffer, layout?: PixelLayout): Promise<{ byteLevel: boolean; check: string; dcmjs: string }> {
  const path = write(bytes);
  const l = layout ?? (await layoutOf(path));
  return {
    byteLevel: pixelDataHolding(path) !== undefined,
    check: await outcome(() => checkMultiFrame(path, l)),
    dcmjs: await outcome(() => openMultiFrame(path, l)),
  };
}

const ok = 'holds its frames';
const shortBy = (bytes: number, frames: string) => new RegExp(`declares 3 frames \\(Number of Frames\\) of 3 × 2 × 16 bits, but its Pixel Data holds ${bytes} bytes \\(${frames} frames\\); the object is damaged`);
const holdsFrames = (n: number) => new RegExp(`declares 3 frames \\(Number of Frames\\), but its encapsulated Pixel Data holds ${n} ${n === 1 ? 'frame' : 'frames'} \\(fragments without an offset table`);

describe('checkMultiFrame: the frame count from the element headers, as dcmjs counts it', () => {
  it.each([
    ['exactly the declared frames', 3 * FRAME_BYTES, ok],
    ['the declared frames and one padding byte', 3 * FRAME_BYTES + 1, ok],
    ['a frame short', 2 * FRAME_BYTES, shortBy(24, '2.00')],
    ['a frame too many', 4 * FRAME_BYTES, shortBy(48, '4.00')],
    ['two bytes more than the frames (more than one padding byte)', 3 * FRAME_BYTES + 2, shortBy(38, '3.17')],
    ['no bytes at all', 0, shortBy(0, '0.00')],
  ])('native Pixel Data holding %s: the same answer in Implicit and Explicit VR', async (_name, bytes, expected) => {
    for (const syntax of [IMPLICIT, EXPLICIT]) {
      const a = await answers(file(syntax, native(bytes)));
      expect(a).toEqual({ byteLevel: true, check: a.dcmjs, dcmjs: expect.stringMatching(expected) });
    }
  });

  it.each([
    ['one fragment a frame, no offset table', encapsulated([1, 1, 1], false), ok],
    ['two fragments a frame, with an offset table', encapsulated([2, 2, 2], true), ok],
    ['an offset table that skips the first fragment (dcmjs leaves it out)', encapsulated([1, 1, 1, 1], [12, 24, 36]), ok],
    ['two fragments a frame without an offset table: 6 frames for dcmjs', encapsulated([2, 2, 2], false), holdsFrames(6)],
    ['a fragment fewer than the frames, no offset table', encapsulated([1, 1], false), holdsFrames(2)],
    ['a fragment more than the frames, no offset table', encapsulated([1, 1, 1, 1], false), holdsFrames(4)],
    ['an offset table of 4 frames', encapsulated([1, 2, 1, 1], true), holdsFrames(4)],
    ['an offset table of 1 frame', encapsulated([3], true), holdsFrames(1)],
  ])('encapsulated Pixel Data with %s: the same answer', async (_name, pixelData, expected) => {
    const a = await answers(file(RLE, pixelData));
    expect(a).toEqual({ byteLevel: true, check: a.dcmjs, dcmjs: expect.stringMatching(expected) });
  });

  it.each([
    ['a private sequence of undefined length (Implicit VR: dcmjs takes it for a sequence)', IMPLICIT, [{ tag: 0x00291010, vr: 'SQ', value: Buffer.concat([items([[{ tag: 0x00291011, vr: 'LO', value: 'x' }]], false, true), SEQUENCE_END]), undefinedLength: true }]],
    ['a value that holds the bytes of an item of undefined length and of its delimitation', EXPLICIT, [{ tag: 0x00291010, vr: 'LO', value: 'X' }, { tag: 0x00291011, vr: 'OB', value: Buffer.concat([itemTag(ITEM, UNDEFINED), ITEM_END]) }]],
    ['an empty sequence and an empty item', EXPLICIT, [{ tag: 0x00209071, vr: 'SQ', value: Buffer.alloc(0) }, { tag: 0x00209072, vr: 'SQ', value: itemTag(ITEM, 0) }]],
  ])('walks per-frame items that hold %s as dcmjs does', async (_name, syntax, extra) => {
    for (const [bytes, expected] of [
      [3 * FRAME_BYTES, ok],
      [2 * FRAME_BYTES, shortBy(24, '2.00')],
    ] as const) {
      const a = await answers(file(syntax, native(bytes), { perFrameExtra: extra as Element[] }));
      expect(a).toEqual({ byteLevel: true, check: a.dcmjs, dcmjs: expect.stringMatching(expected) });
    }
  });

  it.each([
    ['an element after Pixel Data (dcmjs reads it too)', () => file(EXPLICIT, native(3 * FRAME_BYTES), { after: encode([{ tag: 0xfffcfffc, vr: 'OB', value: Buffer.alloc(4) }], true) })],
    ['native Pixel Data that runs past the end of the file (dcmjs pads it with zeros)', () => file(EXPLICIT, native(3 * FRAME_BYTES)).subarray(0, -6)],
    ['native Pixel Data a frame short that runs past the end of the file', () => file(EXPLICIT, native(2 * FRAME_BYTES)).subarray(0, -6)],
    ['an offset that points inside a fragment', () => file(RLE, encapsulated([1, 1, 1], [0, 12, 30]))],
    ['offsets that go back', () => file(RLE, encapsulated([1, 1, 1], [0, 24, 12]))],
    ['an offset table of 6 bytes', () => file(RLE, withTable(Buffer.alloc(6), encapsulated([1, 1, 1], false)))],
    ['no fragments at all (dcmjs: no Pixel Data)', () => file(RLE, encapsulated([], false))],
    ['fragments without their sequence delimitation', () => file(RLE, encapsulated([1, 1, 1], false)).subarray(0, -8)],
    ['encapsulated Pixel Data in a native syntax', () => file(EXPLICIT, encapsulated([1, 1, 1], false))],
    ['native Pixel Data in an encapsulated syntax', () => file(RLE, native(3 * FRAME_BYTES))],
    ['a deflated dataset', () => part10(DEFLATED, deflateRawSync(encode([...header(true), native(3 * FRAME_BYTES)], true)))],
    ['a value that holds an item delimitation (dcmjs ends the item there)', () => file(EXPLICIT, native(3 * FRAME_BYTES), { perFrameExtra: [{ tag: 0x00291010, vr: 'LO', value: 'X' }, { tag: 0x00291011, vr: 'OB', value: Buffer.concat([Buffer.from([1, 2]), ITEM_END]) }] })],
  ])('leaves %s to dcmjs, with its answer', async (_name, make) => {
    const bytes = make();
    // The layout of the well-formed file: dcmjs may not read this one's header at all.
    const a = await answers(bytes, { rows: 2, columns: 3, bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 1, samplesPerPixel: 1, photometricInterpretation: 'MONOCHROME2', numberOfFrames: FRAMES });
    expect(a.byteLevel).toBe(false);
    expect(a.check).toBe(a.dcmjs);
  });

  it('leaves an unreadable file to openMultiFrame, which says why', async () => {
    const layout = await layoutOf(write(file(EXPLICIT, native(3 * FRAME_BYTES))));
    const missing = join(dir, 'missing.dcm');
    expect(pixelDataHolding(missing)).toBeUndefined();
    await expect(checkMultiFrame(missing, layout)).rejects.toThrow(/^cannot read .*missing\.dcm: /);
  });
});

describe('readDicomHeader of a header longer than its first read (64 KiB)', () => {
  /** 3 frames with 30 KB of private data each: a 90 KB header. */
  const bulky = (extra: Element[] = []): Element[] => [{ tag: 0x00291010, vr: 'LO', value: 'X' }, { tag: 0x00291011, vr: 'OB', value: Buffer.alloc(30000, 1) }, ...extra];

  /** dcmjs' header of the whole file, naturalised as readDicomHeader gives it. */
  function reference(bytes: Buffer): unknown {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const d = dcmjs.data.DicomMessage.readFile(ab, { untilTag: '7FE00010', includeUntilTagValue: false, ignoreErrors: false });
    return { meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.meta), dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.dict) };
  }

  /** The header readDicomHeader gives, and the sizes of what it gave dcmjs to parse. */
  async function read(path: string): Promise<{ header: unknown; parsed: number[] }> {
    const readFile = jest.spyOn(dcmjs.data.DicomMessage, 'readFile');
    try {
      const header = await readDicomHeader(path);
      return { header, parsed: readFile.mock.calls.map(([buffer]) => buffer.byteLength) };
    } finally {
      readFile.mockRestore();
    }
  }

  it.each([
    ['Explicit VR', EXPLICIT],
    ['Implicit VR', IMPLICIT],
  ])('reads it up to Pixel Data, not the pixels after it, with the header of the whole file (%s)', async (_name, syntax) => {
    const bytes = file(syntax, native(40000 * FRAMES), { perFrameExtra: bulky() });
    const path = write(bytes);
    const pixelDataAt = bytes.length - 40000 * FRAMES - (syntax === IMPLICIT ? 8 : 12);
    const { header, parsed } = await read(path);
    expect(header).toEqual(reference(bytes));
    // The first 64 KiB, then up to the Pixel Data tag.
    expect(parsed).toEqual([65536, pixelDataAt + 4]);
  });

  it('refuses a file whose item of undefined length dcmjs would end inside a value (a value holding an item delimitation)', async () => {
    // dcmjs finds the end of such an item by scanning its bytes, then reads the OB element past the
    // end it found: with its reads bounded (dcmjsBounds.ts) that is an error that names the file.
    const bytes = file(EXPLICIT, native(40000 * FRAMES), { perFrameExtra: bulky([{ tag: 0x00291012, vr: 'OB', value: Buffer.concat([Buffer.from([1, 2]), ITEM_END]) }]) });
    const path = write(bytes);
    await expect(readDicomHeader(path)).rejects.toThrow(/points past the end of its data/);
    expect(() => reference(bytes)).toThrow(/points past the end of its data/);
  });
});

describe('under fuzzing', () => {
  const TIME = { interruptAfterTimeLimit: 3000, numRuns: 1000000, endOnFailure: true };
  const PREAMBLE = 132;
  const bases: Array<[string, Buffer]> = [
    ['native, Implicit VR', file(IMPLICIT, native(3 * FRAME_BYTES))],
    ['native, Explicit VR', file(EXPLICIT, native(3 * FRAME_BYTES + 1))],
    ['encapsulated, offset table', file(RLE, encapsulated([2, 1, 2], true))],
    ['encapsulated, no offset table', file(RLE, encapsulated([1, 1, 1], false))],
  ];
  /**
   * dcmjs, the reference, can end the process on some damaged files, with a V8 fatal error rather
   * than an exception: an element whose VR is changed to UN (or UT, UC, UR) with a length past the
   * end of the file makes it fill an array or a string that long. The damage never writes an
   * upper-case letter, so it never makes a VR that was not there.
   */
  const noLetter = (b: number) => b < 0x41 || b > 0x5a;
  const byte = fc.integer({ min: 0, max: 255 }).filter(noLetter);
  const word = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 2048 }) }, { weight: 1, arbitrary: fc.constant(UNDEFINED) }).filter((v) => [0, 8, 16, 24].every((s) => noLetter((v >>> s) & 0xff)));

  it.each(bases)('checkMultiFrame gives dcmjs’ answer for damaged copies of a file (%s) whose header dcmjs reads', async (name, base) => {
    const layout = await layoutOf(write(base));
    const path = join(dir, `fuzz-${name.replace(/\W+/g, '-')}.dcm`);
    // Anywhere after the preamble, more often near Pixel Data (its element header, its fragments).
    const at = fc.oneof(fc.integer({ min: PREAMBLE, max: base.length - 1 }), fc.integer({ min: Math.max(PREAMBLE, base.length - 80), max: base.length - 1 }));
    let counted = 0;
    let leftToDcmjs = 0;
    // dcmjs logs (slowly, through Jest's console) each damaged value it reads.
    dcmjs.log.setLevel('silent');
    await fc
      .assert(
        fc.asyncProperty(
          // Bytes changed, a length (or a tag) overwritten, and the end cut or extended.
          fc.array(fc.tuple(at, byte), { maxLength: 3 }),
          fc.array(fc.tuple(at, word), { maxLength: 1 }),
          fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -12, max: 12 }) }),
          async (bytes, words, end) => {
            const b = Buffer.from(base);
            for (const [p, v] of bytes) b[p] = v;
            for (const [p, v] of words) if (p + 4 <= b.length) b.writeUInt32LE(v, p);
            writeFileSync(path, end < 0 ? b.subarray(0, b.length + end) : Buffer.concat([b, Buffer.alloc(end, 0xfe)]));
            // The analysis checks frames only in a file whose header dcmjs has read to Pixel Data.
            const head = await readDicomHeader(path).catch(() => undefined);
            if (head === undefined || !('PixelData' in head.dataset)) return;
            // Not counted from the bytes: checkMultiFrame's answer is openMultiFrame's own (the cases above).
            if (pixelDataHolding(path) === undefined) {
              leftToDcmjs++;
              return;
            }
            counted++;
            expect(await outcome(() => checkMultiFrame(path, layout))).toBe(await outcome(() => openMultiFrame(path, layout)));
          },
        ),
        TIME,
      )
      .finally(() => dcmjs.log.setLevel('error'));
    // The damage reached both: files counted from their bytes, and files left to dcmjs.
    expect(counted).toBeGreaterThan(0);
    expect(leftToDcmjs).toBeGreaterThan(0);
  }, 60000);

  /** Values made of item tags, delimitations and lengths: what dcmjs' scan for the end of an item reacts to. */
  const chunk = fc.constantFrom(...[[0xfe, 0xff, 0x00, 0xe0], [0xfe, 0xff, 0x0d, 0xe0], [0xfe, 0xff, 0xdd, 0xe0], [0xff, 0xff, 0xff, 0xff], [0, 0, 0, 0], [1, 2]].map((b) => Buffer.from(b)));
  const blob = fc.array(chunk, { maxLength: 6 }).map((c): Element => ({ tag: 0x00291011, vr: 'OB', value: Buffer.concat(c) }));
  /** Private elements for each per-frame item: such values, and sequences of them, nested, of defined or undefined length. */
  const { elements } = fc.letrec((tie) => ({
    elements: fc.array(fc.oneof({ depthSize: 'small' }, blob, tie('sequence')), { maxLength: 3 }),
    sequence: fc.tuple(fc.array(tie('elements'), { maxLength: 2 }), fc.boolean(), fc.boolean()).map(([list, undefinedSequence, undefinedItems]): Element => ({
      tag: 0x00291012,
      vr: 'SQ',
      value: Buffer.concat([items(list as Element[][], true, undefinedItems), undefinedSequence ? SEQUENCE_END : Buffer.alloc(0)]),
      undefinedLength: undefinedSequence,
    })),
  }));
  const pixelData = fc.oneof(
    fc.tuple(fc.constantFrom(IMPLICIT, EXPLICIT), fc.integer({ min: 0, max: 5 * FRAME_BYTES })).map(([syntax, bytes]) => ({ syntax, element: native(bytes) })),
    fc.tuple(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }), fc.boolean()).map(([perFrame, table]) => ({ syntax: RLE, element: encapsulated(perFrame, table) })),
  );

  it('checkMultiFrame gives dcmjs’ answer for headers whose values hold item tags, and any frames and fragments', async () => {
    const path = join(dir, 'generated.dcm');
    let counted = 0;
    dcmjs.log.setLevel('silent');
    await fc
      .assert(
        fc.asyncProperty(elements, pixelData, async (extra, { syntax, element }) => {
          writeFileSync(path, file(syntax, element, { perFrameExtra: extra as Element[] }));
          const head = await readDicomHeader(path).catch(() => undefined);
          if (head === undefined || !('PixelData' in head.dataset) || pixelDataHolding(path) === undefined) return;
          counted++;
          const layout = await layoutOf(path);
          expect(await outcome(() => checkMultiFrame(path, layout))).toBe(await outcome(() => openMultiFrame(path, layout)));
        }),
        TIME,
      )
      .finally(() => dcmjs.log.setLevel('error'));
    expect(counted).toBeGreaterThan(0);
  }, 60000);

  it('readDicomHeader gives the header of the whole file (or fails as its parse does) for damaged copies of a long header', async () => {
    const base = file(EXPLICIT, native(4000 * FRAMES), { perFrameExtra: [{ tag: 0x00291010, vr: 'LO', value: 'X' }, { tag: 0x00291011, vr: 'OB', value: Buffer.alloc(22000, 1) }] });
    const path = join(dir, 'fuzz-long-header.dcm');
    const pixelDataAt = base.length - 4000 * FRAMES - 12;
    // Anywhere after the preamble, more often about Pixel Data's element header.
    const at = fc.oneof(fc.integer({ min: PREAMBLE, max: base.length - 1 }), fc.integer({ min: pixelDataAt - 100, max: pixelDataAt + 12 }));
    const parse = (b: Buffer) => dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer, { untilTag: '7FE00010', includeUntilTagValue: false, ignoreErrors: false });
    let compared = 0;
    dcmjs.log.setLevel('silent');
    await fc
      .assert(
        fc.asyncProperty(fc.array(fc.tuple(at, byte), { maxLength: 3 }), fc.array(fc.tuple(at, word), { maxLength: 1 }), async (bytes, words) => {
          const b = Buffer.from(base);
          for (const [p, v] of bytes) b[p] = v;
          for (const [p, v] of words) if (p + 4 <= b.length) b.writeUInt32LE(v, p);
          // When the first 64 KiB hold the header, it is read from them, as it always was.
          const fromFirstRead = (() => {
            try {
              return '7FE00010' in parse(b.subarray(0, 65536)).dict;
            } catch {
              return false;
            }
          })();
          if (fromFirstRead) return;
          writeFileSync(path, b);
          compared++;
          const whole = (() => {
            try {
              const d = parse(b);
              return { meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.meta), dataset: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.dict) };
            } catch {
              return 'error';
            }
          })();
          expect(await readDicomHeader(path).catch(() => 'error')).toEqual(whole);
        }),
        TIME,
      )
      .finally(() => dcmjs.log.setLevel('error'));
    expect(compared).toBeGreaterThan(0);
  }, 60000);
});
