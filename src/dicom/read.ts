/**
 * Reading DICOM Part 10 files with dcmjs: the header alone (everything before Pixel Data,
 * usually from the first 64 KiB of the file), a whole dataset, or the decoded pixel samples of
 * a single-frame image, compressed transfer syntaxes included (dcmjs-codecs WebAssembly,
 * initialised once per process on first use). For a multi-frame object, whether its Pixel Data
 * holds its Number of Frames, from the element headers alone where they tell what dcmjs would.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import * as dcmjs from 'dcmjs';
import { boundDcmjsReads } from './dcmjsBounds';
import { Context, log as codecsLog, NativeCodecs } from 'dcmjs-codecs';
import type { NaturalDataset } from './part10';
import { TransferSyntax } from './uids';
import { PixelLayout } from '../imaging/imageHeader';
import { RawSamples, samplesFromBytes } from '../imaging/pixels';
import { quietDicomLibraries } from './quietLibraries';
import { fastParse, locateNativePixelData } from './fastRead';
import { ITEM_TAG as ITEM, LONG_VRS, PIXEL_DATA_TAG, SEQUENCE_DELIMITATION_TAG as SEQUENCE_DELIMITATION, UNDEFINED_LENGTH } from './header';
import { errorText } from '../ops/errorText';

export class DicomReadError extends Error {

  override readonly name = 'DicomReadError';

}

export interface ParsedFile {
  /** File meta information (group 0002), naturalised. */
  meta: NaturalDataset;
  /** The dataset, naturalised; after a header read, PixelData is present (as 0) but not its value. */
  dataset: NaturalDataset;
}

const PIXEL_DATA = '7FE00010';
const HEAD_BYTES = 64 * 1024;
/** A CT header is 1–3 KB before Pixel Data; the fast reader reads this much first, the whole file when it is longer. */
const FAST_HEAD_BYTES = 16 * 1024;

let setUp = false;
function setUpDcmjs(): void {
  if (setUp) return;
  setUp = true;
  // Before any file reaches dcmjs: a damaged length must not make it fill gigabytes.
  boundDcmjsReads();
  quietDicomLibraries();
  // Implicit VR files make dcmjs report every ambiguous-VR element (US/SS "xs"); expected, not news.
  dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
  codecsLog.setLevel('error');
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) return buf.buffer;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

function parse(buffer: ArrayBuffer, path: string, untilPixelData: boolean): dcmjs.DicomDictionary {
  setUpDcmjs();
  try {
    return dcmjs.data.DicomMessage.readFile(buffer, untilPixelData ? { untilTag: PIXEL_DATA, includeUntilTagValue: false, ignoreErrors: false } : { ignoreErrors: false });
  } catch (e) {
    throw new DicomReadError(`${path} is not a readable DICOM Part 10 file: ${errorText(e)}`);
  }
}

function naturalise(d: dcmjs.DicomDictionary): ParsedFile {
  const nat = dcmjs.data.DicomMetaDictionary.naturalizeDataset;
  return { meta: nat(d.meta), dataset: nat(d.dict) };
}

async function readAll(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new DicomReadError(`cannot read ${path}: ${errorText(e)}`);
  }
}

/** dcmjs' header of the first bytes of a file, when parsing them reached the Pixel Data tag (so no element was cut). */
function parsePrefix(prefix: Buffer): dcmjs.DicomDictionary | undefined {
  try {
    setUpDcmjs();
    const partial = dcmjs.data.DicomMessage.readFile(toArrayBuffer(prefix), { untilTag: PIXEL_DATA, includeUntilTagValue: false, ignoreErrors: false });
    return PIXEL_DATA in partial.dict ? partial : undefined;
  } catch {
    // The header is longer than the prefix (or deflated).
    return undefined;
  }
}

/** The first `bytes` of a file (`bytes` at most its size); undefined when they cannot be read (the whole-file read says why). */
async function readPrefix(path: string, bytes: number): Promise<Buffer | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const prefix = Buffer.alloc(bytes);
      let got = 0;
      while (got < bytes) {
        const { bytesRead } = await fh.read(prefix, got, bytes - got, got);
        if (bytesRead === 0) return undefined;
        got += bytesRead;
      }
      return prefix;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * The header of a Part 10 file, up to (not including) Pixel Data. Reads only the first 64 KiB
 * when the header fits in it (accepted only if parsing reached the Pixel Data tag, so no element
 * was cut); a longer header (an Enhanced CT's functional groups) up to where the element walk of
 * the multi-frame check finds Pixel Data (accepted on the same condition); otherwise, or for files
 * without pixel data, the whole file.
 */
export async function readDicomHeader(path: string): Promise<ParsedFile> {
  let head: Buffer;
  let size: number;
  try {
    const fh = await open(path, 'r');
    try {
      size = (await fh.stat()).size;
      head = Buffer.alloc(Math.min(HEAD_BYTES, size));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new DicomReadError(`cannot read ${path}: ${errorText(e)}`);
  }
  if (head.length < 132 || head.toString('latin1', 128, 132) !== 'DICM') throw new DicomReadError(`${path} is not a DICOM Part 10 file (no "DICM" at byte 128).`);
  if (size > head.length) {
    const partial = parsePrefix(head);
    if (partial) return naturalise(partial);
    // Not the whole file (hundreds of MB of pixels) for a header of a few hundred KB.
    const at = pixelDataOffset(path);
    if (at !== undefined && at + 4 > head.length && at + 4 < size) {
      const prefix = await readPrefix(path, at + 4);
      const longer = prefix && parsePrefix(prefix);
      if (longer) return naturalise(longer);
    }
  }
  return naturalise(parse(toArrayBuffer(await readAll(path)), path, true));
}

/** A whole Part 10 file (e.g. an RTSTRUCT). */
export async function readDicomFile(path: string): Promise<ParsedFile> {
  return naturalise(parse(toArrayBuffer(await readAll(path)), path, false));
}

/**
 * Which reader the imaging uses: 'fast' (src/dicom/fastRead.ts: only the attributes the imaging
 * reads, with dcmjs' values, and dcmjs for any file it does not cover) or 'dcmjs' (every element;
 * the reference the tests compare the fast one with).
 *
 * The fast reader reads files synchronously: it serves the analysis worker and the CLI (and the
 * console's one slice), where nothing else waits on the thread, and a synchronous read of a file
 * the store has just written (in the page cache) costs a fifth of the CPU of the promise API's
 * open, stat, read and close, each a trip through libuv's thread pool (~20 ms for a study).
 */
export type ImagingReader = 'fast' | 'dcmjs';

/** The first `bytes` of a file (fewer when it is shorter) and whether that is all of it; undefined when it cannot be read. */
function headSync(path: string, bytes: number): { head: Buffer; complete: boolean } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.allocUnsafe(bytes);
    const n = readSync(fd, head, 0, bytes, 0);
    return { head: head.subarray(0, n), complete: n < bytes };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function wholeSync(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The attributes the imaging reads from a file's header (up to Pixel Data): the image header's
 * and the multi-frame code's. Same values as `readDicomHeader`'s for those attributes; a file the
 * fast reader does not cover, or cannot read, goes to `readDicomHeader` (which says what is wrong).
 */
export async function readImagingHeader(path: string, reader: ImagingReader = 'fast'): Promise<ParsedFile> {
  if (reader === 'fast') {
    const first = headSync(path, FAST_HEAD_BYTES);
    let fast = first && fastParse(first.head, first.complete, true);
    if (fast === 'more') {
      const whole = wholeSync(path);
      fast = whole && fastParse(whole, true, true);
    }
    if (fast !== undefined && fast !== 'more') return fast;
  }
  return readDicomHeader(path);
}

/** The attributes the imaging reads from a whole file (an RTSTRUCT: `parseStructureSet`'s); same values as `readDicomFile`'s for those. */
export async function readImagingFile(path: string, reader: ImagingReader = 'fast'): Promise<ParsedFile> {
  const whole = reader === 'fast' ? wholeSync(path) : undefined;
  const fast = whole && fastParse(whole, true, false);
  if (fast !== undefined && fast !== 'more') return fast;
  return whole ? naturalise(parse(toArrayBuffer(whole), path, false)) : readDicomFile(path);
}

// --- Pixel data -----------------------------------------------------------------------------

const NATIVE = new Set<string>([TransferSyntax.ImplicitVrLittleEndian, TransferSyntax.ExplicitVrLittleEndian, TransferSyntax.DeflatedExplicitVrLittleEndian, TransferSyntax.ExplicitVrBigEndian]);
const BIG_ENDIAN = TransferSyntax.ExplicitVrBigEndian;

type Decoder = (ctx: Context) => Context;
const DECODERS: Record<string, { name: string; decode: Decoder; lossy: boolean }> = {
  [TransferSyntax.RleLossless]: { name: 'RLE Lossless', decode: (c) => NativeCodecs.decodeRle(c, {}), lossy: false },
  [TransferSyntax.JpegBaseline]: { name: 'JPEG Baseline', decode: (c) => NativeCodecs.decodeJpeg(c, { convertColorspaceToRgb: false }), lossy: true },
  [TransferSyntax.JpegExtended]: { name: 'JPEG Extended', decode: (c) => NativeCodecs.decodeJpeg(c, { convertColorspaceToRgb: false }), lossy: true },
  [TransferSyntax.JpegLossless]: { name: 'JPEG Lossless (Process 14)', decode: (c) => NativeCodecs.decodeJpeg(c, { convertColorspaceToRgb: false }), lossy: false },
  [TransferSyntax.JpegLosslessSv1]: { name: 'JPEG Lossless SV1', decode: (c) => NativeCodecs.decodeJpeg(c, { convertColorspaceToRgb: false }), lossy: false },
  [TransferSyntax.JpegLsLossless]: { name: 'JPEG-LS Lossless', decode: (c) => NativeCodecs.decodeJpegLs(c, {}), lossy: false },
  [TransferSyntax.JpegLsNearLossless]: { name: 'JPEG-LS Near-Lossless', decode: (c) => NativeCodecs.decodeJpegLs(c, {}), lossy: true },
  [TransferSyntax.Jpeg2000Lossless]: { name: 'JPEG 2000 Lossless', decode: (c) => NativeCodecs.decodeJpeg2000(c, {}), lossy: false },
  [TransferSyntax.Jpeg2000]: { name: 'JPEG 2000', decode: (c) => NativeCodecs.decodeJpeg2000(c, {}), lossy: true },
  [TransferSyntax.HtJpeg2000Lossless]: { name: 'HTJ2K Lossless', decode: (c) => NativeCodecs.decodeHtJpeg2000(c, {}), lossy: false },
  [TransferSyntax.HtJpeg2000RpclLossless]: { name: 'HTJ2K Lossless RPCL', decode: (c) => NativeCodecs.decodeHtJpeg2000(c, {}), lossy: false },
  [TransferSyntax.HtJpeg2000]: { name: 'HTJ2K', decode: (c) => NativeCodecs.decodeHtJpeg2000(c, {}), lossy: true },
  [TransferSyntax.JpegXlLossless]: { name: 'JPEG XL Lossless', decode: (c) => NativeCodecs.decodeJpegXl(c, {}), lossy: false },
  [TransferSyntax.JpegXlJpegRecompression]: { name: 'JPEG XL JPEG Recompression', decode: (c) => NativeCodecs.decodeJpegXl(c, {}), lossy: false },
  [TransferSyntax.JpegXl]: { name: 'JPEG XL', decode: (c) => NativeCodecs.decodeJpegXl(c, {}), lossy: true },
};

/** Whether images in this transfer syntax can be decoded here. */
export function transferSyntaxSupported(uid: string): boolean {
  return NATIVE.has(uid) || uid in DECODERS;
}

/** Whether the transfer syntax loses information (HU values altered by compression). */
export function transferSyntaxLossy(uid: string): boolean {
  return DECODERS[uid]?.lossy ?? false;
}

let codecsReady: Promise<void> | null = null;
/** Initialises the dcmjs-codecs WebAssembly once per process (only compressed images need it). */
export function initialiseCodecs(): Promise<void> {
  if (!codecsReady) {
    setUpDcmjs();
    codecsReady = NativeCodecs.isInitialized() ? Promise.resolve() : NativeCodecs.initializeAsync({ logCodecsInfo: false, logCodecsTrace: false });
    codecsReady.catch(() => (codecsReady = null));
  }
  return codecsReady;
}

function concat(parts: ArrayBuffer[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/**
 * The stored samples of a single-frame image file, decoded. `layout` is the pixel layout from
 * its header; the result has rows × columns samples of its bit depth and signedness.
 */
export async function readPixelSamples(path: string, layout: PixelLayout, reader: ImagingReader = 'fast'): Promise<RawSamples> {
  const bytes = (reader === 'fast' && wholeSync(path)) || (await readAll(path));
  if (reader === 'fast') {
    // Native Pixel Data is read where it lies; anything else (encapsulated, big endian, deflated) goes through dcmjs.
    const at = locateNativePixelData(bytes);
    // A plain Uint8Array (not a Buffer, whose slice() is a view): samplesFromBytes copies it if misaligned.
    if (at) return decodeFrame(new Uint8Array(bytes.buffer, bytes.byteOffset + at.offset, at.length), at.transferSyntaxUid, layout, path);
  }
  const parsed = parse(toArrayBuffer(bytes), path, false);
  const { syntax, value } = pixelData(parsed, path);
  // A single-frame image may come in several fragments: they form one frame.
  return decodeFrame(NATIVE.has(syntax) ? value[0] : concat(value), syntax, layout, path);
}

/** The frames of one multi-frame file, parsed once and decoded one by one as asked. */
export interface MultiFrameFile {
  /** Frames the Pixel Data holds (whole frames of native data, or encapsulated frames). */
  readonly framesInPixelData: number;
  /** The stored samples of frame `index` (from 0). */
  frame(index: number): Promise<RawSamples>;
}

/** What a file's Pixel Data holds, as openMultiFrame counts it: the bytes of native data, or the encapsulated frames (dcmjs' value entries). */
export type PixelDataHolding = { native: true; bytes: number } | { native: false; frames: number };

function frameBytesOf(layout: PixelLayout): number {
  return layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
}

/**
 * Why a multi-frame file's Pixel Data does not hold the Number of Frames it declares; undefined
 * when it does. The one wording for openMultiFrame and checkMultiFrame, whichever counted.
 */
function frameCountProblem(path: string, layout: PixelLayout, holding: PixelDataHolding): string | undefined {
  const declared = layout.numberOfFrames;
  if (holding.native) {
    const frameBytes = frameBytesOf(layout);
    const bytes = holding.bytes;
    // One padding byte keeps an odd length even; anything more or less is a different frame count.
    if (bytes === declared * frameBytes || bytes === declared * frameBytes + 1) return undefined;
    return `${path} declares ${declared} frames (Number of Frames) of ${layout.columns} × ${layout.rows} × ${layout.bitsAllocated} bits, but its Pixel Data holds ${bytes} bytes (${(bytes / frameBytes).toFixed(2)} frames); the object is damaged: send it again, or as classic CT images.`;
  }
  const held = holding.frames;
  if (held === declared) return undefined;
  return `${path} declares ${declared} frames (Number of Frames), but its encapsulated Pixel Data holds ${held} ${held === 1 ? 'frame' : 'frames'} (fragments without an offset table that says which form each frame count as one each); send it again, uncompressed, or as classic CT images.`;
}

/**
 * Opens a multi-frame image file (Enhanced CT) for frame-by-frame decoding. Throws DicomReadError
 * when its Pixel Data does not hold the Number of Frames it declares (`layout.numberOfFrames`).
 */
export async function openMultiFrame(path: string, layout: PixelLayout): Promise<MultiFrameFile> {
  const parsed = parse(toArrayBuffer(await readAll(path)), path, false);
  const { syntax, value } = pixelData(parsed, path);
  const declared = layout.numberOfFrames;
  const frameBytes = frameBytesOf(layout);
  const native = NATIVE.has(syntax);
  const problem = frameCountProblem(path, layout, native ? { native: true, bytes: value[0].byteLength } : { native: false, frames: value.length });
  if (problem !== undefined) throw new DicomReadError(problem);
  const frames: ArrayBuffer[] | Uint8Array = native ? new Uint8Array(value[0]) : value;
  const held = frames instanceof Uint8Array ? (frameBytes > 0 ? Math.floor(frames.byteLength / frameBytes) : 0) : frames.length;
  return {
    framesInPixelData: held,
    frame: async (index: number) => {
      if (!Number.isInteger(index) || index < 0 || index >= declared) throw new DicomReadError(`${path} has no frame ${index + 1} (it has ${declared}).`);
      if (frames instanceof Uint8Array) return decodeFrame(frames.subarray(index * frameBytes, (index + 1) * frameBytes), syntax, { ...layout, numberOfFrames: 1 }, path);
      return decodeFrame(new Uint8Array(frames[index]), syntax, { ...layout, numberOfFrames: 1 }, path);
    },
  };
}

// --- The frame count of a multi-frame file, from its element headers -----------------------

/**
 * Checks that a multi-frame image file's Pixel Data holds the Number of Frames it declares
 * (`layout.numberOfFrames`): resolves when it does, throws openMultiFrame's DicomReadError when it
 * does not. It reads the element headers that lead to Pixel Data and, for encapsulated data, the
 * item headers of its fragments (pixelDataHolding), never the pixels: for a 150 MB Enhanced CT a
 * few reads instead of the whole file parsed by dcmjs. A file the byte-level count does not cover
 * goes to openMultiFrame, whose answer (or error) it gives.
 *
 * For a file whose header dcmjs has read (readImagingHeader gives every multi-frame object to
 * dcmjs): the elements before Pixel Data are then known to parse, so what dcmjs' whole-file parse
 * would add is Pixel Data and what follows it, which pixelDataHolding reads as dcmjs would.
 */
export async function checkMultiFrame(path: string, layout: PixelLayout): Promise<void> {
  const holding = pixelDataHolding(path);
  if (holding === undefined) {
    await openMultiFrame(path, layout);
    return;
  }
  const problem = frameCountProblem(path, layout, holding);
  if (problem !== undefined) throw new DicomReadError(problem);
}

/** The byte-level count does not cover this file: dcmjs decides. */
class Uncovered extends Error {}

const TAG_TRANSFER_SYNTAX = 0x00020010;
/** Read while walking the header (a few large reads) ... */
const HEADER_WINDOW = 64 * 1024;
/** ... and while hopping from fragment to fragment (one small read per frame, not 64 KiB). */
const FRAGMENT_WINDOW = 4 * 1024;

/** Little-endian reads anywhere in a file through one reused window: the walk reads headers and jumps over values. */
class FileWindow {
  private readonly buf: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
    windowBytes: number,
  ) {
    this.buf = Buffer.allocUnsafe(windowBytes);
  }

  /** Where [pos, pos + bytes) lies in the window, loaded if need be; never past the file's end. */
  private locate(pos: number, bytes: number): number {
    if (pos < 0 || pos + bytes > this.size) throw new Uncovered();
    if (pos < this.start || pos + bytes > this.end) {
      let got = 0;
      const want = Math.min(this.buf.length, this.size - pos);
      try {
        while (got < want) {
          const n = readSync(this.fd, this.buf, got, want - got, pos + got);
          if (n === 0) break;
          got += n;
        }
      } catch {
        throw new Uncovered();
      }
      this.start = pos;
      this.end = pos + got;
      // Shorter than it said (changed under us): openMultiFrame reads what is there.
      if (pos + bytes > this.end) throw new Uncovered();
    }
    return pos - this.start;
  }

  u16(pos: number): number {
    return this.buf.readUInt16LE(this.locate(pos, 2));
  }

  u32(pos: number): number {
    return this.buf.readUInt32LE(this.locate(pos, 4));
  }

  tag(pos: number): number {
    return ((this.u16(pos) << 16) | this.u16(pos + 2)) >>> 0;
  }

  /** A short text (a VR, a UID); `bytes` at most the window. */
  latin1(pos: number, bytes: number): string {
    const i = this.locate(pos, bytes);
    return this.buf.toString('latin1', i, i + bytes);
  }
}

/** Explicit VRs we walk; any other is for dcmjs (which reads an unknown one as UN). */
const EXPLICIT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV']);
/**
 * VRs dcmjs reads as whole values of this many bytes: a length that is not a multiple makes it read
 * past the element (a US of 1 byte takes 2), so such an element is left to it.
 */
const FIXED_SIZE = new Map<string, number>([
  ['AT', 4],
  ['FD', 8],
  ['FL', 4],
  ['SL', 4],
  ['SS', 2],
  ['UL', 4],
  ['US', 2],
]);

/** How dcmjs steps over an element: a sequence (items), whole values of a fixed size, or `length` bytes. */
type Stepping = 'sequence' | number | 'bytes';

interface ElementHead {
  tag: number;
  length: number;
  valuePos: number;
  stepping: Stepping;
}

/** The VR dcmjs gives an Implicit VR element: its dictionary's, or its guess for a tag it does not know. */
function implicitStepping(tag: number, length: number): Stepping {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  const entry = dcmjs.data.DicomMetaDictionary.dictionary[`(${hex.slice(0, 4)},${hex.slice(4)})`];
  if (entry === undefined) return length === UNDEFINED_LENGTH ? 'sequence' : 'bytes';
  if (entry.vr === 'SQ') return 'sequence';
  // 'xs' (US or SS) is read as US.
  return FIXED_SIZE.get(entry.vr === 'xs' ? 'US' : entry.vr) ?? 'bytes';
}

function elementAt(w: FileWindow, pos: number, explicit: boolean): ElementHead {
  const tag = w.tag(pos);
  // Items and delimitations belong inside sequences; one here is a damaged file.
  if (tag >>> 16 === 0xfffe) throw new Uncovered();
  if (!explicit) {
    const length = w.u32(pos + 4);
    return { tag, length, valuePos: pos + 8, stepping: implicitStepping(tag, length) };
  }
  const vr = w.latin1(pos + 4, 2);
  if (!EXPLICIT_VRS.has(vr)) throw new Uncovered();
  // A UN of a known tag, and dcmjs' UN for OL, OV, SV and UV, are read as `length` bytes like any other binary value.
  const stepping: Stepping = vr === 'SQ' ? 'sequence' : (FIXED_SIZE.get(vr) ?? 'bytes');
  if (LONG_VRS.has(vr)) return { tag, length: w.u32(pos + 8), valuePos: pos + 12, stepping };
  return { tag, length: w.u16(pos + 6), valuePos: pos + 8, stepping };
}

/** Where dcmjs' parse goes on after the element. */
function stepOver(w: FileWindow, e: ElementHead): number {
  if (e.stepping === 'sequence') return stepOverSequence(w, e.valuePos, e.length);
  // Undefined length outside a sequence: encapsulated data, which dcmjs splits into fragments; not before Pixel Data here.
  if (e.length === UNDEFINED_LENGTH) throw new Uncovered();
  if (typeof e.stepping === 'number' && e.length % e.stepping !== 0) throw new Uncovered();
  if (e.valuePos + e.length > w.size) throw new Uncovered();
  return e.valuePos + e.length;
}

/**
 * Steps over a sequence's items as dcmjs does: an item of defined length by its length, one of
 * undefined length by dcmjs' scan for its delimitation (stepOverItem); a defined-length sequence
 * ends when the items have filled its length exactly (anything else is left to dcmjs).
 */
function stepOverSequence(w: FileWindow, pos: number, length: number): number {
  if (length === 0) return pos;
  const defined = length !== UNDEFINED_LENGTH;
  if (defined && pos + length > w.size) throw new Uncovered();
  let read = 0;
  for (;;) {
    const tag = w.tag(pos);
    pos += 4;
    read += 4;
    if (tag === SEQUENCE_DELIMITATION) {
      if (w.u32(pos) !== 0) throw new Uncovered();
      return pos + 4;
    }
    // dcmjs stops once it has read a defined length, even just after a tag.
    if (defined && read === length) return pos;
    if (tag !== ITEM) throw new Uncovered();
    const itemLength = w.u32(pos);
    pos += 4;
    const itemEnd = itemLength === UNDEFINED_LENGTH ? stepOverItem(w, pos) : pos + itemLength;
    if (itemEnd > w.size) throw new Uncovered();
    read += 4 + itemEnd - pos;
    pos = itemEnd;
    if (defined && read >= length) {
      if (read === length) return pos;
      throw new Uncovered();
    }
  }
}

/**
 * The end of an item of undefined length as dcmjs finds it: not by walking its elements but by
 * scanning its bytes two at a time for (FFFE,E000) items of undefined length (one level deeper)
 * and (FFFE,E00D) delimitations of length 0 (one level up), until one closes the item; so a value
 * that holds those bytes ends the item where dcmjs ends it. Returns the position after it.
 */
function stepOverItem(w: FileWindow, pos: number): number {
  let depth = 0;
  for (;;) {
    if (w.u16(pos) !== 0xfffe) {
      pos += 2;
      continue;
    }
    const element = w.u16(pos + 2);
    const length = w.u32(pos + 4);
    if (element === 0xe00d) {
      // A delimitation with a length: dcmjs loses count of where it is; its parse decides.
      if (length !== 0) throw new Uncovered();
      if (--depth < 0) return pos + 8;
      pos += 4;
    } else if (element === 0xe000) {
      if (length === UNDEFINED_LENGTH) depth++;
      pos += 4;
    } else {
      pos += 2;
    }
  }
}

/** The Transfer Syntax UID of the file meta information [pos, end), when it is a plain one. */
function transferSyntaxOf(w: FileWindow, pos: number, end: number): string {
  let syntax: string | undefined;
  while (pos < end) {
    const e = elementAt(w, pos, true);
    const next = stepOver(w, e);
    if (next > end) throw new Uncovered();
    if (e.tag === TAG_TRANSFER_SYNTAX) {
      if (syntax !== undefined || e.length > 66 || w.latin1(pos + 4, 2) !== 'UI') throw new Uncovered();
      // A UID padded with one NUL; anything else (spaces, several values) is for dcmjs' rules.
      const text = w.latin1(e.valuePos, e.length).replace(/\0$/, '');
      if (!/^[0-9.]+$/.test(text)) throw new Uncovered();
      syntax = text;
    }
    pos = next;
  }
  if (syntax === undefined) throw new Uncovered();
  return syntax;
}

/**
 * The frames of encapsulated Pixel Data whose value starts at `pos`, as dcmjs counts them (its
 * value entries): with a Basic Offset Table, one per offset, each frame the fragments from its
 * offset to the next; without, one per fragment. Covered when the table's offsets are increasing
 * and each is where a fragment starts, and the fragments end with a sequence delimitation that
 * ends the file. `bot` reads the offset table while `w` hops over the fragments.
 */
function encapsulatedFrames(w: FileWindow, bot: FileWindow, pos: number): number {
  if (w.tag(pos) !== ITEM) throw new Uncovered();
  const tableLength = w.u32(pos + 4);
  const first = pos + 8 + tableLength;
  // dcmjs reads the table as whole offsets.
  if (tableLength % 4 !== 0 || first > w.size) throw new Uncovered();
  const offsets = tableLength / 4;
  const offset = (i: number) => bot.u32(pos + 8 + 4 * i);
  let met = 0;
  let fragments = 0;
  // Each fragment takes 8 bytes at least: the walk ends within size / 8 steps.
  for (let p = first; ; ) {
    const tag = w.tag(p);
    const length = w.u32(p + 4);
    if (tag === SEQUENCE_DELIMITATION) {
      // Whatever follows Pixel Data, dcmjs parses too: left to it.
      // No frame at all: openMultiFrame's error is "no Pixel Data", its own.
      if (length !== 0 || p + 8 !== w.size || met < offsets || fragments === 0) throw new Uncovered();
      return offsets > 0 ? offsets : fragments;
    }
    if (tag !== ITEM || length === UNDEFINED_LENGTH || length > w.size - p - 8) throw new Uncovered();
    if (met < offsets) {
      const at = p - first;
      const next = offset(met);
      if (next < at) throw new Uncovered();
      if (next === at) {
        met++;
        if (met < offsets && offset(met) <= at) throw new Uncovered();
      }
    }
    fragments++;
    p += 8 + length;
  }
}

/** Opens `path` for the walk; undefined when the walk does not cover it or the file cannot be read (dcmjs, which reads it next, says why). */
function walkFile<T>(path: string, walk: (header: FileWindow, fragments: FileWindow) => T): T | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    return walk(new FileWindow(fd, size, HEADER_WINDOW), new FileWindow(fd, size, FRAGMENT_WINDOW));
  } catch (e) {
    // Node's errors carry a code (`instanceof` depends on the realm).
    if (e instanceof Uncovered || (typeof e === 'object' && e !== null && typeof (e as NodeJS.ErrnoException).code === 'string')) return undefined;
    throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Where dcmjs' parse meets top-level Pixel Data (its tag), and the transfer syntax it reads the file in. */
function locatePixelData(w: FileWindow): { syntax: string; explicit: boolean; pos: number } {
  if (w.size < 144 || w.latin1(128, 4) !== 'DICM') throw new Uncovered();
  // (0002,0000) UL of 4 bytes: the length of the rest of the file meta information, which dcmjs requires.
  if (w.tag(132) !== 0x00020000 || w.latin1(136, 2) !== 'UL' || w.u16(138) !== 4) throw new Uncovered();
  const datasetStart = 144 + w.u32(140);
  if (datasetStart > w.size) throw new Uncovered();
  const syntax = transferSyntaxOf(w, 144, datasetStart);
  if (syntax === TransferSyntax.DeflatedExplicitVrLittleEndian || syntax === BIG_ENDIAN) throw new Uncovered();
  // dcmjs reads every syntax but Implicit VR Little Endian as Explicit VR Little Endian.
  const explicit = syntax !== TransferSyntax.ImplicitVrLittleEndian;
  let pos = datasetStart;
  while (w.tag(pos) !== PIXEL_DATA_TAG) pos = stepOver(w, elementAt(w, pos, explicit));
  return { syntax, explicit, pos };
}

/**
 * What the Pixel Data of a Part 10 file holds, as openMultiFrame would count it after dcmjs' parse,
 * read from element headers only; undefined when this does not cover the file: big endian or
 * deflated syntaxes, an element dcmjs would read in a way this does not follow, Pixel Data that is
 * not the file's last element, runs past its end or is not what its syntax says (native or
 * encapsulated), an unreadable file. Every length is checked against the file's size before it
 * is followed, and nothing is allocated from one.
 *
 * It steps over the top-level elements as dcmjs' parser does, which is not always the standard's
 * way: see stepOver, stepOverSequence and stepOverItem.
 */
export function pixelDataHolding(path: string): PixelDataHolding | undefined {
  return walkFile(path, (w, fragments) => {
    const { syntax, explicit, pos } = locatePixelData(w);
    let length: number;
    let valuePos: number;
    if (explicit) {
      const vr = w.latin1(pos + 4, 2);
      if (vr !== 'OB' && vr !== 'OW') throw new Uncovered();
      length = w.u32(pos + 8);
      valuePos = pos + 12;
    } else {
      length = w.u32(pos + 4);
      valuePos = pos + 8;
    }
    if (NATIVE.has(syntax)) {
      // Beyond the end, dcmjs would pad the value with zeros, or fail to allocate it.
      if (length === UNDEFINED_LENGTH || valuePos + length !== w.size) throw new Uncovered();
      return { native: true, bytes: length };
    }
    if (length !== UNDEFINED_LENGTH) throw new Uncovered();
    return { native: false, frames: encapsulatedFrames(w, fragments, valuePos) };
  });
}

/** Where top-level Pixel Data starts (its tag) as dcmjs' parse meets it; undefined when the walk does not cover the file. */
function pixelDataOffset(path: string): number | undefined {
  return walkFile(path, (w) => locatePixelData(w).pos);
}

function pixelData(parsed: dcmjs.DicomDictionary, path: string): { syntax: string; value: ArrayBuffer[] } {
  const syntax = String((parsed.meta['00020010']?.Value ?? [])[0] ?? TransferSyntax.ImplicitVrLittleEndian);
  const element = parsed.dict[PIXEL_DATA];
  const value = (element?.Value ?? []).filter((v): v is ArrayBuffer => v instanceof ArrayBuffer);
  if (value.length === 0) throw new DicomReadError(`${path} has no Pixel Data.`);
  return { syntax, value };
}

/** One frame's bytes (native, or one encapsulated frame) → its stored samples. */
async function decodeFrame(frame: ArrayBuffer | Uint8Array, syntax: string, layout: PixelLayout, path: string): Promise<RawSamples> {
  const expected = layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
  let bytes: Uint8Array;
  if (NATIVE.has(syntax)) {
    bytes = frame instanceof Uint8Array ? frame : new Uint8Array(frame);
    if (syntax === BIG_ENDIAN && layout.bitsAllocated > 8) bytes = swapBytes(bytes, layout.bitsAllocated / 8);
  } else {
    const codec = DECODERS[syntax];
    if (!codec) throw new DicomReadError(`${path} uses transfer syntax ${syntax}, which cannot be decoded here; send it uncompressed or in a lossless syntax (RLE, JPEG-LS, JPEG 2000, JPEG Lossless).`);
    await initialiseCodecs();
    const ctx = new Context({
      width: layout.columns,
      height: layout.rows,
      bitsAllocated: layout.bitsAllocated,
      bitsStored: layout.bitsStored,
      samplesPerPixel: layout.samplesPerPixel,
      pixelRepresentation: layout.pixelRepresentation,
      planarConfiguration: 0,
      photometricInterpretation: layout.photometricInterpretation,
      encodedBuffer: frame instanceof Uint8Array ? frame : new Uint8Array(frame),
    });
    let decoded: Uint8Array | undefined;
    try {
      decoded = codec.decode(ctx).getDecodedBuffer();
    } catch (e) {
      throw new DicomReadError(`${path}: ${codec.name} decoding failed: ${errorText(e)}`);
    }
    if (!decoded) throw new DicomReadError(`${path}: ${codec.name} decoding returned no pixels.`);
    bytes = decoded.slice();
  }
  if (bytes.byteLength < expected) throw new DicomReadError(`${path}: pixel data holds ${bytes.byteLength} bytes, the image needs ${expected} (${layout.columns} × ${layout.rows} × ${layout.bitsAllocated} bits).`);
  return samplesFromBytes(bytes, layout);
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i + width <= bytes.length; i += width) for (let b = 0; b < width; b++) out[i + b] = bytes[i + width - 1 - b];
  return out;
}
