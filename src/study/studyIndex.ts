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
  /** Facts for the readiness rules, about the current version if it is receiving or waiting. */
  readinessFacts(studyInstanceUid: string): Promise<(VersionRef & { state: StudyState; facts: ReadinessFacts }) | undefined>;
  /** receiving (or waiting) → waiting with the reason, only for the current version. False when something changed meanwhile. */
  markWaiting(ref: VersionRef, reason: string, notes: string[], at: number): Promise<boolean>;
  /**
   * receiving or waiting → ready, only for the current version and, given `lastReceivedAt` (what
   * the readiness facts said), only if nothing arrived since on any node. False when something
   * changed meanwhile: judge again.
   */
  markReady(ref: VersionRef & { lastReceivedAt?: number }, reason: ReadyReason, notes: string[], missing: MissingReferences[], at: number): Promise<boolean>;
  /** Moves a version between states when it is in one of `from`. */
  transition(ref: VersionRef, from: readonly StudyState[], to: StudyState, reason: string | undefined, at: number, currentOnly: boolean): Promise<boolean>;

  /** Current versions by state, every state listed (the cd8_studies gauge). */
  countCurrentByState(): Promise<Record<StudyState, number>>;

  listStudies(options: ListStudiesOptions): Promise<StudyVersionSummary[]>;
  getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined>;
  listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]>;
}
