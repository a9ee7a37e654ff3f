/**
 * Part 10 files built byte by byte, for the readers' tests: the preamble, "DICM" and the file meta
 * information (explicit VR little endian, with its group length) before a dataset the test encodes
 * itself (each test its own way: nested items, damaged lengths, other byte orders).
 */

/** Explicit VRs with a four-byte length (after two reserved bytes). */
export const LONG_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

/** One file meta element (explicit VR little endian); a UI value is padded with a NUL. */
function metaElement(element: number, vr: string, value: Buffer | string): Buffer {
  let bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (bytes.length % 2 === 1) bytes = Buffer.concat([bytes, Buffer.from([0])]);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(bytes.length, 8);
  else head.writeUInt16LE(bytes.length, 6);
  return Buffer.concat([head, bytes]);
}

/** A Part 10 file of SOP class `sopClass` whose `dataset` bytes are in transfer syntax `syntax`. */
export function part10File(sopClass: string, syntax: string, dataset: Buffer, sopInstance = '1.2.3.4'): Buffer {
  const meta = Buffer.concat([metaElement(0x0001, 'OB', Buffer.from([0, 1])), metaElement(0x0002, 'UI', sopClass), metaElement(0x0003, 'UI', sopInstance), metaElement(0x0010, 'UI', syntax)]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), metaElement(0x0000, 'UL', groupLength), meta, dataset]);
}

/** A tag and a four-byte length, little endian: an item, a delimitation, or an implicit VR element's head. */
export function tagAndLength(tag: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.writeUInt32LE(length >>> 0, 4);
  return b;
}

/** An element's head, little endian: explicit VR (two- or four-byte length by the VR) or implicit. */
export function elementHead(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  if (!explicit) return tagAndLength(tag, length);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(length >>> 0, 8);
  else head.writeUInt16LE(length, 6);
  return head;
}
