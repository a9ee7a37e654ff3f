/**
 * Before dcmjs parses a file, every element at every depth must fit within what dcmjs reads it
 * from (src/dicom/lengthGuard.ts): dcmjs trusts nested lengths, and a 300-byte file whose nested
 * element claims 1 GiB made it fill memory for ~45 s and end the process. Real files pass.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import fc from 'fast-check';
import { checkElementLengths, ElementLengthError, MAX_NESTING } from '../../../src/dicom/lengthGuard';
import { readDicomFile, readDicomHeader, readImagingFile } from '../../../src/dicom/read';
import { TransferSyntax } from '../../../src/dicom/uids';
import { part10File } from '../../support/part10Bytes';

const dir = mkdtempSync(join(tmpdir(), 'cd8-length-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GIB = 0x40000000;
const UNDEFINED = 0xffffffff;
const SHORT = new Set(['CS', 'UI', 'US', 'UL', 'LO', 'SH', 'DS', 'IS']);

/** One element, explicit VR (little or big endian) or implicit VR little endian; `length` overrides the value's. */
function element(tag: number, vr: string, value: Buffer, syntax: { explicit: boolean; little?: boolean }, length = value.length): Buffer {
  const little = syntax.little ?? true;
  const u16 = (v: number) => { const b = Buffer.alloc(2); little ? b.writeUInt16LE(v) : b.writeUInt16BE(v); return b; };
  const u32 = (v: number) => { const b = Buffer.alloc(4); little ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0); return b; };
  const tagBytes = Buffer.concat([u16(tag >>> 16), u16(tag & 0xffff)]);
  if (!syntax.explicit) return Buffer.concat([tagBytes, u32(length), value]);
  if (SHORT.has(vr)) return Buffer.concat([tagBytes, Buffer.from(vr, 'latin1'), u16(length), value]);
  return Buffer.concat([tagBytes, Buffer.from(vr, 'latin1'), Buffer.alloc(2), u32(length), value]);
}

/** An item (defined length unless `undefinedLength`, then closed by its delimitation). */
function item(content: Buffer, little = true, undefinedLength = false): Buffer {
  const head = Buffer.alloc(8);
  const w16 = (v: number, at: number) => (little ? head.writeUInt16LE(v, at) : head.writeUInt16BE(v, at));
  w16(0xfffe, 0);
  w16(0xe000, 2);
  little ? head.writeUInt32LE(undefinedLength ? UNDEFINED : content.length, 4) : head.writeUInt32BE(undefinedLength ? UNDEFINED : content.length, 4);
  if (!undefinedLength) return Buffer.concat([head, content]);
  const end = Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([head, content, end]);
}

const text = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** A Part 10 file (a CT image's meta) with `dataset` in `syntax`. */
const part10 = (syntax: string, dataset: Buffer): Buffer => part10File('1.2.840.10008.5.1.4.1.1.2', syntax, dataset);

/** A small CT-like header whose Referenced Image Sequence holds `inItem` (explicit VR little endian). */
function withReferencedImage(inItem: Buffer, undefinedItem = false): Buffer {
  const ev = { explicit: true };
  return part10(
    TransferSyntax.ExplicitVrLittleEndian,
    Buffer.concat([
      element(0x00080016, 'UI', text('1.2.840.10008.5.1.4.1.1.2'), ev),
      element(0x00080018, 'UI', text('1.2.3.4'), ev),
      element(0x00080060, 'CS', text('CT'), ev),
      element(0x00081140, 'SQ', item(inItem, true, undefinedItem), ev),
      element(0x7fe00010, 'OW', Buffer.alloc(8), ev),
    ]),
  );
}

const write = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('a file whose nested element claims more bytes than its item holds', () => {
  // A UN element inside the item, claiming 1 GiB (dcmjs reads it as its dictionary's UI: a 1 GiB string).
  const hostile = withReferencedImage(element(0x00081150, 'UN', Buffer.alloc(16), { explicit: true }, GIB));

  it('is refused by every reader, at once, saying which element and what holds it (dcmjs is never given it)', async () => {
    const path = write('nested-un.dcm', hostile);
    const readFile = jest.spyOn(dcmjs.data.DicomMessage, 'readFile');
    try {
      const started = Date.now();
      const message = /element \(0008,1150\) at byte \d+ declares 1073741824 bytes, but only 16 remain in what holds it/;
      await expect(readDicomHeader(path)).rejects.toThrow(message);
      await expect(readDicomFile(path)).rejects.toThrow(message);
      // The imaging's own reader reads only what it needs and steps over the sequence by its length.
      await expect(readImagingFile(path)).resolves.toMatchObject({ dataset: { Modality: 'CT' } });
      expect(readFile).not.toHaveBeenCalled();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      readFile.mockRestore();
    }
  });

  it.each([
    ['explicit VR, an item of undefined length', () => withReferencedImage(element(0x00081150, 'UN', Buffer.alloc(16), { explicit: true }, GIB), true)],
    ['explicit VR, a UT value', () => withReferencedImage(element(0x00281050, 'UT', Buffer.alloc(4), { explicit: true }, GIB))],
    [
      'implicit VR, a dictionary sequence of defined length',
      () =>
        part10(
          TransferSyntax.ImplicitVrLittleEndian,
          Buffer.concat([
            element(0x00080060, 'CS', text('CT'), { explicit: false }),
            element(0x00081140, 'SQ', item(element(0x00281050, 'DS', Buffer.alloc(4), { explicit: false }, GIB)), { explicit: false }),
          ]),
        ),
    ],
    [
      'explicit VR big endian',
      () =>
        part10(
          TransferSyntax.ExplicitVrBigEndian,
          Buffer.concat([element(0x00081140, 'SQ', item(element(0x00081150, 'UN', Buffer.alloc(4), { explicit: true, little: false }, GIB), false), { explicit: true, little: false })]),
        ),
    ],
    ['an item longer than its sequence', () => part10(TransferSyntax.ExplicitVrLittleEndian, element(0x00081140, 'SQ', Buffer.concat([item(Buffer.alloc(0)).subarray(0, 4), Buffer.from([0xff, 0xff, 0xff, 0x7f])]), { explicit: true }))],
    ['a top-level element past the end of the file', () => part10(TransferSyntax.ExplicitVrLittleEndian, element(0x00291010, 'OB', Buffer.alloc(8), { explicit: true }, GIB))],
    ['a sequence of undefined length never delimited', () => part10(TransferSyntax.ExplicitVrLittleEndian, element(0x00081140, 'SQ', item(Buffer.alloc(0)), { explicit: true }, UNDEFINED))],
  ])('is refused: %s', (_name, make) => {
    expect(() => checkElementLengths(make())).toThrow(ElementLengthError);
  });

  it('is refused when its sequences nest deeper than the bound, and read when they do not', () => {
    const nested = (depth: number): Buffer => {
      let inner = element(0x00080060, 'CS', text('CT'), { explicit: true });
      for (let i = 0; i < depth; i++) inner = element(0x00081140, 'SQ', item(inner), { explicit: true });
      return part10(TransferSyntax.ExplicitVrLittleEndian, inner);
    };
    expect(() => checkElementLengths(nested(MAX_NESTING))).not.toThrow();
    expect(() => checkElementLengths(nested(MAX_NESTING + 2))).toThrow(/nested more than 32 deep/);
  });

  it('stops at Pixel Data for a header read (a prefix may end there), and walks the pixels for a whole read', () => {
    const file = withReferencedImage(element(0x00081150, 'UI', text('1.2.3'), { explicit: true }));
    const prefix = file.subarray(0, file.length - 8 - 12 + 4); // up to the Pixel Data tag
    expect(() => checkElementLengths(prefix, true)).not.toThrow();
    expect(() => checkElementLengths(prefix)).toThrow(ElementLengthError);
    expect(() => checkElementLengths(file)).not.toThrow();
  });
});

describe('real files', () => {
  it('pass: every DICOM file of the shared test data (CT, RTSTRUCT, phantoms) and the repository', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.dcm$/i.test(name) || !name.includes('.')) files.push(p);
      }
    };
    walk(join(__dirname, '..', '..', '..', '..', 'shared', 'data'));
    let dicom = 0;
    for (const p of files) {
      const bytes = readFileSync(p);
      if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') continue;
      dicom++;
      expect(() => checkElementLengths(bytes)).not.toThrow();
    }
    expect(dicom).toBeGreaterThan(150);
  });
});

describe('under fuzzing', () => {
  /**
   * Damaged copies of a header with sequences in both syntaxes: whatever the walk lets through,
   * dcmjs reads (or refuses) at once. A hole in the walk would show as a parse that fills memory
   * for tens of seconds (the test's time limit) or ends the process.
   */
  const bases: Array<[string, Buffer]> = [
    ['explicit VR', withReferencedImage(Buffer.concat([element(0x00081150, 'UI', text('1.2.840.10008.5.1.4.1.1.2'), { explicit: true }), element(0x00081155, 'UI', text('1.2.3.4.5'), { explicit: true })]), true)],
    [
      'implicit VR',
      part10(
        TransferSyntax.ImplicitVrLittleEndian,
        Buffer.concat([
          element(0x00080060, 'CS', text('CT'), { explicit: false }),
          element(0x00081140, 'SQ', Buffer.concat([item(element(0x00081150, 'UI', text('1.2.3'), { explicit: false })), item(element(0x00081155, 'UI', text('1.2.3.4'), { explicit: false }), true, true)]), { explicit: false }, UNDEFINED),
          Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
          element(0x7fe00010, 'OW', Buffer.alloc(8), { explicit: false }),
        ]),
      ),
    ],
  ];

  it.each(bases)('lets through only what dcmjs reads at once (%s)', (_name, base) => {
    expect(() => checkElementLengths(base)).not.toThrow();
    const at = fc.integer({ min: 132, max: base.length - 1 });
    const length = fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constant(GIB), fc.constant(UNDEFINED), fc.integer({ min: 0, max: 0xffffffff }));
    const vr = fc.constantFrom('UN', 'UT', 'OB', 'SQ', 'US', 'UL', 'xx');
    let passed = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(at, fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.array(fc.tuple(at, length), { maxLength: 2 }), fc.option(fc.tuple(at, vr)), (bytes, words, vrAt) => {
        const b = Buffer.from(base);
        for (const [p, v] of bytes) b[p] = v;
        for (const [p, v] of words) if (p + 4 <= b.length) b.writeUInt32LE(v, p);
        if (vrAt && vrAt[0] + 2 <= b.length) b.write(vrAt[1], vrAt[0], 'latin1');
        try {
          checkElementLengths(b);
        } catch (e) {
          expect(e).toBeInstanceOf(ElementLengthError);
          return;
        }
        passed++;
        const started = Date.now();
        try {
          dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer, { ignoreErrors: false });
        } catch {
          // dcmjs' own refusal is fine: an exception, not a process that fills its memory.
        }
        expect(Date.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 3000, interruptAfterTimeLimit: 8000 },
    );
    expect(passed).toBeGreaterThan(0);
  }, 60000);
});
