/**
 * The index behind the store and study assembly, as an interface: the SQLite implementation is
 * the embedded default; a server database (PostgreSQL) would be another implementation of the same
 * methods. Each method is one atomic step.
 */
import { ReadinessFacts } from '../study/readiness';
import {
  ListStudiesOptions,
  MissingReferences,
  ReadyReason,
  StudyInstance,
  StudyState,
  StudyVersionSummary,
} from '../study/types';
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

export interface VersionRef {
  studyInstanceUid: string;
  version: number;
}

export interface StudyIndex {
  findInstance(sopInstanceUid: string): Promise<IndexedInstance | undefined>;
  /** Adds the instance, or replaces the indexed one with the same SOP Instance UID (keeping a record). */
  recordInstance(record: InstanceRecord): Promise<RecordResult>;
  /** An identical copy arrived again: count it; a receiving study's quiet timer restarts. */
  recordDuplicate(sopInstanceUid: string, receivedAt: number): Promise<void>;

  /** Current versions in a given state. */
  currentVersionsIn(state: StudyState): Promise<Array<VersionRef & { lastReceivedAt: number }>>;
  /** Facts for the readiness rules, about the current version if it is receiving or waiting. */
  readinessFacts(studyInstanceUid: string): Promise<(VersionRef & { state: StudyState; facts: ReadinessFacts }) | undefined>;
  /** receiving (or waiting) → waiting with the reason, only for the current version. False when something changed meanwhile. */
  markWaiting(ref: VersionRef, reason: string, notes: string[], at: number): Promise<boolean>;
  /** receiving or waiting → ready, only for the current version. False when something changed meanwhile. */
  markReady(ref: VersionRef, reason: ReadyReason, notes: string[], missing: MissingReferences[], at: number): Promise<boolean>;
  /** Moves a version between states when it is in one of `from`. */
  transition(ref: VersionRef, from: readonly StudyState[], to: StudyState, reason: string | undefined, at: number, currentOnly: boolean): Promise<boolean>;

  listStudies(options: ListStudiesOptions): Promise<StudyVersionSummary[]>;
  getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined>;
  listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]>;
  /** Is this relative path referenced by an indexed instance? (orphan sweep of oddly named files; may scan) */
  isIndexedPath(relativePath: string): Promise<boolean>;
}
