/**
 * The outbox: every result to send (SR, summary object, HL7 message) is a row before it is sent.
 * Rows are keyed by (destination, message key): the SR's SOP Instance UID or the ORU's Message
 * Control ID, both fixed per study version, so enqueueing the same version again adds nothing.
 * A row goes pending → sending → sent, or back to pending with a later next try, or failed after
 * the last attempt. "sent" is final: nothing ever picks a sent row up again on its own.
 *
 * Implementations: db/sqlite/outbox.ts (one node) and db/postgres/outbox.ts (several nodes: a
 * claim locks its row with FOR UPDATE SKIP LOCKED). The lease of a claimed row is longer than
 * the longest send (transport timeouts), so a live sender never loses a row it is sending.
 */

export type MessageKind = 'dicom' | 'hl7';
export type OutboxState = 'pending' | 'sending' | 'sent' | 'failed';

export interface NewMessage {
  studyInstanceUid: string;
  studyVersion: number;
  kind: MessageKind;
  destination: string;
  /** SOP Instance UID (dicom) or Message Control ID (hl7). */
  messageKey: string;
  /** What it is, for people: "Comprehensive 3D SR", "Encapsulated PDF summary", "ORU^R01". */
  description: string;
  payload: Buffer;
}

/** A message in the outbox, without its bytes: what it is and how its delivery stands. */
export interface OutboxRow extends Omit<NewMessage, 'payload'> {
  id: number;
  state: OutboxState;
  attempts: number;
  lastError: string | null;
  /** Epoch ms of the next try (pending rows). */
  nextAttemptAt: number;
  createdAt: number;
  sentAt: number | null;
}

export interface OutboxMessage extends OutboxRow {
  payload: Buffer;
  /** The claim that took it: the sender's node and its lease's end. A finishing update must match it. */
  claim: { node: string | null; leaseUntil: number };
}

/** What a finishing update needs of a claimed message (markSent, markAttemptFailed). */
export type OutboxClaim = Pick<OutboxMessage, 'id' | 'attempts' | 'claim'>;

export interface OutboxDbRow {
  id: number;
  study_uid: string;
  study_version: number;
  kind: MessageKind;
  destination: string;
  message_key: string;
  description: string;
  state: OutboxState;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  created_at: number;
  sent_at: number | null;
  payload?: Buffer;
}

export const toOutboxRow = (r: OutboxDbRow): OutboxRow => ({
  id: r.id,
  studyInstanceUid: r.study_uid,
  studyVersion: r.study_version,
  kind: r.kind,
  destination: r.destination,
  messageKey: r.message_key,
  description: r.description,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

export const OUTBOX_COLUMNS = 'id, study_uid, study_version, kind, destination, message_key, description, state, attempts, last_error, next_attempt_at, created_at, sent_at';

export interface OutboxStatus {
  counts: Record<OutboxState, number>;
  /** Rows not yet sent (pending, sending, failed; at most `perState` of each), oldest first, and the most recently sent. */
  rows: OutboxRow[];
}

export interface Outbox {
  /** Adds the messages of one study version; rows that exist already (same destination and key) are left as they are. Returns the ids of new rows. */
  enqueue(messages: NewMessage[]): Promise<number[]>;
  /** Takes the next due message of a destination and leases it to `node` for `leaseMs` (state "sending"). */
  claimNext(destination: string, leaseMs: number, node?: string): Promise<OutboxMessage | undefined>;
  /**
   * Records the delivery of a claimed message. false when the claim no longer holds the row (its
   * lease ran out and another sender took it): nothing changed.
   */
  markSent(claim: OutboxClaim): Promise<boolean>;
  /** Records a failed try: back to pending at `nextAttemptAt`, or failed for good. false as for markSent. */
  markAttemptFailed(claim: OutboxClaim, error: string, next: { nextAttemptAt: number } | 'give-up'): Promise<boolean>;
  /**
   * Rows left "sending" by a process that died (lease expired) go back to pending. The peer may
   * have received the message before the crash: it gets the same SOP Instance UID / Message
   * Control ID again, which PACS and RIS treat as the same object.
   */
  recoverExpiredLeases(): Promise<number>;
  /**
   * Re-triggers the messages of a study now: failed and pending rows (attempts start again).
   * With `includeSent`, delivered rows are sent once more too: an explicit admin decision (e.g.
   * the PACS lost the SR), never done automatically.
   */
  resend(studyInstanceUid: string, options?: { includeSent?: boolean }): Promise<OutboxRow[]>;
  /** A failed (or waiting) row tried again now, attempts counted from zero; undefined when there is no such row to retry. */
  retryNow(id: number): Promise<OutboxRow | undefined>;
  forStudy(studyInstanceUid: string): Promise<OutboxRow[]>;
  get(id: number): Promise<OutboxRow | undefined>;
  /** Destinations that have rows waiting (pending), for the sender. */
  destinationsWithPending(): Promise<string[]>;
  /** Earliest next try of any pending row (epoch ms), or undefined. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * For `cd8-node status`, the console and the metrics: exact counts per state, the oldest
   * `perState` rows of each unsent state (pending, sending, failed), and the `recentSent` latest
   * sent rows. A backlog of thousands stays a few hundred rows read.
   */
  status(recentSent?: number, perState?: number): Promise<OutboxStatus>;
  /** Rows created since `sinceMs` (epoch ms), by state: what the node (or cluster) produced today. */
  countsSince(sinceMs: number): Promise<Record<OutboxState, number>>;
}

/** The states of rows not yet delivered. */
export const UNSENT_STATES = ['pending', 'sending', 'failed'] as const satisfies readonly OutboxState[];

/** How many rows of each unsent state status() reads unless told otherwise (what the console shows). */
export const OUTBOX_ROWS_PER_STATE = 200;

export const emptyOutboxCounts = (): Record<OutboxState, number> => ({ pending: 0, sending: 0, sent: 0, failed: 0 });

/** The states `resend` puts back to pending. */
export const resendStates = (includeSent: boolean | undefined): OutboxState[] => (includeSent ? ['pending', 'failed', 'sent'] : ['pending', 'failed']);
