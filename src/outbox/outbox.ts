/**
 * The outbox: every result to send (SR, summary object, HL7 message) is a row before it is sent.
 * Rows are keyed by (destination, message key): the SR's SOP Instance UID or the ORU's Message
 * Control ID, both fixed per study version, so enqueueing the same version again adds nothing.
 * A row goes pending → sending → sent, or back to pending with a later next try, or failed after
 * the last attempt. "sent" is final: nothing ever picks a sent row up again on its own.
 *
 * The database handle is injected (the node shares <dataDir>/index.sqlite with the store); the
 * tables are created here if missing.
 */
import type { Database } from 'better-sqlite3';

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
}

interface DbRow {
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

const toRow = (r: DbRow): OutboxRow => ({
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

const COLUMNS = 'id, study_uid, study_version, kind, destination, message_key, description, state, attempts, last_error, next_attempt_at, created_at, sent_at';

export interface OutboxStatus {
  counts: Record<OutboxState, number>;
  /** Rows not yet sent (pending, sending, failed), oldest first, and the most recently sent. */
  rows: OutboxRow[];
}

export class Outbox {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_uid TEXT NOT NULL,
        study_version INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('dicom', 'hl7')),
        destination TEXT NOT NULL,
        message_key TEXT NOT NULL,
        description TEXT NOT NULL,
        payload BLOB NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        UNIQUE (kind, destination, message_key)
      );
      CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
      CREATE INDEX IF NOT EXISTS outbox_study ON outbox (study_uid);
    `);
  }

  /** Adds the messages of one study version; rows that exist already (same destination and key) are left as they are. Returns the ids of new rows. */
  enqueue(messages: NewMessage[]): number[] {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO outbox (study_uid, study_version, kind, destination, message_key, description, payload, next_attempt_at, created_at)
       VALUES (@studyInstanceUid, @studyVersion, @kind, @destination, @messageKey, @description, @payload, @now, @now)`,
    );
    const now = this.now();
    return this.db.transaction(() => {
      const ids: number[] = [];
      for (const m of messages) {
        const r = insert.run({ ...m, now });
        if (r.changes === 1) ids.push(Number(r.lastInsertRowid));
      }
      return ids;
    })();
  }

  /** Takes the next due message of a destination and leases it for `leaseMs` (state "sending"). */
  claimNext(destination: string, leaseMs: number): OutboxMessage | undefined {
    const now = this.now();
    return this.db.transaction(() => {
      const row = this.db
        .prepare(`SELECT ${COLUMNS}, payload FROM outbox WHERE destination = ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1`)
        .get(destination, now) as DbRow | undefined;
      if (!row) return undefined;
      const claimed = this.db.prepare(`UPDATE outbox SET state = 'sending', lease_until = ? WHERE id = ? AND state = 'pending'`).run(now + leaseMs, row.id);
      if (claimed.changes !== 1) return undefined;
      return { ...toRow({ ...row, state: 'sending' }), payload: row.payload as Buffer };
    })();
  }

  markSent(id: number): void {
    this.db.prepare(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL, lease_until = NULL WHERE id = ? AND state = 'sending'`).run(this.now(), id);
  }

  /** Records a failed try: back to pending at `nextAttemptAt`, or failed for good. */
  markAttemptFailed(id: number, error: string, next: { nextAttemptAt: number } | 'give-up'): void {
    if (next === 'give-up') {
      this.db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, lease_until = NULL WHERE id = ? AND state = 'sending'`).run(error, id);
    } else {
      this.db
        .prepare(`UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = ?, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND state = 'sending'`)
        .run(error, next.nextAttemptAt, id);
    }
  }

  /**
   * Rows left "sending" by a process that died (lease expired) go back to pending. The peer may
   * have received the message before the crash: it gets the same SOP Instance UID / Message
   * Control ID again, which PACS and RIS treat as the same object.
   */
  recoverExpiredLeases(): number {
    return this.db.prepare(`UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending' AND (lease_until IS NULL OR lease_until < ?)`).run(this.now()).changes;
  }

  /**
   * Re-triggers the messages of a study now: failed and pending rows (attempts start again).
   * With `includeSent`, delivered rows are sent once more too: an explicit admin decision (e.g.
   * the PACS lost the SR), never done automatically.
   */
  resend(studyInstanceUid: string, options: { includeSent?: boolean } = {}): OutboxRow[] {
    const states = options.includeSent ? ['pending', 'failed', 'sent'] : ['pending', 'failed'];
    const now = this.now();
    return this.db.transaction(() => {
      this.db
        .prepare(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, sent_at = CASE WHEN state = 'sent' THEN NULL ELSE sent_at END WHERE study_uid = ? AND state IN (${states.map(() => '?').join(',')})`)
        .run(now, studyInstanceUid, ...states);
      return this.forStudy(studyInstanceUid);
    })();
  }

  /** A failed (or waiting) row tried again now, attempts counted from zero; undefined when there is no such row to retry. */
  retryNow(id: number): OutboxRow | undefined {
    const changed = this.db.prepare(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state IN ('failed', 'pending')`).run(this.now(), id).changes;
    return changed === 1 ? this.get(id) : undefined;
  }

  forStudy(studyInstanceUid: string): OutboxRow[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE study_uid = ? ORDER BY id`).all(studyInstanceUid) as DbRow[]).map(toRow);
  }

  get(id: number): OutboxRow | undefined {
    const r = this.db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`).get(id) as DbRow | undefined;
    return r ? toRow(r) : undefined;
  }

  /** Destinations that have rows waiting (pending), for the sender. */
  destinationsWithPending(): string[] {
    return (this.db.prepare(`SELECT DISTINCT destination FROM outbox WHERE state = 'pending'`).all() as Array<{ destination: string }>).map((r) => r.destination);
  }

  /** Earliest next try of any pending row (epoch ms), or undefined. */
  nextDueAt(): number | undefined {
    const r = this.db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`).get() as { t: number | null };
    return r.t ?? undefined;
  }

  /** For `cd8-node status`: counts per state, every unsent row, and the `recentSent` latest sent rows. */
  status(recentSent = 10): OutboxStatus {
    return readOutboxStatus(this.db, recentSent)!;
  }
}

/**
 * The outbox as `cd8-node status` shows it, from any connection (read-only included);
 * undefined when the node has not created the outbox yet.
 */
export function readOutboxStatus(db: Database, recentSent = 10): OutboxStatus | undefined {
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'`).get()) return undefined;
  const counts: Record<OutboxState, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
  for (const r of db.prepare(`SELECT state, COUNT(*) AS n FROM outbox GROUP BY state`).all() as Array<{ state: OutboxState; n: number }>) counts[r.state] = r.n;
  const unsent = (db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE state != 'sent' ORDER BY id`).all() as DbRow[]).map(toRow);
  const sent = (db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT ?`).all(recentSent) as DbRow[]).map(toRow);
  return { counts, rows: [...unsent, ...sent] };
}

/** Rows created since `sinceMs` (epoch ms), by state: what the node produced today. */
export function outboxCountsSince(db: Database, sinceMs: number): Record<OutboxState, number> {
  const counts: Record<OutboxState, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'`).get()) return counts;
  for (const r of db.prepare(`SELECT state, COUNT(*) AS n FROM outbox WHERE created_at >= ? GROUP BY state`).all(sinceMs) as Array<{ state: OutboxState; n: number }>) counts[r.state] = r.n;
  return counts;
}
