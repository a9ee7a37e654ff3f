/**
 * The index behind the store, as an interface: where each received instance is and what it did
 * to its study. The SQLite implementation is the embedded default; a server database would be
 * another implementation of the same methods. Each method is one atomic step. (The study side of
 * the same index, which the assembler reads, is study/studyIndex.ts.)
 */
import type { InstanceHeader } from '../dicom/header';

/** One instance as the index knows it (paths relative to the data directory). */
export interface IndexedInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  relativePath: string;
  size: number;
  datasetOffset: number;
}

/** What the index records of a received instance: where it is, plus the header attributes it groups and reports by. */
export interface InstanceRecord
  extends IndexedInstance,
    Pick<InstanceHeader, 'patientId' | 'modality' | 'frameOfReferenceUid' | 'instanceNumber' | 'seriesNumber' | 'studyDate' | 'accessionNumber' | 'rtstruct'> {
  callingAeTitle: string;
  receivedAt: number;
}

/** What recording an instance did to its study. */
export interface RecordResult {
  version: number;
  /** same = added to the receiving version; reopened = a ready or waiting version is receiving again; new-version = it opened a new version. */
  versionChange: 'same' | 'reopened' | 'new-version';
  replaced?: IndexedInstance;
}

export interface InstanceIndex {
  findInstance(sopInstanceUid: string): Promise<IndexedInstance | undefined>;
  /** Adds the instance, or replaces the indexed one with the same SOP Instance UID (keeping a record). */
  recordInstance(record: InstanceRecord): Promise<RecordResult>;
  /** An identical copy arrived again: count it; a receiving study's quiet timer restarts. */
  recordDuplicate(sopInstanceUid: string, receivedAt: number): Promise<void>;
  /** Is this relative path referenced by an indexed instance? (orphan sweep of oddly named files; may scan) */
  isIndexedPath(relativePath: string): Promise<boolean>;
}
