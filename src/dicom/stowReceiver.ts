/**
 * The STOW-RS receiver's core (DICOMweb, PS3.18 §10.5), independent of the HTTP framework: the
 * request's Content-Type, Authorization and body stream in, a status, headers and a DICOM JSON
 * store response out. Each instance is stored like a C-STORE (InstanceStore: fsync and index
 * before the response) and answered on its own (Referenced / Failed SOP Sequence).
 *
 * Nothing half-stored: the whole body is read (bounded) before the first instance is stored, so a
 * client that goes away mid-request leaves nothing behind, and an instance is either durable and
 * listed as stored, or absent and listed as failed. A malformed request (no boundary, wrong
 * content type, cut off, too large) is refused as a whole.
 */
import type { AuditLog } from '../ops/audit';
import type { Logger } from '../ops/logger';
import type { IdHasher } from '../ops/idHash';
import { InstanceReceiver, isRefusal, ReceivedInstance, receiveWholeDataset, storedAuditEvent } from './receive';
import { DimseStatus, statusHex, storeStatusFor } from './status';
import { errorText } from '../ops/errorText';
import { readMultipartRelated, parseContentType } from './multipart';
import { NotPart10Error, readFileMeta } from './part10';
import { sopClassName, STORAGE_CLASSES, TRANSFER_SYNTAX_PREFERENCE } from './uids';

export interface StowBounds {
  maxBodyBytes: number;
  maxParts: number;
  maxPartBytes: number;
}

export interface StowReceiverDeps {
  store: InstanceReceiver;
  /** After each stored instance (study assembly). */
  onStored(instance: ReceivedInstance): void;
  audit: AuditLog;
  logger: Logger;
  /** Hashes the Patient ID for the log (ops/idHash). */
  hashId: IdHasher;
  bounds: StowBounds;
  /** Who may store: the Authorization header and the client's address in, the role or the refusal out (http.auth, console/auth.ts). */
  authorise(authorization: string | undefined, ip: string): StoreAuthorisation;
}

export type StoreAuthorisation = { ok: true; role: string } | { ok: false; status: 401 | 403 | 429; message: string; retryAfterS?: number };

export interface StowRequest {
  contentType?: string;
  contentLength?: string;
  authorization?: string;
  /** The request body as it arrives. */
  body: AsyncIterable<Buffer | string>;
  /** Remote address and port, for the log and the audit. */
  peer: string;
  /** The client's address (wrong tokens are counted per address). */
  ip: string;
}

export interface StowResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the audit and the instance files record as the sender of a STOW-RS instance. */
export const STOW_SOURCE = 'DICOMWEB';

/** Failure Reason (0008,1197) values of PS3.18 Table 10.5.3-2 we answer with. */
const FailureReason = {
  ...DimseStatus,
  TransferSyntaxNotSupported: 0xc122,
} as const;

const JSON_TYPE = 'application/dicom+json';

function problem(status: number, message: string, extra: Record<string, string> = {}): StowResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra }, body: `${message}\n` };
}


type Outcome = { ok: true; stored: ReceivedInstance } | { ok: false; sopClassUid: string; sopInstanceUid: string; reason: number; message: string };

export async function handleStow(request: StowRequest, deps: StowReceiverDeps): Promise<StowResponse> {
  const { logger, audit, bounds } = deps;
  const refuse = (status: number, message: string, extra?: Record<string, string>) => {
    logger.warn(`STOW-RS request from ${request.peer} refused (${status}): ${message}`);
    audit.record({ event: 'instance.rejected', peer: request.peer, callingAeTitle: STOW_SOURCE, status: `HTTP ${status}`, reason: message });
    return problem(status, message, extra);
  };

  const access = deps.authorise(request.authorization, request.ip);
  if (!access.ok) {
    const extra: Record<string, string> = access.status === 401 ? { 'www-authenticate': 'Bearer realm="cd8-node DICOMweb"' } : access.retryAfterS !== undefined ? { 'retry-after': String(access.retryAfterS) } : {};
    return refuse(access.status, access.message, extra);
  }
  const ct = parseContentType(request.contentType);
  if (!ct || ct.mediaType !== 'multipart/related') {
    return refuse(415, `Content-Type must be multipart/related; type="application/dicom" (got ${request.contentType ? `"${request.contentType}"` : 'none'}).`);
  }
  if (ct.params.type !== undefined && ct.params.type.toLowerCase() !== 'application/dicom') {
    return refuse(415, `only type="application/dicom" parts are accepted (Part 10 instances), not "${ct.params.type}".`);
  }
  const declared = Number(request.contentLength);
  if (request.contentLength !== undefined && Number.isFinite(declared) && declared > bounds.maxBodyBytes) {
    return refuse(413, `the request body is ${declared} bytes, more than the ${bounds.maxBodyBytes} allowed (dicomweb.maxRequestMb); send fewer instances per request.`);
  }

  // The whole body first: a request cut off stores nothing.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Not for-await: leaving that loop early would destroy the request, and the client would get
    // a reset instead of the 413 (the HTTP edge reads and drops the rest, within bounds).
    const reader = request.body[Symbol.asyncIterator]();
    for (let next = await reader.next(); !next.done; next = await reader.next()) {
      const b = typeof next.value === 'string' ? Buffer.from(next.value, 'latin1') : next.value;
      size += b.length;
      if (size > bounds.maxBodyBytes) return refuse(413, `the request body exceeds the ${bounds.maxBodyBytes} bytes allowed (dicomweb.maxRequestMb); send fewer instances per request.`);
      chunks.push(b);
    }
  } catch (e) {
    const message = `the client went away after ${size} bytes (${errorText(e)}); nothing of this request was stored.`;
    logger.warn(`STOW-RS request from ${request.peer} aborted: ${message}`);
    audit.record({ event: 'instance.rejected', peer: request.peer, callingAeTitle: STOW_SOURCE, status: 'aborted', reason: message });
    return problem(400, message);
  }
  const body = Buffer.concat(chunks, size);
  const parsed = readMultipartRelated(request.contentType, body, bounds);
  if (!parsed.ok) return refuse(parsed.status, parsed.message);
  if (parsed.parts.length === 0) return refuse(400, 'the multipart body holds no part: nothing to store.');

  const outcomes: Outcome[] = [];
  for (const [i, part] of parsed.parts.entries()) outcomes.push(await storePart(i + 1, part.headers['content-type'], part.body, request.peer, deps));

  const stored = outcomes.filter((o): o is Extract<Outcome, { ok: true }> => o.ok);
  const failed = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
  const response: Record<string, unknown> = {};
  if (stored.length > 0) {
    response['00081199'] = {
      vr: 'SQ',
      Value: stored.map((o) => ({ '00081150': { vr: 'UI', Value: [o.stored.sopClassUid] }, '00081155': { vr: 'UI', Value: [o.stored.sopInstanceUid] } })),
    };
  }
  if (failed.length > 0) {
    response['00081198'] = {
      vr: 'SQ',
      Value: failed.map((o) => ({
        ...(o.sopClassUid ? { '00081150': { vr: 'UI', Value: [o.sopClassUid] } } : {}),
        ...(o.sopInstanceUid ? { '00081155': { vr: 'UI', Value: [o.sopInstanceUid] } } : {}),
        '00081197': { vr: 'US', Value: [o.reason] },
      })),
    };
  }
  // PS3.18: 200 all stored, 202 some, 409 none.
  const status = failed.length === 0 ? 200 : stored.length > 0 ? 202 : 409;
  logger.info(`STOW-RS from ${request.peer}: ${stored.length} of ${outcomes.length} instance(s) stored${failed.length > 0 ? `; failed: ${failed.map((f) => f.message).join(' | ')}` : ''}`, {
    studies: [...new Set(stored.map((o) => o.stored.studyInstanceUid))],
    bytes: size,
  });
  return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(response) };
}

async function storePart(n: number, contentType: string | undefined, part: Buffer, peer: string, deps: StowReceiverDeps): Promise<Outcome> {
  const { audit, logger } = deps;
  const fail = (reason: number, message: string, sopClassUid = '', sopInstanceUid = ''): Outcome => {
    audit.record({ event: 'instance.rejected', peer, callingAeTitle: STOW_SOURCE, sopClassUid: sopClassUid || undefined, sopInstanceUid: sopInstanceUid || undefined, status: statusHex(reason), reason: message });
    logger.warn(`STOW-RS part ${n} from ${peer} not stored: ${message}`);
    return { ok: false, sopClassUid, sopInstanceUid, reason, message: `part ${n}: ${message}` };
  };
  const type = parseContentType(contentType)?.mediaType;
  if (type !== undefined && type !== 'application/dicom') return fail(FailureReason.CannotUnderstand, `its Content-Type is ${type}, not application/dicom.`);
  let meta;
  try {
    meta = readFileMeta(part);
  } catch (e) {
    return fail(FailureReason.CannotUnderstand, e instanceof NotPart10Error ? `not a DICOM Part 10 instance (${e.message})` : `unreadable file meta information: ${errorText(e)}`);
  }
  const { sopClassUid, sopInstanceUid, transferSyntaxUid } = meta;
  if (!STORAGE_CLASSES.has(sopClassUid)) return fail(FailureReason.SopClassNotSupported, `${sopClassName(sopClassUid)} (${sopClassUid}) is not a SOP class this node stores.`, sopClassUid, sopInstanceUid);
  if (!TRANSFER_SYNTAX_PREFERENCE.includes(transferSyntaxUid)) return fail(FailureReason.TransferSyntaxNotSupported, `transfer syntax ${transferSyntaxUid} cannot be decoded here.`, sopClassUid, sopInstanceUid);

  let stored: ReceivedInstance;
  try {
    stored = await receiveWholeDataset(deps.store, { sopClassUid, sopInstanceUid, transferSyntaxUid, callingAeTitle: STOW_SOURCE }, part.subarray(meta.datasetOffset));
  } catch (e) {
    return fail(isRefusal(e) ? storeStatusFor(e.reason) : DimseStatus.ProcessingFailure, errorText(e), sopClassUid, sopInstanceUid);
  }
  audit.record(storedAuditEvent(stored, peer, STOW_SOURCE));
  logger.debug(`STOW-RS ${sopClassName(stored.sopClassUid)} from ${peer}: ${stored.outcome}`, { sopInstanceUid, studyInstanceUid: stored.studyInstanceUid, patient: deps.hashId(stored.patientId) });
  deps.onStored(stored);
  return { ok: true, stored };
}
