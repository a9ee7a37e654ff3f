/**
 * A reader of our own for what the analysis reads of a study: the header attributes of CT images,
 * the RT Structure Set (ROIs, contours with their Contour Data), and where native Pixel Data lies
 * in the file. It walks the element headers of a Part 10 file and converts only the attributes
 * listed in WANTED (those `imageHeader()` and `parseStructureSet()` read), giving them exactly the
 * values dcmjs' naturalised dataset holds (its trimming, number parsing, character set rules, its
 * latin1 for strings inside sequence items ...), so that the same code turns them into the same
 * ImageHeader and StructureSet. dcmjs decodes every element of the file into objects; for a
 * 458 KB RTSTRUCT or 60 CT headers that was most of the reading time.
 *
 * It does not guess: whatever it does not cover comes back as `undefined` and the caller reads the
 * file with dcmjs as before (a wanted attribute with an unexpected VR, UN included; big endian or
 * deflated syntaxes; character sets other than the default, ISO_IR 100 and ISO_IR 192, or more
 * than one; multi-frame objects, whose functional groups the multi-frame code reads from dcmjs'
 * dataset; float pixel data; anything malformed, so that dcmjs' error says what is wrong).
 * It walks elements by the rules of the store's header walker (header.ts, whose VR table it
 * shares), but on its own: that walker keeps a fixed few values as bytes and stops where the store
 * has what it needs, while this one builds the nested datasets the imaging reads.
 * Pure: bytes in, plain data out.
 */
import { TextDecoder } from 'node:util';
import { ITEM_DELIMITATION_TAG as ITEM_DELIMITATION, ITEM_TAG as ITEM, LONG_VRS, PIXEL_DATA_TAG as PIXEL_DATA, SEQUENCE_DELIMITATION_TAG as SEQUENCE_DELIMITATION, UNDEFINED_LENGTH } from './header';
import type { NaturalDataset } from './part10';
import { TransferSyntax } from './uids';

/** The VRs of the attributes we convert (their dictionary VR: the file must say the same). */
type Vr = 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'SQ' | 'ST' | 'TM' | 'UI' | 'US';

/** Attributes the imaging reads, by tag: keyword and dictionary VR (a unit test checks them against dcmjs' dictionary). */
const WANTED = new Map<number, [string, Vr]>([
  [0x00020002, ['MediaStorageSOPClassUID', 'UI']],
  [0x00020003, ['MediaStorageSOPInstanceUID', 'UI']],
  [0x00020010, ['TransferSyntaxUID', 'UI']],
  [0x00080005, ['SpecificCharacterSet', 'CS']],
  [0x00080008, ['ImageType', 'CS']],
  [0x00080016, ['SOPClassUID', 'UI']],
  [0x00080018, ['SOPInstanceUID', 'UI']],
  [0x00080020, ['StudyDate', 'DA']],
  [0x00080030, ['StudyTime', 'TM']],
  [0x00080050, ['AccessionNumber', 'SH']],
  [0x00080060, ['Modality', 'CS']],
  [0x00080070, ['Manufacturer', 'LO']],
  [0x00080090, ['ReferringPhysicianName', 'PN']],
  [0x00081030, ['StudyDescription', 'LO']],
  [0x0008103e, ['SeriesDescription', 'LO']],
  [0x00081090, ['ManufacturerModelName', 'LO']],
  [0x00081155, ['ReferencedSOPInstanceUID', 'UI']],
  [0x00081160, ['ReferencedFrameNumber', 'IS']],
  [0x00100010, ['PatientName', 'PN']],
  [0x00100020, ['PatientID', 'LO']],
  [0x00100021, ['IssuerOfPatientID', 'LO']],
  [0x00100030, ['PatientBirthDate', 'DA']],
  [0x00100040, ['PatientSex', 'CS']],
  [0x00180050, ['SliceThickness', 'DS']],
  [0x00180060, ['KVP', 'DS']],
  [0x00181120, ['GantryDetectorTilt', 'DS']],
  [0x0020000d, ['StudyInstanceUID', 'UI']],
  [0x0020000e, ['SeriesInstanceUID', 'UI']],
  [0x00200010, ['StudyID', 'SH']],
  [0x00200011, ['SeriesNumber', 'IS']],
  [0x00200013, ['InstanceNumber', 'IS']],
  [0x00200032, ['ImagePositionPatient', 'DS']],
  [0x00200037, ['ImageOrientationPatient', 'DS']],
  [0x00200052, ['FrameOfReferenceUID', 'UI']],
  [0x00280002, ['SamplesPerPixel', 'US']],
  [0x00280004, ['PhotometricInterpretation', 'CS']],
  [0x00280008, ['NumberOfFrames', 'IS']],
  [0x00280010, ['Rows', 'US']],
  [0x00280011, ['Columns', 'US']],
  [0x00280030, ['PixelSpacing', 'DS']],
  [0x00280100, ['BitsAllocated', 'US']],
  [0x00280101, ['BitsStored', 'US']],
  [0x00280102, ['HighBit', 'US']],
  [0x00280103, ['PixelRepresentation', 'US']],
  [0x00281052, ['RescaleIntercept', 'DS']],
  [0x00281053, ['RescaleSlope', 'DS']],
  [0x30060002, ['StructureSetLabel', 'SH']],
  [0x30060004, ['StructureSetName', 'LO']],
  [0x30060010, ['ReferencedFrameOfReferenceSequence', 'SQ']],
  [0x30060012, ['RTReferencedStudySequence', 'SQ']],
  [0x30060014, ['RTReferencedSeriesSequence', 'SQ']],
  [0x30060016, ['ContourImageSequence', 'SQ']],
  [0x30060020, ['StructureSetROISequence', 'SQ']],
  [0x30060022, ['ROINumber', 'IS']],
  [0x30060024, ['ReferencedFrameOfReferenceUID', 'UI']],
  [0x30060026, ['ROIName', 'LO']],
  [0x30060028, ['ROIDescription', 'ST']],
  [0x30060036, ['ROIGenerationAlgorithm', 'CS']],
  [0x30060039, ['ROIContourSequence', 'SQ']],
  [0x30060040, ['ContourSequence', 'SQ']],
  [0x30060042, ['ContourGeometricType', 'CS']],
  [0x30060050, ['ContourData', 'DS']],
  [0x30060080, ['RTROIObservationsSequence', 'SQ']],
  [0x30060084, ['ReferencedROINumber', 'IS']],
  [0x300600a4, ['RTROIInterpretedType', 'CS']],
]);

/** For the unit test that checks the table against dcmjs' dictionary. */
export const WANTED_ATTRIBUTES: ReadonlyArray<{ tag: number; keyword: string; vr: string }> = [...WANTED].map(([tag, [keyword, vr]]) => ({ tag, keyword, vr }));

const SPECIFIC_CHARACTER_SET = 0x00080005;
const NUMBER_OF_FRAMES = 0x00280008;
const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;
/** Sequences nested deeper than this (CT and RTSTRUCT use 5 at most) are left to dcmjs: a bound on the walk's recursion. */
const MAX_DEPTH = 16;

/**
 * Character sets whose strings we decode as dcmjs does (its TextDecoder label for each). dcmjs
 * applies one only to the rest of the dataset or item that declares it: each item of a sequence is
 * read by a fresh stream with its default, latin1, whatever the dataset's character set (so are
 * we, to give the same).
 */
const CHARSETS = new Map<string, string>([
  ['', 'iso-8859-1'],
  ['iso-ir-6', 'iso-8859-1'],
  ['iso-ir-100', 'latin1'],
  ['iso-ir-192', 'utf-8'],
]);
const LATIN1 = new TextDecoder('latin1');
const decoders = new Map<string, TextDecoder>();
function decoderFor(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) decoders.set(label, (d = new TextDecoder(label)));
  return d;
}

/** The fast path does not apply to this file: read it with dcmjs. */
class NotCovered extends Error {}

/** The bytes end before what we need (a header read from a prefix of the file). */
class NeedMore extends Error {}

export interface FastParsedFile {
  meta: NaturalDataset;
  /** The wanted attributes, as dcmjs naturalises them; `PixelData` is present (as 0) when the file has it. */
  dataset: NaturalDataset;
}

/** Where the native Pixel Data of a file lies. */
export interface PixelDataLocation {
  transferSyntaxUid: string;
  offset: number;
  length: number;
}

// --- values as dcmjs gives them -------------------------------------------------------------

const BACKSLASH = '\\';

/** dcmjs drops the padding byte of the last of several values when that makes its length even. */
function dropPad(values: string[], pad: string): string[] {
  if (values.length > 1) {
    const last = values[values.length - 1];
    if (last.length % 2 !== 0 && last.endsWith(pad)) values[values.length - 1] = last.slice(0, -1);
  }
  return values;
}

const NUMBER_TOKEN = /^[0-9.+\-eE]+$/;
/** DS and IS: each value trimmed, characters other than digits, '.', '+', '-', 'e' removed, '' → null. */
function numberValue(s: string): number | null {
  if (NUMBER_TOKEN.test(s)) return Number(s);
  const t = s.trim().replace(/[^0-9.\\\-+e]/gi, '');
  return t === '' ? null : Number(t);
}

/** The natural form: one value alone, several as an array (objects stay in their array). */
function natural(values: unknown[]): unknown {
  return values.length === 1 && (values[0] === null || typeof values[0] !== 'object') ? values[0] : values;
}

function personNames(text: string): Array<Record<string, string>> {
  return text
    .split(BACKSLASH)
    .filter(Boolean)
    .map((v) => {
      const [a, i, p] = v.split('=');
      return { ...(a ? { Alphabetic: a } : {}), ...(i ? { Ideographic: i } : {}), ...(p ? { Phonetic: p } : {}) };
    });
}

// --- the walk -------------------------------------------------------------------------------

class Reader {
  /** Where top-level Pixel Data starts (its value) and how long it is, when found. */
  pixel?: { offset: number; length: number };

  constructor(
    private readonly buf: Buffer,
    /** Whether `buf` holds the whole file (else running out of bytes asks for more). */
    private readonly complete: boolean,
  ) {}

  private need(pos: number, bytes: number): void {
    if (pos + bytes <= this.buf.length) return;
    if (this.complete) throw new NotCovered();
    throw new NeedMore();
  }

  private tag(pos: number): number {
    return ((this.buf.readUInt16LE(pos) << 16) | this.buf.readUInt16LE(pos + 2)) >>> 0;
  }

  /**
   * Converts the wanted elements of [pos, end) into `out`. Returns where it stopped: `end`, after
   * an item delimitation (inside an item of undefined length), or at Pixel Data when `untilPixel`.
   */
  elements(pos: number, end: number, explicit: boolean, out: NaturalDataset, depth: number, untilPixel: boolean): number {
    // Each dataset and item starts in latin1; its own Specific Character Set changes that for what follows in it.
    let decoder = LATIN1;
    while (pos < end) {
      this.need(pos, 8);
      const tag = this.tag(pos);
      if (tag === ITEM_DELIMITATION) {
        // dcmjs ends an item only at a delimitation of length 0 (as the standard writes it).
        if (end !== Infinity || this.buf.readUInt32LE(pos + 4) !== 0) throw new NotCovered();
        return pos + 8;
      }
      let vr: string | undefined;
      let length: number;
      let valuePos: number;
      if (explicit) {
        vr = this.buf.toString('latin1', pos + 4, pos + 6);
        if (LONG_VRS.has(vr)) {
          this.need(pos, 12);
          length = this.buf.readUInt32LE(pos + 8);
          valuePos = pos + 12;
        } else if (/^[A-Z]{2}$/.test(vr)) {
          length = this.buf.readUInt16LE(pos + 6);
          valuePos = pos + 8;
        } else {
          throw new NotCovered();
        }
      } else {
        length = this.buf.readUInt32LE(pos + 4);
        valuePos = pos + 8;
      }
      if (depth === 0) {
        if (tag === FLOAT_PIXEL_DATA || tag === DOUBLE_FLOAT_PIXEL_DATA) throw new NotCovered();
        if (tag === PIXEL_DATA) {
          out.PixelData = 0;
          if (length !== UNDEFINED_LENGTH) this.pixel = { offset: valuePos, length };
          if (untilPixel) return pos;
        }
      }
      const wanted = WANTED.get(tag);
      if (wanted !== undefined) {
        const [keyword, expected] = wanted as [string, Vr];
        if (vr !== undefined && vr !== expected) throw new NotCovered();
        if (expected === 'SQ') {
          const [items, next] = this.sequence(valuePos, length, explicit, depth);
          out[keyword] = items;
          pos = next;
          continue;
        }
        if (length === UNDEFINED_LENGTH) throw new NotCovered();
        this.need(valuePos, length);
        if (tag === SPECIFIC_CHARACTER_SET) {
          decoder = this.characterSet(valuePos, length);
          // dcmjs then says "ISO_IR 192" (it gives every string as decoded text), whatever the value was.
          out[keyword] = 'ISO_IR 192';
        } else {
          out[keyword] = this.value(expected, valuePos, length, decoder);
          // Multi-frame objects are placed by functional groups, which the multi-frame code reads from dcmjs' dataset (said early: the groups come last).
          if (tag === NUMBER_OF_FRAMES && depth === 0 && out[keyword] !== 1 && out[keyword] !== null) throw new NotCovered();
        }
        pos = valuePos + length;
        continue;
      }
      if (length === UNDEFINED_LENGTH) {
        // A sequence, or encapsulated pixel data: items (or fragments) until the sequence delimitation.
        pos = this.skipUndefined(valuePos, explicit && vr !== 'UN', depth);
      } else {
        pos = valuePos + length;
      }
    }
    // An element ran past the end: of what we were given (ask for more), or of its item.
    if (pos > end) throw !this.complete && pos > this.buf.length ? new NeedMore() : new NotCovered();
    return pos;
  }

  /** A wanted sequence's items as natural datasets (dcmjs drops items with no content). */
  private sequence(valuePos: number, length: number, explicit: boolean, depth: number): [NaturalDataset[], number] {
    if (depth >= MAX_DEPTH) throw new NotCovered();
    const items: NaturalDataset[] = [];
    const end = length === UNDEFINED_LENGTH ? Infinity : valuePos + length;
    if (end !== Infinity) this.need(valuePos, length);
    let pos = valuePos;
    while (pos < end) {
      this.need(pos, 8);
      const tag = this.tag(pos);
      const itemLength = this.buf.readUInt32LE(pos + 4);
      if (tag === SEQUENCE_DELIMITATION) {
        if (itemLength !== 0) throw new NotCovered();
        return [items, pos + 8];
      }
      if (tag !== ITEM) throw new NotCovered();
      const item: NaturalDataset = {};
      if (itemLength === UNDEFINED_LENGTH) {
        const next = this.elements(pos + 8, Infinity, explicit, item, depth + 1, false);
        if (next > pos + 16) items.push(item);
        pos = next;
      } else {
        this.need(pos + 8, itemLength);
        if (this.elements(pos + 8, pos + 8 + itemLength, explicit, item, depth + 1, false) !== pos + 8 + itemLength) throw new NotCovered();
        if (itemLength > 0) items.push(item);
        pos += 8 + itemLength;
      }
    }
    if (end === Infinity) throw new NotCovered();
    return [items, pos];
  }

  /** Skips the items (or fragments) of an element of undefined length; returns the position after its delimitation. */
  private skipUndefined(pos: number, explicit: boolean, depth: number): number {
    if (depth >= MAX_DEPTH) throw new NotCovered();
    for (;;) {
      this.need(pos, 8);
      const tag = this.tag(pos);
      const length = this.buf.readUInt32LE(pos + 4);
      if (tag === SEQUENCE_DELIMITATION) {
        if (length !== 0) throw new NotCovered();
        return pos + 8;
      }
      if (tag !== ITEM) throw new NotCovered();
      if (length === UNDEFINED_LENGTH) {
        pos = this.elements(pos + 8, Infinity, explicit, {}, depth + 1, false);
      } else {
        this.need(pos + 8, length);
        pos += 8 + length;
      }
    }
  }

  private value(vr: Vr, pos: number, length: number, decoder: TextDecoder): unknown {
    const buf = this.buf;
    switch (vr) {
      case 'US': {
        if (length === 0) return 0;
        if (length % 2 !== 0) throw new NotCovered();
        const values: number[] = [];
        for (let p = pos; p < pos + length; p += 2) values.push(buf.readUInt16LE(p));
        return natural(values);
      }
      case 'UI': {
        let text = buf.toString('latin1', pos, pos + length);
        if (text.endsWith('\0')) text = text.slice(0, -1);
        const values = text.includes(BACKSLASH) ? dropPad(text.split(BACKSLASH), '\0') : [text];
        return natural(values.map((v) => v.replace(/[^0-9.]/g, '')));
      }
      case 'DS':
      case 'IS':
        return natural(dropPad(buf.toString('latin1', pos, pos + length).split(BACKSLASH), ' ').map(numberValue));
      case 'CS':
        return natural(this.codes(pos, length));
      case 'DA':
        return natural(dropPad(buf.toString('latin1', pos, pos + length).split(BACKSLASH), ' '));
      case 'TM':
        return natural(dropPad(buf.toString('latin1', pos, pos + length).replace(/\s*$/g, '').split(BACKSLASH), ' '));
      case 'SH':
      case 'LO':
        return natural(dropPad(decoder.decode(buf.subarray(pos, pos + length)).trim().split(BACKSLASH), ' '));
      case 'ST':
        return natural(dropPad(decoder.decode(buf.subarray(pos, pos + length)).replace(/\s*$/g, '').split(BACKSLASH), ' '));
      case 'PN': {
        let text = decoder.decode(buf.subarray(pos, pos + length));
        if (length === 0 || text.endsWith(' ')) text = text.slice(0, -1);
        return personNames(text);
      }
      default:
        throw new NotCovered();
    }
  }

  private codes(pos: number, length: number): string[] {
    return dropPad(this.buf.toString('latin1', pos, pos + length).split(BACKSLASH), ' ').map((v) => v.trim());
  }

  /** The decoder a Specific Character Set value asks for (one we decode as dcmjs does). */
  private characterSet(pos: number, length: number): TextDecoder {
    const values = this.codes(pos, length);
    if (values.length !== 1) throw new NotCovered();
    const label = CHARSETS.get(values[0].replace(/[_ ]/g, '-').toLowerCase());
    if (label === undefined) throw new NotCovered();
    return decoderFor(label);
  }
}

const LITTLE_ENDIAN = new Set<string>([TransferSyntax.ImplicitVrLittleEndian, TransferSyntax.ExplicitVrLittleEndian]);
const BIG_ENDIAN = TransferSyntax.ExplicitVrBigEndian;
const DEFLATED = TransferSyntax.DeflatedExplicitVrLittleEndian;

interface Walked {
  meta: NaturalDataset;
  dataset: NaturalDataset;
  reader: Reader;
  transferSyntaxUid: string;
}

/** Walks a Part 10 file (or its first bytes); throws NotCovered or NeedMore. */
function walk(file: Buffer, complete: boolean, untilPixel: boolean): Walked {
  if (file.length < 132 || file.toString('latin1', 128, 132) !== 'DICM') throw new NotCovered();
  const reader = new Reader(file, complete);
  const meta: NaturalDataset = {};
  // Group 0002, Explicit VR Little Endian, its length given by (0002,0000).
  if (file.length < 144 || file.readUInt32LE(128 + 4) !== 0x00000002 || file.toString('latin1', 136, 138) !== 'UL' || file.readUInt16LE(138) !== 4) throw new NotCovered();
  const metaEnd = 144 + file.readUInt32LE(140);
  if (reader.elements(144, metaEnd, true, meta, 0, false) !== metaEnd) throw new NotCovered();
  // dcmjs needs the Transfer Syntax UID (it reads nothing without it).
  const syntax = meta.TransferSyntaxUID;
  if (typeof syntax !== 'string' || syntax === BIG_ENDIAN || syntax === DEFLATED) throw new NotCovered();
  const dataset: NaturalDataset = {};
  // Encapsulated syntaxes encode the dataset itself in Explicit VR Little Endian.
  const explicit = syntax !== TransferSyntax.ImplicitVrLittleEndian;
  reader.elements(metaEnd, file.length, explicit, dataset, 0, untilPixel);
  // A prefix of the file is enough only if it reached Pixel Data (the elements before it are whole).
  if (!complete && !('PixelData' in dataset)) throw new NeedMore();
  return { meta, dataset, reader, transferSyntaxUid: syntax };
}

/**
 * The wanted attributes of a Part 10 file up to Pixel Data (all of it with `untilPixel` false).
 * `complete` says whether `file` is the whole file; `'more'` asks for the whole file when a
 * prefix ended first; `undefined` means the fast path does not cover this file.
 */
export function fastParse(file: Buffer, complete: boolean, untilPixel: boolean): FastParsedFile | 'more' | undefined {
  try {
    const { meta, dataset } = walk(file, complete, untilPixel);
    return { meta, dataset };
  } catch (e) {
    if (e instanceof NeedMore) return 'more';
    if (e instanceof NotCovered || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Where the native (uncompressed little-endian, defined-length, single-frame) Pixel Data of a whole file lies; undefined otherwise. */
export function locateNativePixelData(file: Buffer): PixelDataLocation | undefined {
  try {
    const { reader, transferSyntaxUid } = walk(file, true, true);
    if (!LITTLE_ENDIAN.has(transferSyntaxUid) || reader.pixel === undefined) return undefined;
    const { offset, length } = reader.pixel;
    if (offset + length > file.length) return undefined;
    return { transferSyntaxUid, offset, length };
  } catch (e) {
    if (e instanceof NotCovered || e instanceof NeedMore || e instanceof RangeError) return undefined;
    throw e;
  }
}
