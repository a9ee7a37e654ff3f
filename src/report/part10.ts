/** DICOM Part 10 files of the objects we create (SR, PDF, SC), written and read with dcmjs. */
import * as dcmjs from 'dcmjs';
import { VERSION } from '../version';

const { DicomMetaDictionary, DicomMessage, DicomDict } = dcmjs.data;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Our implementation class UID (name-based, fixed). */
export const IMPLEMENTATION_CLASS_UID = '2.25.160385367839183218376917361840139582533';
export const IMPLEMENTATION_VERSION_NAME = `CD8NODE_${VERSION}`.slice(0, 16);

export type NaturalDataset = Record<string, unknown>;

export function writePart10(dataset: NaturalDataset): Buffer {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') throw new TypeError('the dataset needs SOPClassUID and SOPInstanceUID to be written as a Part 10 file.');
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
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

export function readPart10(bytes: Buffer | Uint8Array): Part10 {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const file = DicomMessage.readFile(buffer, { ignoreErrors: true });
  const meta = DicomMetaDictionary.naturalizeDataset(file.meta);
  return { meta, dataset: DicomMetaDictionary.naturalizeDataset(file.dict), transferSyntaxUid: String(meta.TransferSyntaxUID) };
}
