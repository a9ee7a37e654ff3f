/**
 * DICOM Part 10 files (PS3.10 §7.1), the one place we write and read them.
 * - Received instances: we write the meta information (128-byte preamble, "DICM", group 0002 in
 *   Explicit VR Little Endian) ourselves so that the received dataset bytes follow it unchanged:
 *   what the peer sent is what we keep.
 * - Objects we create (SR, PDF, SC): whole files written and read with dcmjs.
 * Both carry our one Implementation Class UID.
 */
import * as dcmjs from 'dcmjs';
import { boundDcmjsReads } from './dcmjsBounds';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, TransferSyntax } from './uids';

const { DicomMetaDictionary, DicomMessage, DicomDict } = dcmjs.data;

/** A dataset as dcmjs `naturalizeDataset` returns it: keyword → value (sequences are arrays of such objects). */
export type NaturalDataset = Record<string, unknown>;

export interface FileMeta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** (0002,0016) Source Application Entity Title: the calling AE that sent it. */
  sourceAeTitle?: string;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

const PREAMBLE_LENGTH = 128;

/** One explicit VR LE element with a 2-byte length (UI, SH, AE, UL) or a 4-byte one (OB). */
function element(group: number, elementNo: number, vr: string, value: Buffer): Buffer {
  const longForm = vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT';
  const header = Buffer.alloc(longForm ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elementNo, 2);
  header.write(vr, 4, 'latin1');
  if (longForm) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

/** UIDs are padded with NUL to an even length; text VRs with a space. */
function padded(text: string, pad: '\0' | ' '): Buffer {
  return Buffer.from(text.length % 2 === 1 ? text + pad : text, 'latin1');
}

/** Builds preamble + "DICM" + group 0002; the dataset bytes are to be appended as they are. */
export function buildFileMeta(meta: FileMeta): Buffer {
  const elements = [
    element(0x0002, 0x0001, 'OB', Buffer.from([0x00, 0x01])),
    element(0x0002, 0x0002, 'UI', padded(meta.sopClassUid, '\0')),
    element(0x0002, 0x0003, 'UI', padded(meta.sopInstanceUid, '\0')),
    element(0x0002, 0x0010, 'UI', padded(meta.transferSyntaxUid, '\0')),
    element(0x0002, 0x0012, 'UI', padded(meta.implementationClassUid ?? IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0002, 0x0013, 'SH', padded((meta.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME).slice(0, 16), ' ')),
  ];
  const source = meta.sourceAeTitle?.trim();
  if (source) elements.push(element(0x0002, 0x0016, 'AE', padded(source.slice(0, 16), ' ')));
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  return Buffer.concat([Buffer.alloc(PREAMBLE_LENGTH), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', groupLength), body]);
}

export interface ParsedFileMeta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle?: string;
  implementationClassUid?: string;
  /** Byte offset of the dataset (just after group 0002). */
  datasetOffset: number;
}

export class NotPart10Error extends Error {

  override readonly name = 'NotPart10Error';

}

/**
 * Reads the meta information of a Part 10 file from its first bytes (a few hundred are enough).
 * Walks group 0002 element by element rather than trusting (0002,0000) alone, as some writers get
 * the group length wrong.
 */
export function readFileMeta(head: Buffer): ParsedFileMeta {
  if (head.length < PREAMBLE_LENGTH + 4 || head.toString('latin1', PREAMBLE_LENGTH, PREAMBLE_LENGTH + 4) !== 'DICM') {
    throw new NotPart10Error('not a DICOM Part 10 file: no "DICM" marker after the 128-byte preamble.');
  }
  let offset = PREAMBLE_LENGTH + 4;
  const values = new Map<number, string>();
  while (offset + 8 <= head.length) {
    const group = head.readUInt16LE(offset);
    if (group !== 0x0002) break;
    const elementNo = head.readUInt16LE(offset + 2);
    const vr = head.toString('latin1', offset + 4, offset + 6);
    let length: number;
    let valueOffset: number;
    if (vr === 'OB' || vr === 'OW' || vr === 'UN' || vr === 'SQ' || vr === 'UT') {
      if (offset + 12 > head.length) throw new NotPart10Error('the file meta information is truncated.');
      length = head.readUInt32LE(offset + 8);
      valueOffset = offset + 12;
    } else {
      length = head.readUInt16LE(offset + 6);
      valueOffset = offset + 8;
    }
    if (valueOffset + length > head.length) throw new NotPart10Error('the file meta information is truncated.');
    values.set(elementNo, head.toString('latin1', valueOffset, valueOffset + length).replace(/[\0 ]+$/, ''));
    offset = valueOffset + length;
  }
  const need = (elementNo: number, name: string): string => {
    const v = values.get(elementNo);
    if (!v) throw new NotPart10Error(`the file meta information lacks ${name}.`);
    return v;
  };
  return {
    sopClassUid: need(0x0002, 'Media Storage SOP Class UID (0002,0002)'),
    sopInstanceUid: need(0x0003, 'Media Storage SOP Instance UID (0002,0003)'),
    transferSyntaxUid: need(0x0010, 'Transfer Syntax UID (0002,0010)'),
    sourceAeTitle: values.get(0x0016) || undefined,
    implementationClassUid: values.get(0x0012) || undefined,
    datasetOffset: offset,
  };
}

/** A dataset we created, as an Explicit VR Little Endian Part 10 file. */
export function writePart10(dataset: NaturalDataset): Buffer {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') throw new TypeError('the dataset needs SOPClassUID and SOPInstanceUID to be written as a Part 10 file.');
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: TransferSyntax.ExplicitVrLittleEndian,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const file = new DicomDict(meta);
  file.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(file.write());
}

export interface Part10 {
  meta: NaturalDataset;
  dataset: NaturalDataset;
  transferSyntaxUid: string;
}

/** A whole Part 10 file, naturalised. */
export function readPart10(bytes: Buffer | Uint8Array): Part10 {
  boundDcmjsReads();
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = DicomMessage.readFile(buffer, { ignoreErrors: true });
  const meta = DicomMetaDictionary.naturalizeDataset(file.meta);
  return { meta, dataset: DicomMetaDictionary.naturalizeDataset(file.dict), transferSyntaxUid: String(meta.TransferSyntaxUID) };
}
