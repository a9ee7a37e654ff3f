/**
 * Reading DICOM Part 10 files with dcmjs: the header alone (everything before Pixel Data,
 * usually from the first 64 KiB of the file), a whole dataset, or the decoded pixel samples of
 * a single-frame image, compressed transfer syntaxes included (dcmjs-codecs WebAssembly,
 * initialised once per process on first use).
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import * as dcmjs from 'dcmjs';
import { Context, log as codecsLog, NativeCodecs } from 'dcmjs-codecs';
import type { NaturalDataset } from './part10';
import { TransferSyntax } from './uids';
import { PixelLayout } from '../imaging/imageHeader';
import { RawSamples, samplesFromBytes } from '../imaging/pixels';
import { quietDicomLibraries } from './quietLibraries';
import { fastParse, locateNativePixelData } from './fastRead';
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

let quiet = false;
function quieten(): void {
  if (quiet) return;
  quiet = true;
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
  quieten();
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

/**
 * The header of a Part 10 file, up to (not including) Pixel Data. Reads only the first 64 KiB
 * when the header fits in it (accepted only if parsing reached the Pixel Data tag, so no element
 * was cut); otherwise, or for files without pixel data, the whole file.
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
    try {
      quieten();
      const partial = dcmjs.data.DicomMessage.readFile(toArrayBuffer(head), { untilTag: PIXEL_DATA, includeUntilTagValue: false, ignoreErrors: false });
      if (PIXEL_DATA in partial.dict) return naturalise(partial);
    } catch {
      // The header is longer than the prefix (or deflated): read it all below.
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
    quieten();
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

/**
 * Opens a multi-frame image file (Enhanced CT) for frame-by-frame decoding. Throws DicomReadError
 * when its Pixel Data does not hold the Number of Frames it declares (`layout.numberOfFrames`).
 */
export async function openMultiFrame(path: string, layout: PixelLayout): Promise<MultiFrameFile> {
  const parsed = parse(toArrayBuffer(await readAll(path)), path, false);
  const { syntax, value } = pixelData(parsed, path);
  const declared = layout.numberOfFrames;
  const frameBytes = layout.rows * layout.columns * layout.samplesPerPixel * (layout.bitsAllocated / 8);
  let frames: ArrayBuffer[] | Uint8Array;
  let held: number;
  if (NATIVE.has(syntax)) {
    frames = new Uint8Array(value[0]);
    held = frameBytes > 0 ? Math.floor(frames.byteLength / frameBytes) : 0;
    // One padding byte keeps an odd length even; anything more or less is a different frame count.
    const exact = frames.byteLength === declared * frameBytes || frames.byteLength === declared * frameBytes + 1;
    if (!exact) {
      throw new DicomReadError(
        `${path} declares ${declared} frames (Number of Frames) of ${layout.columns} × ${layout.rows} × ${layout.bitsAllocated} bits, but its Pixel Data holds ${frames.byteLength} bytes (${(frames.byteLength / frameBytes).toFixed(2)} frames); the object is damaged: send it again, or as classic CT images.`,
      );
    }
  } else {
    frames = value;
    held = value.length;
    if (held !== declared) {
      throw new DicomReadError(
        `${path} declares ${declared} frames (Number of Frames), but its encapsulated Pixel Data holds ${held} ${held === 1 ? 'frame' : 'frames'} (fragments without an offset table that says which form each frame count as one each); send it again, uncompressed, or as classic CT images.`,
      );
    }
  }
  return {
    framesInPixelData: held,
    frame: async (index: number) => {
      if (!Number.isInteger(index) || index < 0 || index >= declared) throw new DicomReadError(`${path} has no frame ${index + 1} (it has ${declared}).`);
      if (frames instanceof Uint8Array) return decodeFrame(frames.subarray(index * frameBytes, (index + 1) * frameBytes), syntax, { ...layout, numberOfFrames: 1 }, path);
      return decodeFrame(new Uint8Array(frames[index]), syntax, { ...layout, numberOfFrames: 1 }, path);
    },
  };
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
