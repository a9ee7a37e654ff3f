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

/** What a PACS may do during one retrieval (it controls the counts, the pace and the images). */
export interface RetrieveOptions {
  onProgress?: (p: MoveProgress) => void;
  /** The PACS silent this long (no response, no image) has failed the retrieval. */
  idleTimeoutMs?: number;
  /** Most images one retrieval may bring (and responses it may send); beyond, it is stopped. */
  maxImages: number;
  /** The whole retrieval, however lively the PACS, ends by then. */
  maxDurationMs: number;
}

/**
 * Moves the query's images to `destinationAeTitle`. `idleTimeoutMs` bounds the silence between
 * two responses (a PACS answers pending after each image), `maxDurationMs` the whole retrieval.
 */
export function cMove(target: ScuTarget, destinationAeTitle: string, query: MoveQuery, options: RetrieveOptions): Promise<MoveOutcome> {
  const request = query.seriesInstanceUid
    ? requests.CMoveRequest.createSeriesMoveRequest(destinationAeTitle, query.studyInstanceUid, query.seriesInstanceUid)
    : requests.CMoveRequest.createStudyMoveRequest(destinationAeTitle, query.studyInstanceUid);
  const responses = retrieveResponses(options);
  return scuRequest<{ status: number; progress: MoveProgress; warning?: string }>(target, {
    request,
    operation: 'C-MOVE',
    what: 'Study Root Query/Retrieve – MOVE',
    settingsKey: 'sources.dicom[]',
    idleTimeoutMs: options.idleTimeoutMs,
    maxDurationMs: options.maxDurationMs,
    onResponse: responses,
  }) as Promise<MoveOutcome>;
}

type RetrieveSettle = (o: { ok: true; status: number; progress: MoveProgress; warning?: string } | { ok: false; status?: number; message: string }) => void;

/**
 * The responses of one C-MOVE or C-GET: pending ones report progress, the final one settles the
 * outcome. A PACS that announces more images than `maxImages`, or keeps answering pending beyond
 * them, has the retrieval stopped (the association is aborted) with the reason.
 */
export function retrieveResponses(options: Pick<RetrieveOptions, 'onProgress' | 'maxImages'>): (r: unknown, settle: RetrieveSettle, who: string) => void {
  let last: MoveProgress | undefined;
  let pending = 0;
  const bound = `the ${options.maxImages} images one retrieval may bring (sources.maxImagesPerRetrieval); the retrieval was stopped`;
  return (r, settle, who) => {
    const response = r as MoveResponse;
    const status = response.getStatus();
    const count = (get: () => number) => {
      const v = get();
      return Number.isFinite(v) && v > 0 ? v : 0;
    };
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
      pending++;
      if (total > options.maxImages) {
        settle({ ok: false, message: `${who} offers ${total} images, more than ${bound}. Raise the bound if the series is really that large.` });
        return;
      }
      // One pending response per image (and one before the first): more is a PACS that never ends.
      if (pending > options.maxImages + 1) {
        settle({ ok: false, message: `${who} kept answering pending (${pending} responses), beyond ${bound}.` });
        return;
      }
      options.onProgress?.(progress);
      last = progress;
      return;
    }
    if (status === DimseStatus.Success) settle({ ok: true, status, progress: known });
    else if ((status & 0xf000) === 0xb000) settle({ ok: true, status, progress: known, warning: `${who} sent the images with warning status ${statusHex(status)}: ${known.failed} of them could not be sent` });
    else {
      const comment = response.getErrorComment?.();
      settle({ ok: false, status, message: `${who} did not send the images: ${describeRetrieveFailure(status)}${comment ? ` ("${comment.slice(0, 200)}")` : ''}.` });
    }
  };
}
