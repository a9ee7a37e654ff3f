/**
 * C-MOVE SCU (Study Root Query/Retrieve): asks a PACS to send a series (or a study) to an AE
 * title, normally our own, and follows its pending responses (sub-operations remaining,
 * completed, failed) until the final one. The images themselves arrive through our C-STORE
 * listener like any other.
 */
import { requests } from 'dcmjs-dimse';
import { scuRequest, ScuTarget } from './scuAssociation';
import { DimseStatus, describeRetrieveFailure, statusHex } from './status';

export interface MoveQuery {
  studyInstanceUid: string;
  /** Absent: the whole study. */
  seriesInstanceUid?: string;
}

export interface MoveProgress {
  remaining: number;
  completed: number;
  failed: number;
  warning: number;
}

export type MoveOutcome =
  | { ok: true; elapsedMs: number; status: number; progress: MoveProgress; warning?: string }
  | { ok: false; status?: number; elapsedMs: number; message: string; progress?: MoveProgress };

const PENDING = new Set([0xff00, 0xff01]);

interface MoveResponse {
  getStatus(): number;
  getErrorComment?(): string | undefined;
  getRemaining(): number;
  getCompleted(): number;
  getFailures(): number;
  getWarnings(): number;
}

/**
 * Moves the query's images to `destinationAeTitle`. `idleTimeoutMs` bounds the silence between
 * two responses (a PACS answers pending after each image), not the whole retrieval.
 */
export function cMove(target: ScuTarget, destinationAeTitle: string, query: MoveQuery, onProgress?: (p: MoveProgress) => void, idleTimeoutMs?: number): Promise<MoveOutcome> {
  const request = query.seriesInstanceUid
    ? requests.CMoveRequest.createSeriesMoveRequest(destinationAeTitle, query.studyInstanceUid, query.seriesInstanceUid)
    : requests.CMoveRequest.createStudyMoveRequest(destinationAeTitle, query.studyInstanceUid);
  let last: MoveProgress | undefined;
  return scuRequest<{ status: number; progress: MoveProgress; warning?: string }>(target, {
    request,
    operation: 'C-MOVE',
    what: 'Study Root Query/Retrieve – MOVE',
    settingsKey: 'sources.dicom[]',
    idleTimeoutMs,
    onResponse(r, settle, who) {
      last = interpretRetrieveResponse(r, last, settle, who, onProgress);
    },
  }) as Promise<MoveOutcome>;
}

type RetrieveSettle = (o: { ok: true; status: number; progress: MoveProgress; warning?: string } | { ok: false; status?: number; message: string }) => void;

/**
 * One response of a C-MOVE or C-GET: pending ones report progress (returned, to be passed back
 * with the next), the final one settles the outcome.
 */
export function interpretRetrieveResponse(r: unknown, last: MoveProgress | undefined, settle: RetrieveSettle, who: string, onProgress?: (p: MoveProgress) => void): MoveProgress | undefined {
  const response = r as MoveResponse;
  const status = response.getStatus();
  const count = (get: () => number) => (Number.isFinite(get()) ? get() : 0);
  const progress: MoveProgress = {
    remaining: count(() => response.getRemaining()),
    completed: count(() => response.getCompleted()),
    failed: count(() => response.getFailures()),
    warning: count(() => response.getWarnings()),
  };
  // A final response may leave the counts out: keep the last pending ones then.
  const total = progress.remaining + progress.completed + progress.failed + progress.warning;
  const known = total > 0 ? progress : (last ?? progress);
  if (PENDING.has(status)) {
    onProgress?.(progress);
    return progress;
  }
  if (status === DimseStatus.Success) settle({ ok: true, status, progress: known });
  else if ((status & 0xf000) === 0xb000) settle({ ok: true, status, progress: known, warning: `${who} sent the images with warning status ${statusHex(status)}: ${known.failed} of them could not be sent` });
  else {
    const comment = response.getErrorComment?.();
    settle({ ok: false, status, message: `${who} did not send the images: ${describeRetrieveFailure(status)}${comment ? ` ("${comment}")` : ''}.` });
  }
  return last;
}
