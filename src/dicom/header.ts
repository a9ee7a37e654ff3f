/**
 * Reads the few header attributes the store and study assembly need from a received dataset,
 * without decoding anything else: a small element walker over Little Endian (implicit or explicit
 * VR) bytes. It stops before Pixel Data, so a CT needs only its first kilobytes, and for an
 * RTSTRUCT it collects the references that tell when a study is complete:
 *   Referenced Frame of Reference Sequence (3006,0010) › Frame of Reference UID
 *     › RT Referenced Study (3006,0012) › RT Referenced Series (3006,0014) › Series Instance UID
 *       › Contour Image Sequence (3006,0016) › Referenced SOP Instance UID
 *   Structure Set ROI Sequence (3006,0020) › Referenced Frame of Reference UID (3006,0024)
 *   ROI Contour Sequence (3006,0039) › Contour Sequence (3006,0040) › Contour Image Sequence › ...
 * Walked to its end (`walkToEnd`), it is also the check that an instance is readable before we
 * acknowledge it: every top-level element fits, sequences and encapsulated fragments are well
 * formed, and native Pixel Data holds what Rows × Columns × Samples per Pixel × Bits Allocated
 * (× Number of Frames) requires. It reads element headers only, never values it does not keep,
 * so the dataset may sit in a file (`DatasetBytes`) and the check costs a few reads, not a decode.
 * Pure apart from the byte source: bytes in, plain data out.
 */
import { SopClass } from './uids';

/** Random access to a dataset of known length (a Buffer, or a file read on demand); callers check bounds against `length`. */
export interface DatasetBytes {
  readonly length: number;
  /** Bytes [start, end). */
  slice(start: number, end: number): Buffer;
  /** Little-endian integers at `pos` (without allocating: the walker reads thousands). */
  u16(pos: number): number;
  u32(pos: number): number;
}

function bufferBytes(buf: Buffer): DatasetBytes {
  return { length: buf.length, slice: (start, end) => buf.subarray(start, end), u16: (pos) => buf.readUInt16LE(pos), u32: (pos) => buf.readUInt32LE(pos) };
}

export interface RtStructReferences {
  /** Frames of reference the structure set was drawn in (deduplicated). */
  frameOfReferenceUids: string[];
  /** Series listed under RT Referenced Series. */
  seriesUids: string[];
  /** Every image named in a Contour Image Sequence, series-level and per contour (deduplicated). */
  imageUids: string[];
}

export interface InstanceHeader {
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  patientId?: string;
  modality?: string;
  frameOfReferenceUid?: string;
  instanceNumber?: number;
  seriesNumber?: number;
  studyDate?: string;
  accessionNumber?: string;
  rtstruct?: RtStructReferences;
}

/** The bytes end before the attributes we need: give more of the dataset. */
export class TruncatedDatasetError extends Error {
  override readonly name = 'TruncatedDatasetError';
}

/** The dataset cannot be walked (a length runs past the end, an item tag is missing ...). */
export class MalformedDatasetError extends Error {
  override readonly name = 'MalformedDatasetError';
}


const enum Tag {
  SpecificCharacterSet = 0x00080005,
  SopClassUid = 0x00080016,
  SopInstanceUid = 0x00080018,
  StudyDate = 0x00080020,
  AccessionNumber = 0x00080050,
  Modality = 0x00080060,
  ReferencedSopInstanceUid = 0x00081155,
  PatientId = 0x00100020,
  StudyInstanceUid = 0x0020000d,
  SeriesInstanceUid = 0x0020000e,
  SeriesNumber = 0x00200011,
  InstanceNumber = 0x00200013,
  FrameOfReferenceUid = 0x00200052,
  ReferencedFrameOfReferenceSequence = 0x30060010,
  RtReferencedStudySequence = 0x30060012,
  RtReferencedSeriesSequence = 0x30060014,
  ContourImageSequence = 0x30060016,
  StructureSetRoiSequence = 0x30060020,
  RoiReferencedFrameOfReferenceUid = 0x30060024,
  RoiContourSequence = 0x30060039,
  ContourSequence = 0x30060040,
  SamplesPerPixel = 0x00280002,
  NumberOfFrames = 0x00280008,
  Rows = 0x00280010,
  Columns = 0x00280011,
  BitsAllocated = 0x00280100,
  PixelData = 0x7fe00010,
  Item = 0xfffee000,
  ItemDelimitation = 0xfffee00d,
  SequenceDelimitation = 0xfffee0dd,
}

const UNDEFINED_LENGTH = 0xffffffff;
/** A value we keep is a UID, a code or a number: longer than this, it is not read. */
const MAX_KEPT_VALUE = 1024;

/** The image pixel attributes the readability check needs (US, or IS for Number of Frames). */
const PIXEL_MODULE = new Set<number>([Tag.SamplesPerPixel, Tag.NumberOfFrames, Tag.Rows, Tag.Columns, Tag.BitsAllocated]);

/** Top-level attributes we read. */
const TOP_LEVEL = new Set<number>([
  Tag.SpecificCharacterSet,
  Tag.SopClassUid,
  Tag.SopInstanceUid,
  Tag.StudyDate,
  Tag.AccessionNumber,
  Tag.Modality,
  Tag.PatientId,
  Tag.StudyInstanceUid,
  Tag.SeriesInstanceUid,
  Tag.SeriesNumber,
  Tag.InstanceNumber,
  Tag.FrameOfReferenceUid,
]);

/** Sequences we descend into; any other sequence of defined length is skipped in one step. */
const RT_SEQUENCES = new Set<number>([
  Tag.ReferencedFrameOfReferenceSequence,
  Tag.RtReferencedStudySequence,
  Tag.RtReferencedSeriesSequence,
  Tag.ContourImageSequence,
  Tag.StructureSetRoiSequence,
  Tag.RoiContourSequence,
  Tag.ContourSequence,
]);

/** Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function hexTag(tag: number): string {
  const h = tag.toString(16).padStart(8, '0').toUpperCase();
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

class Walker {
  private readonly top = new Map<number, Buffer>();
  private readonly pixel = new Map<number, Buffer>();
  private sawPixelData = false;
  private readonly frames = new Set<string>();
  private readonly series = new Set<string>();
  private readonly images = new Set<string>();
  private sawRtSequence = false;
  private stopped = false;

  constructor(
    private readonly buf: DatasetBytes,
    private readonly complete: boolean,
    private readonly toEnd: boolean,
  ) {}

  private u16(pos: number): number {
    return this.buf.u16(pos);
  }

  private u32(pos: number): number {
    return this.buf.u32(pos);
  }

  private tagAt(pos: number): number {
    return ((this.buf.u16(pos) << 16) | this.buf.u16(pos + 2)) >>> 0;
  }

  run(explicitVr: boolean): InstanceHeader {
    const end = this.elements(0, this.buf.length, explicitVr, [], false);
    if (!this.stopped) {
      // Ran off the end of what we were given: either the dataset is cut short, or we need more.
      if (!this.complete) throw new TruncatedDatasetError(`need more than ${this.buf.length} bytes of the dataset.`);
      if (end !== this.buf.length) throw new MalformedDatasetError(`the last element runs ${end - this.buf.length} bytes past the end of the dataset.`);
      if (this.toEnd && !this.sawPixelData && this.pixel.has(Tag.Rows)) {
        throw new MalformedDatasetError('the dataset has Rows and Columns but no Pixel Data; it may have been cut short.');
      }
    }
    const text = (tag: number): string | undefined => {
      const raw = this.top.get(tag);
      if (raw === undefined) return undefined;
      const utf8 = /ISO_IR 192/.test(this.top.get(Tag.SpecificCharacterSet)?.toString('latin1') ?? '');
      const value = raw.toString(utf8 && tag === Tag.PatientId ? 'utf8' : 'latin1').replace(/[\0\s]+$/, '').replace(/^\s+/, '');
      return value === '' ? undefined : value;
    };
    const int = (tag: number): number | undefined => {
      const t = text(tag);
      if (t === undefined) return undefined;
      const n = Number.parseInt(t, 10);
      return Number.isFinite(n) ? n : undefined;
    };
    const header: InstanceHeader = {
      sopClassUid: text(Tag.SopClassUid),
      sopInstanceUid: text(Tag.SopInstanceUid),
      studyInstanceUid: text(Tag.StudyInstanceUid),
      seriesInstanceUid: text(Tag.SeriesInstanceUid),
      patientId: text(Tag.PatientId),
      modality: text(Tag.Modality),
      frameOfReferenceUid: text(Tag.FrameOfReferenceUid),
      instanceNumber: int(Tag.InstanceNumber),
      seriesNumber: int(Tag.SeriesNumber),
      studyDate: text(Tag.StudyDate),
      accessionNumber: text(Tag.AccessionNumber),
    };
    if (header.sopClassUid === SopClass.RtStructureSetStorage || this.sawRtSequence) {
      header.rtstruct = { frameOfReferenceUids: [...this.frames], seriesUids: [...this.series], imageUids: [...this.images] };
    }
    return header;
  }

  private need(pos: number, bytes: number, what: string): void {
    if (pos + bytes <= this.buf.length) return;
    if (this.complete) throw new MalformedDatasetError(`the dataset ends inside ${what} (at byte ${pos}).`);
    throw new TruncatedDatasetError(`need more than ${this.buf.length} bytes of the dataset.`);
  }

  private stopAt(tag: number): boolean {
    if (this.toEnd) return false;
    if (tag >= Tag.PixelData) return true;
    // Nothing we read lies beyond the RT groups; for images, nothing beyond (0020,0052).
    const sopClass = this.top.get(Tag.SopClassUid)?.toString('latin1').replace(/[\0\s]+$/, '');
    if (sopClass === undefined) return false;
    return sopClass === SopClass.RtStructureSetStorage ? tag > 0x3006ffff : tag > Tag.FrameOfReferenceUid;
  }

  /**
   * Walks the elements in [pos, end). Inside an item of undefined length it returns after the
   * item delimitation. `path` lists the sequences we are in, outermost first.
   */
  private elements(pos: number, end: number, explicitVr: boolean, path: number[], undefinedItem: boolean): number {
    while (pos < end && !this.stopped) {
      this.need(pos, 8, 'an element header');
      const tag = this.tagAt(pos);
      if (tag === Tag.ItemDelimitation) {
        if (!undefinedItem) throw new MalformedDatasetError(`unexpected item delimitation at byte ${pos}.`);
        return pos + 8;
      }
      if (path.length === 0 && this.stopAt(tag)) {
        this.stopped = true;
        return pos;
      }
      let vr: string | undefined;
      let length: number;
      let valuePos: number;
      if (explicitVr) {
        vr = String.fromCharCode(this.buf.u16(pos + 4) & 0xff, this.buf.u16(pos + 4) >> 8);
        if (LONG_VRS.has(vr)) {
          this.need(pos, 12, `the header of ${hexTag(tag)}`);
          length = this.u32(pos + 8);
          valuePos = pos + 12;
        } else if (/^[A-Z]{2}$/.test(vr)) {
          length = this.u16(pos + 6);
          valuePos = pos + 8;
        } else {
          throw new MalformedDatasetError(`element ${hexTag(tag)} at byte ${pos} has no valid VR; the transfer syntax may be wrong.`);
        }
      } else {
        length = this.u32(pos + 4);
        valuePos = pos + 8;
      }
      if (path.length === 0 && tag === Tag.PixelData && this.toEnd) {
        pos = this.pixelData(valuePos, length);
        continue;
      }

      const isSequence = vr === 'SQ' || (vr === undefined && (length === UNDEFINED_LENGTH || RT_SEQUENCES.has(tag))) || (vr === 'UN' && length === UNDEFINED_LENGTH);
      if (isSequence) {
        // A UN of undefined length is a sequence encoded in Implicit VR (PS3.5 §6.2.2).
        const itemsExplicit = vr === 'UN' ? false : explicitVr;
        if (length === UNDEFINED_LENGTH) {
          pos = this.sequence(valuePos, Infinity, itemsExplicit, [...path, tag]);
        } else if (RT_SEQUENCES.has(tag)) {
          this.need(valuePos, length, `sequence ${hexTag(tag)}`);
          this.sequence(valuePos, valuePos + length, itemsExplicit, [...path, tag]);
          pos = valuePos + length;
        } else {
          pos = valuePos + length;
        }
        continue;
      }
      if (length === UNDEFINED_LENGTH) {
        // Encapsulated pixel data (e.g. an icon image): fragments until the sequence delimiter.
        pos = this.skipFragments(valuePos);
        continue;
      }
      if (length <= MAX_KEPT_VALUE && this.wanted(tag, path)) {
        this.need(valuePos, length, `the value of ${hexTag(tag)}`);
        this.collect(tag, path, this.buf.slice(valuePos, valuePos + length));
      } else if (path.length === 0 && this.toEnd && PIXEL_MODULE.has(tag) && length <= 16) {
        this.need(valuePos, length, `the value of ${hexTag(tag)}`);
        this.pixel.set(tag, this.buf.slice(valuePos, valuePos + length));
      }
      pos = valuePos + length;
    }
    return pos;
  }

  private sequence(pos: number, end: number, explicitVr: boolean, path: number[]): number {
    if (RT_SEQUENCES.has(path[path.length - 1])) this.sawRtSequence = true;
    while (pos < end && !this.stopped) {
      this.need(pos, 8, 'a sequence item');
      const tag = this.tagAt(pos);
      const length = this.u32(pos + 4);
      if (tag === Tag.SequenceDelimitation) return pos + 8;
      if (tag !== Tag.Item) throw new MalformedDatasetError(`expected an item in sequence ${hexTag(path[path.length - 1])} at byte ${pos}, found ${hexTag(tag)}.`);
      if (length === UNDEFINED_LENGTH) {
        pos = this.elements(pos + 8, Infinity, explicitVr, path, true);
      } else {
        this.need(pos + 8, length, `an item of ${hexTag(path[path.length - 1])}`);
        this.elements(pos + 8, pos + 8 + length, explicitVr, path, false);
        pos = pos + 8 + length;
      }
    }
    if (end === Infinity && !this.stopped) throw new MalformedDatasetError('a sequence of undefined length has no delimitation.');
    return pos;
  }

  /** Skips encapsulated fragments to their sequence delimiter; returns [end, number of items]. */
  private fragments(pos: number): [number, number] {
    for (let items = 0; ; items += 1) {
      this.need(pos, 8, 'an encapsulated fragment');
      const tag = this.tagAt(pos);
      const length = this.u32(pos + 4);
      if (tag === Tag.SequenceDelimitation) return [pos + 8, items];
      if (tag !== Tag.Item || length === UNDEFINED_LENGTH) throw new MalformedDatasetError(`bad encapsulated fragment at byte ${pos}.`);
      if (this.complete && pos + 8 + length > this.buf.length) {
        throw new MalformedDatasetError(`encapsulated fragment ${items} at byte ${pos} declares ${length} bytes; only ${this.buf.length - pos - 8} follow.`);
      }
      pos += 8 + length;
    }
  }

  private skipFragments(pos: number): number {
    return this.fragments(pos)[0];
  }

  /** Top-level Pixel Data: native, it must hold the image the pixel module describes; encapsulated, one fragment per frame at least. */
  private pixelData(valuePos: number, length: number): number {
    this.sawPixelData = true;
    const us = (tag: number) => {
      const v = this.pixel.get(tag);
      return v && v.length >= 2 ? v.readUInt16LE(0) : undefined;
    };
    const frames = Math.max(1, Number.parseInt(this.pixel.get(Tag.NumberOfFrames)?.toString('latin1').trim() ?? '1', 10) || 1);
    if (length === UNDEFINED_LENGTH) {
      const [end, items] = this.fragments(valuePos);
      // The first item is the Basic Offset Table; each frame has at least one fragment after it.
      if (items - 1 < frames) throw new MalformedDatasetError(`encapsulated Pixel Data has ${Math.max(0, items - 1)} fragments for ${frames} frame(s).`);
      return end;
    }
    if (valuePos + length > this.buf.length) {
      throw new MalformedDatasetError(`Pixel Data declares ${length} bytes; only ${this.buf.length - valuePos} were received.`);
    }
    const rows = us(Tag.Rows);
    const columns = us(Tag.Columns);
    const bits = us(Tag.BitsAllocated);
    if (rows === undefined || columns === undefined || bits === undefined) {
      throw new MalformedDatasetError('Pixel Data without Rows, Columns or Bits Allocated before it.');
    }
    const samples = us(Tag.SamplesPerPixel) ?? 1;
    const required = Math.ceil((rows * columns * samples * frames * bits) / 8);
    if (length < required) {
      throw new MalformedDatasetError(
        `Pixel Data holds ${length} bytes; Rows × Columns × Samples per Pixel × Bits Allocated × frames (${rows} × ${columns} × ${samples} × ${bits} bits × ${frames}) requires ${required}.`,
      );
    }
    return valuePos + length;
  }

  private wanted(tag: number, path: number[]): boolean {
    if (path.length === 0) return TOP_LEVEL.has(tag);
    const last = path[path.length - 1];
    switch (tag) {
      case Tag.ReferencedSopInstanceUid:
        return last === Tag.ContourImageSequence;
      case Tag.FrameOfReferenceUid:
        return path.length === 1 && last === Tag.ReferencedFrameOfReferenceSequence;
      case Tag.RoiReferencedFrameOfReferenceUid:
        return path.length === 1 && last === Tag.StructureSetRoiSequence;
      case Tag.SeriesInstanceUid:
        return last === Tag.RtReferencedSeriesSequence;
      default:
        return false;
    }
  }

  private collect(tag: number, path: number[], value: Buffer): void {
    if (path.length === 0) {
      this.top.set(tag, value);
      return;
    }
    const uid = value.toString('latin1').replace(/[\0\s]+$/, '').trim();
    if (uid === '') return;
    if (tag === Tag.ReferencedSopInstanceUid) this.images.add(uid);
    else if (tag === Tag.SeriesInstanceUid) this.series.add(uid);
    else this.frames.add(uid);
  }
}

/**
 * Reads the header attributes of a dataset (without its file meta information).
 * `complete` says whether `dataset` holds the whole dataset; when it does not and the attributes
 * lie further on, a TruncatedDatasetError asks for more bytes. `walkToEnd` walks every element
 * to the last byte instead of stopping before Pixel Data: a check that a file is whole.
 */
export function readInstanceHeader(dataset: Buffer | DatasetBytes, options: { explicitVr: boolean; complete: boolean; walkToEnd?: boolean }): InstanceHeader {
  return new Walker(Buffer.isBuffer(dataset) ? bufferBytes(dataset) : dataset, options.complete, options.walkToEnd === true).run(options.explicitVr);
}

/**
 * The walking rules the imaging's reader (fastRead.ts) and the multi-frame check (read.ts) share:
 * which explicit VRs have a 4-byte length, the undefined length, and the tags of the structure
 * (plain numbers: a const enum does not cross modules compiled one by one).
 */
export { LONG_VRS, UNDEFINED_LENGTH };
export const PIXEL_DATA_TAG: number = Tag.PixelData;
export const ITEM_TAG: number = Tag.Item;
export const ITEM_DELIMITATION_TAG: number = Tag.ItemDelimitation;
export const SEQUENCE_DELIMITATION_TAG: number = Tag.SequenceDelimitation;
