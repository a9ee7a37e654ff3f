/**
 * A bounded walk over the element structure of a Part 10 file before dcmjs parses it.
 *
 * dcmjs trusts every length it reads. An element inside a sequence item that declares more bytes
 * than the item holds (a 300-byte file whose nested UN element claims 1 GiB) makes it fill an
 * array or a string that long: ~45 s of CPU, then a fatal out-of-memory error that ends the whole
 * process (the console's thread or the analysis worker's), not an exception. DCMTK refuses such a
 * file ("length of element larger than explicit length of surrounding item"); the store checks
 * only the top level as an instance arrives. So every element, at every depth, must fit within
 * what dcmjs will read it from: its item, its sequence, the bytes given. A file that fails is
 * refused with what was wrong; a file the walk cannot follow (deflated, or not Part 10) is left
 * to dcmjs, which reads those without this risk or says what is wrong.
 *
 * The walk sees the structure as dcmjs 0.50 does (build/dcmjs.js DicomMessage._readTag,
 * SequenceOfItems.readBytes): a sequence is VR SQ, an explicit UN whose tag its dictionary knows
 * as SQ, an implicit VR element its dictionary knows as SQ, or any undefined length; the items of
 * a sequence are read one after another, but an item of undefined length ends where dcmjs' byte
 * scan for an item delimitation says, which the walk repeats; explicit VRs dcmjs does not know
 * are read as UN (four-byte length).
 */
import * as dcmjs from 'dcmjs';
import { TransferSyntax } from './uids';

/** An element (or item) declares more bytes than what holds it: dcmjs must not be given the file. */
export class ElementLengthError extends Error {
  override readonly name = 'ElementLengthError';
}

/** Sequences nested deeper than this are refused (real objects nest a few levels; the walk recurses). */
export const MAX_NESTING = 32;

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
const PIXEL_DATA = 0x7fe00010;
/** Explicit VRs with a two-byte length, as dcmjs reads them ('xs' is its US); every other VR, known or not, has four. */
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US', 'xs']);

interface Syntax {
  explicit: boolean;
  little: boolean;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const tagText = (tag: number) => `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;
/** Whether dcmjs' dictionary knows the tag as a sequence. */
const dictionarySequence = (tag: number): boolean => dcmjs.data.DicomMetaDictionary.dictionary[tagText(tag)]?.vr === 'SQ';

class Walker {
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private tag(pos: number, little: boolean): number {
    return ((this.view.getUint16(pos, little) << 16) | this.view.getUint16(pos + 2, little)) >>> 0;
  }

  private need(pos: number, bytes: number, end: number, what: string): void {
    if (pos + bytes > end) throw new ElementLengthError(`${what} at byte ${pos} is cut: it needs ${bytes} bytes, ${Math.max(0, end - pos)} remain in what holds it.`);
  }

  /**
   * Walks the elements from `pos` to `end` (a dataset or an item's content), each of which must
   * fit before `end`. With `untilPixelData` it stops at the Pixel Data element (as dcmjs' header
   * reads do). Returns where it stopped.
   */
  elements(pos: number, end: number, s: Syntax, depth: number, untilPixelData = false): number {
    if (depth > MAX_NESTING) throw new ElementLengthError(`sequences are nested more than ${MAX_NESTING} deep.`);
    while (pos < end) {
      this.need(pos, 4, end, 'an element tag');
      const tag = this.tag(pos, s.little);
      if (untilPixelData && tag === PIXEL_DATA) return pos;
      this.need(pos, 8, end, `element ${tagText(tag)}`);
      let sequence: boolean;
      let length: number;
      let header = 8;
      if (s.explicit) {
        const vr = String.fromCharCode(this.view.getUint8(pos + 4), this.view.getUint8(pos + 5));
        if (SHORT_VRS.has(vr)) length = this.view.getUint16(pos + 6, s.little);
        else {
          this.need(pos, 12, end, `element ${tagText(tag)}`);
          length = this.view.getUint32(pos + 8, s.little);
          header = 12;
        }
        sequence = vr === 'SQ' || (vr === 'UN' && dictionarySequence(tag));
      } else {
        length = this.view.getUint32(pos + 4, s.little);
        sequence = dictionarySequence(tag);
      }
      const value = pos + header;
      if (length === UNDEFINED) {
        // A sequence, or encapsulated Pixel Data, whose fragments are items of raw bytes.
        pos = this.items(value, end, s, depth, true, tag === PIXEL_DATA || (!sequence && s.explicit), tag);
        continue;
      }
      if (value + length > end) {
        throw new ElementLengthError(`element ${tagText(tag)} at byte ${pos} declares ${length} bytes, but only ${Math.max(0, end - value)} remain in what holds it.`);
      }
      if (sequence && length > 0) this.items(value, value + length, s, depth, false, false, tag);
      pos = value + length;
    }
    return pos;
  }

  /**
   * Walks a sequence's items from `pos`: up to `end` (defined length) or past its sequence
   * delimitation (undefined length; the position after it is returned). Fragments of encapsulated
   * Pixel Data are checked for their lengths only.
   */
  private items(pos: number, end: number, s: Syntax, depth: number, undefinedLength: boolean, fragments: boolean, owner: number): number {
    while (pos < end) {
      this.need(pos, 8, end, `an item of ${tagText(owner)}`);
      const tag = this.tag(pos, s.little);
      if (tag === SEQUENCE_DELIMITATION) return pos + 8;
      if (tag !== ITEM) throw new ElementLengthError(`${tagText(owner)} holds ${tagText(tag)} at byte ${pos} where an item belongs.`);
      const length = this.view.getUint32(pos + 4, s.little);
      const content = pos + 8;
      if (length === UNDEFINED) {
        if (fragments) throw new ElementLengthError(`a fragment of ${tagText(owner)} at byte ${pos} has an undefined length.`);
        const { start, delimiter } = this.undefinedItem(content, end, s.little);
        this.elements(start, delimiter, s, depth + 1);
        pos = delimiter + 8;
      } else {
        if (content + length > end) {
          throw new ElementLengthError(`an item of ${tagText(owner)} at byte ${pos} declares ${length} bytes, but only ${Math.max(0, end - content)} remain in what holds it.`);
        }
        if (!fragments) this.elements(content, content + length, s, depth + 1);
        pos = content + length;
      }
      if (!undefinedLength && pos === end) return pos;
    }
    if (undefinedLength) throw new ElementLengthError(`${tagText(owner)} (undefined length) is not delimited before byte ${end}.`);
    return pos;
  }

  /**
   * Where dcmjs reads an item of undefined length from: it scans two bytes at a time for an item
   * delimitation of length 0 outside the nested items of undefined length it counts, and takes the
   * bytes it counted before it (which, after a delimitation of another length, are fewer than it
   * passed). Repeated here so that the elements are checked against the same item dcmjs reads.
   */
  private undefinedItem(content: number, end: number, little: boolean): { start: number; delimiter: number } {
    let pos = content;
    let counted = 0;
    let nested = 0;
    for (;;) {
      this.need(pos, 2, end, 'an item of undefined length');
      if (this.view.getUint16(pos, little) !== 0xfffe) {
        pos += 2;
        counted += 2;
        continue;
      }
      this.need(pos, 8, end, 'an item of undefined length');
      const element = this.view.getUint16(pos + 2, little);
      const itemLength = this.view.getUint32(pos + 4, little);
      if (element === 0xe00d) {
        if (itemLength === 0) {
          if (--nested < 0) {
            if (counted > pos - content) throw new ElementLengthError(`an item of undefined length ending at byte ${pos} cannot be read.`);
            return { start: pos - counted, delimiter: pos };
          }
          pos += 4;
          counted += 4;
        } else {
          pos += 4;
          counted += 2;
        }
      } else if (element === 0xe000) {
        pos += 4;
        counted += 4;
        if (itemLength === UNDEFINED) nested++;
      } else {
        pos += 2;
        counted += 2;
      }
    }
  }
}

/**
 * Throws ElementLengthError when an element or item of the Part 10 file `bytes` declares more
 * bytes than what dcmjs will read it from. `untilPixelData`: only what comes before Pixel Data is
 * walked (a header read; `bytes` may then be the file's first bytes only). Returns quietly for
 * files it leaves to dcmjs (not Part 10, deflated).
 */
export function checkElementLengths(bytes: Uint8Array, untilPixelData = false): void {
  if (bytes.length < 132 || bytes[128] !== 0x44 || bytes[129] !== 0x49 || bytes[130] !== 0x43 || bytes[131] !== 0x4d) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The file meta information: explicit VR little endian, group 0002.
  let pos = 132;
  let syntax = '';
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const vr = String.fromCharCode(bytes[pos + 4], bytes[pos + 5]);
    const short = SHORT_VRS.has(vr);
    if (!short && pos + 12 > bytes.length) break;
    const length = short ? view.getUint16(pos + 6, true) : view.getUint32(pos + 8, true);
    const value = pos + (short ? 8 : 12);
    if (value + length > bytes.length) throw new ElementLengthError(`file meta element (0002,${hex4(view.getUint16(pos + 2, true))}) declares ${length} bytes, but only ${Math.max(0, bytes.length - value)} remain.`);
    if (view.getUint16(pos + 2, true) === 0x0010) syntax = Buffer.from(bytes.buffer, bytes.byteOffset + value, length).toString('latin1').replace(/[\0 ]+$/, '');
    pos = value + length;
  }
  if (syntax === TransferSyntax.DeflatedExplicitVrLittleEndian) return;
  const s: Syntax = { explicit: syntax !== TransferSyntax.ImplicitVrLittleEndian, little: syntax !== TransferSyntax.ExplicitVrBigEndian };
  new Walker(bytes).elements(pos, bytes.length, s, 0, untilPixelData);
}
