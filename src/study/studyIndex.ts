/**
 * The study side of the index, as the assembler needs it: versions by state, readiness facts,
 * state transitions and what each version holds. db/sqlite/studyIndex.ts and
 * db/postgres/studyIndex.ts implement it beside the store's InstanceIndex; each method is one atomic step.
 */
import type { ReadinessFacts } from './readiness';
import type { ListStudiesOptions, MissingReferences, ReadyReason, StudyInstance, StudyState, StudyVersionSummary } from './types';

export interface VersionRef {
  studyInstanceUid: string;
  version: number;
}

export interface StudyIndex {
  /** Current versions in a given state. */
  currentVersionsIn(state: StudyState): Promise<Array<VersionRef & { lastReceivedAt: number }>>;
  /** Facts for the readiness rules, about the current version if it is receiving. */
  readinessFacts(studyInstanceUid: string): Promise<(VersionRef & { facts: ReadinessFacts }) | undefined>;
  /**
   * receiving → ready, only for the current version and, given `lastReceivedAt` (what the
   * readiness facts said), only if nothing arrived since on any node. False when something changed
   * meanwhile: judge again.
   */
  markReady(ref: VersionRef & { lastReceivedAt?: number }, reason: ReadyReason, notes: string[], missing: MissingReferences[], at: number): Promise<boolean>;
  /** Moves a version between states when it is in one of `from`. */
  transition(ref: VersionRef, from: readonly StudyState[], to: StudyState, reason: string | undefined, at: number, currentOnly: boolean): Promise<boolean>;

  listStudies(options: ListStudiesOptions): Promise<StudyVersionSummary[]>;
  getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined>;
  listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]>;
}
