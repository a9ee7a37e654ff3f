/**
 * What the DICOM listener needs from whatever keeps the instances it receives (the store): the
 * listener streams a C-STORE's dataset into `begin(...).writable` and answers after `commit()`.
 * A refusal comes back as an error with a reason in storage terms; the listener answers it with
 * the DIMSE status of that reason (status.ts). The store implements this; dicom/ never imports store/.
 */
import { Writable } from 'node:stream';
import type { AuditEvent } from '../ops/audit';
import { errorText } from '../ops/errorText';

export interface IncomingInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  callingAeTitle: string;
}

export interface ReceivedInstance {
  outcome: 'stored' | 'duplicate' | 'replaced';
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  patientId?: string;
  bytes: number;
  /** Absolute path of the stored file. */
  path: string;
  /** The study version it went into, when that is news for the log. */
  record?: { version: number; versionChange: string };
}

/** A C-STORE in flight: its data goes to `writable`; `commit()` makes it durable or refuses it. */
export interface PendingInstance<T extends ReceivedInstance = ReceivedInstance> {
  readonly writable: Writable;
  commit(): Promise<T>;
  /** The association ended before the dataset was complete. */
  abandon(): Promise<void>;
}

export interface InstanceReceiver<T extends ReceivedInstance = ReceivedInstance> {
  begin(incoming: IncomingInstance): PendingInstance<T>;
}

/** Why an instance was not kept. */
export type RefusalReason =
  /** The disk is full or below the configured free space. */
  | 'out-of-space'
  /** The index cannot be written now (a shared database unreachable): try again later. */
  | 'index-unavailable'
  /** The dataset's SOP Class UID is not the one the request announced. */
  | 'sop-class-mismatch'
  /** The dataset cannot be parsed, is not the announced instance or lacks the UIDs to file it. */
  | 'unreadable'
  /** Anything else on our side (disk I/O, index). */
  | 'failed';

/** A refusal: `comment` fits the 64-character Error Comment of the answer; `message` is for the log. */
export interface Refusal extends Error {
  readonly reason: RefusalReason;
  readonly comment: string;
}

/** Big enough that a whole CT slice is buffered without the sender ever being told to wait. */
export const RECEIVE_HIGH_WATER_MARK = 8 * 1024 * 1024;

/** Where the data of a refused C-STORE goes: read off the association, and dropped. */
export class DiscardSink extends Writable {
  constructor() {
    super({ highWaterMark: RECEIVE_HIGH_WATER_MARK });
  }
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
}

/** A C-STORE refused before its data arrived: its data goes to a DiscardSink, and commit() throws the refusal. */
export function refusedBeforeData(refusal: Error): PendingInstance<never> {
  const sink = new DiscardSink();
  return {
    writable: sink,
    commit: async () => {
      throw refusal;
    },
    abandon: async () => {
      sink.destroy();
    },
  };
}

export function isRefusal(e: unknown): e is Refusal {
  return e instanceof Error && typeof (e as Partial<Refusal>).reason === 'string' && typeof (e as Partial<Refusal>).comment === 'string';
}

/**
 * Keeps an instance whose dataset is already whole in memory (a STOW-RS part, a C-GET
 * sub-operation) with the same guarantee as a streamed C-STORE. Throws the receiver's refusal.
 */
export async function receiveWholeDataset<T extends ReceivedInstance>(receiver: InstanceReceiver<T>, incoming: IncomingInstance, dataset: Buffer): Promise<T> {
  const pending = receiver.begin(incoming);
  try {
    await new Promise<void>((resolve, reject) => {
      pending.writable.once('error', reject);
      pending.writable.end(dataset, () => resolve());
    });
  } catch (e) {
    await pending.abandon().catch(() => undefined);
    throw new Error(`writing ${incoming.sopInstanceUid} failed: ${errorText(e)}`);
  }
  return pending.commit();
}

/** The audit event of an instance the receiver kept, whichever way it came (C-STORE, STOW-RS, C-GET). */
export function storedAuditEvent(stored: ReceivedInstance, peer: string, callingAeTitle: string): AuditEvent {
  return {
    event: stored.outcome === 'stored' ? 'instance.stored' : stored.outcome === 'duplicate' ? 'instance.duplicate' : 'instance.replaced',
    peer,
    callingAeTitle,
    sopClassUid: stored.sopClassUid,
    sopInstanceUid: stored.sopInstanceUid,
    studyInstanceUid: stored.studyInstanceUid,
    transferSyntaxUid: stored.transferSyntaxUid,
    bytes: stored.bytes,
    status: 'Success',
  };
}
