/**
 * The index behind the store, as an interface: where each received instance is and what it did
 * to its study. db/sqlite/studyIndex.ts is the embedded default, db/postgres/studyIndex.ts the
 * shared one (several nodes). Each method is one atomic step. (The study side of
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
  /**
   * The path of the row the store saw when it decided (null = no row). When given and the row
   * has changed since (another node stored the same instance meanwhile), nothing is recorded and
   * IndexChangedError says what the row is now, so the store decides again.
   */
  expectedPath?: string | null;
}

/** recordInstance found another writer's row for the instance (see InstanceRecord.expectedPath); nothing was recorded. */
export class IndexChangedError extends Error {
  override readonly name = 'IndexChangedError';
  constructor(readonly current: IndexedInstance | undefined) {
    super(`the index row of ${current?.sopInstanceUid ?? 'the instance'} changed while it was being stored`);
  }
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

/** What retention asks of the index (pipeline/housekeeping.ts): done studies, their files, and forgetting deleted ones. */
export interface RetentionIndex {
  /**
   * Studies whose current version is done (or failed for good) since before `before`, or has been
   * waiting (for contours or images, `waiting` says what) with nothing received since before
   * `before`, and whose images are still kept: what retention may delete. A study purged before
   * and sent again has instances again, so it is a candidate again (purged_at only records the
   * last purge).
   */
  purgeCandidates(before: number): Promise<Array<{ studyInstanceUid: string; version: number; doneAt: number; waiting?: string }>>;
  /** The instances of a study with their files, for retention to delete (relative to the data directory, and absolute). */
  purgeableInstances(studyInstanceUid: string): Promise<PurgeableInstance[]>;
  /**
   * Forgets instances of a study whose files retention has deleted (their rows only) and records
   * when: the study, its versions and its results stay. Called after the files are gone, so a
   * crash in between leaves rows without files (the next run finishes the job), never unindexed
   * files that reconciliation would take for new arrivals. A row is forgotten only if it still
   * names the file that was deleted: an instance stored again meanwhile (a new file) keeps its
   * row. An instance sent again later is stored anew and opens a new version.
   * Returns how many rows were forgotten.
   */
  forgetInstances(studyInstanceUid: string, deleted: ReadonlyArray<{ sopInstanceUid: string; relativePath: string }>, at: number): Promise<number>;
}

/** An instance file retention may delete. */
export interface PurgeableInstance {
  sopInstanceUid: string;
  /** As indexed: relative to the data directory. */
  relativePath: string;
  /** Absolute. */
  path: string;
}
