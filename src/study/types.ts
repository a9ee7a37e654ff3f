/**
 * The contract between ingest and what comes after it (job queue, pipeline, status, schedules):
 * studies, their versions and states, their instances, and the "study ready" event.
 *
 * A study version is what gets processed. Version 1 collects the first instances; when new or
 * changed instances arrive after a version was taken up for processing (processing, done or
 * failed), they open the next version, which is processed again once it is ready.
 */

/**
 * waiting: the stable age passed but the study lacks what it needs to be scored (contours, or the
 * CT its RTSTRUCT was drawn on) and the configuration says wait; the reason says what. An
 * instance arriving for it makes it receiving again (same version).
 */
export type StudyState = 'receiving' | 'waiting' | 'ready' | 'processing' | 'done' | 'failed';

export const STUDY_STATES: readonly StudyState[] = ['receiving', 'waiting', 'ready', 'processing', 'done', 'failed'];

/** Why a version became ready: its RTSTRUCT's image list is all here, or nothing arrived for the stable age. */
export type ReadyReason = 'references-complete' | 'stable-age';

/** An RTSTRUCT whose Contour Image Sequence names images that were not received. */
export interface MissingReferences {
  rtstructSopInstanceUid: string;
  /** Images the RTSTRUCT names. */
  referenced: number;
  /** How many of them were not received. */
  missing: number;
  /** The first few missing SOP Instance UIDs. */
  examples: string[];
}

export interface StudyVersionSummary {
  studyInstanceUid: string;
  version: number;
  state: StudyState;
  /** Failure reason (state failed), what it waits for (waiting), or the outcome recorded with done. */
  reason?: string;
  readyReason?: ReadyReason;
  /** What assembly noticed, in sentences for an admin (missing references, no CT, ...). */
  notes: string[];
  missingReferences: MissingReferences[];
  patientId?: string;
  studyDate?: string;
  accessionNumber?: string;
  /** Instances of this version (received in it or before it). */
  instanceCount: number;
  seriesCount: number;
  ctImageCount: number;
  rtstructCount: number;
  firstReceivedAt: Date;
  lastReceivedAt: Date;
  readyAt?: Date;
  updatedAt: Date;
  /** True when a later version of the study exists. */
  superseded: boolean;
}

export interface StudyInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  modality?: string;
  frameOfReferenceUid?: string;
  instanceNumber?: number;
  seriesNumber?: number;
  transferSyntaxUid: string;
  /** Absolute path of the Part 10 file. */
  path: string;
  size: number;
  /** Where the dataset starts in the file (after the meta information). */
  datasetOffset: number;
  receivedAt: Date;
  callingAeTitle: string;
  /** For an RTSTRUCT: the frames of reference and images it references. */
  rtstruct?: { frameOfReferenceUids: string[]; seriesUids: string[]; imageUids: string[] };
}

export interface StudyReadyEvent {
  studyInstanceUid: string;
  version: number;
  readyReason: ReadyReason;
  notes: string[];
  missingReferences: MissingReferences[];
  /** Announced again at start-up because it was ready (and not yet taken up) when the node stopped. */
  recovered: boolean;
}

export interface ListStudiesOptions {
  /** Most recently active first; default 50. */
  limit?: number;
  states?: StudyState[];
  /** Include versions superseded by a newer one (default: current versions only). */
  includeSuperseded?: boolean;
}

/**
 * What later stages use. Ready events may repeat for the same (study, version) after a restart
 * (`recovered: true`): consumers treat (studyInstanceUid, version) as the idempotency key.
 * Every method is asynchronous so that an adapter to a server database can implement it.
 */
export interface StudyCatalog {
  /** Registers a listener for "this study version is complete"; returns a function that unregisters it. */
  onStudyReady(listener: (event: StudyReadyEvent) => void): () => void;
  listStudies(options?: ListStudiesOptions): Promise<StudyVersionSummary[]>;
  /** The given version, or the current one. */
  getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined>;
  /** Instances of a study version, ordered by series and instance number. */
  listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]>;
  /**
   * ready (or failed, for a retry) → processing. False when the version is not there to be
   * processed: it is receiving again, or a newer version superseded it; the caller drops its job.
   */
  markProcessing(studyInstanceUid: string, version: number): Promise<boolean>;
  /** → done, with an optional one-line outcome. */
  markDone(studyInstanceUid: string, version: number, outcome?: string): Promise<boolean>;
  /** → failed, with the reason an admin will read in `cd8-node status`. */
  markFailed(studyInstanceUid: string, version: number, reason: string): Promise<boolean>;
}
