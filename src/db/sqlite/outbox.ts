/** The outbox in SQLite: one node's sender; a claim is one synchronous transaction. */
import {
  emptyOutboxCounts,
  NewMessage,
  Outbox,
  OUTBOX_COLUMNS as COLUMNS,
  OutboxDbRow,
  OutboxClaim,
  OutboxMessage,
  OutboxRow,
  OutboxState,
  OutboxStatus,
  OUTBOX_ROWS_PER_STATE,
  resendStates,
  toOutboxRow,
  UNSENT_STATES,
} from '../../outbox/outbox';
import { hasTable, SqliteDb, statementCache } from '../sqlite';

/** The row is still the claim's: sending, by the same node, under the same lease and attempt. */
const HELD_BY_CLAIM = `id = @id AND state = 'sending' AND node IS @node AND lease_until = @leaseUntil AND attempts = @attempts`;
const claimParams = (c: OutboxClaim) => ({ id: c.id, node: c.claim.node, leaseUntil: c.claim.leaseUntil, attempts: c.attempts });

export class SqliteOutbox implements Outbox {
  private readonly q;

  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
  ) {
    this.q = statementCache(db);
  }

  async enqueue(messages: NewMessage[]): Promise<number[]> {
    const insert = this.q(
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

  async claimNext(destination: string, leaseMs: number, node?: string): Promise<OutboxMessage | undefined> {
    const now = this.now();
    return this.db.transaction(() => {
      const row = this.q(`SELECT ${COLUMNS}, payload FROM outbox WHERE destination = ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1`).get(
        destination,
        now,
      ) as OutboxDbRow | undefined;
      if (!row) return undefined;
      const claim = { node: node ?? null, leaseUntil: now + leaseMs };
      const claimed = this.q(`UPDATE outbox SET state = 'sending', lease_until = ?, node = ? WHERE id = ? AND state = 'pending'`).run(claim.leaseUntil, claim.node, row.id);
      if (claimed.changes !== 1) return undefined;
      return { ...toOutboxRow({ ...row, state: 'sending' }), payload: row.payload as Buffer, claim };
    })();
  }

  async markSent(claim: OutboxClaim): Promise<boolean> {
    return (
      this.q(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = @now, last_error = NULL, lease_until = NULL WHERE ${HELD_BY_CLAIM}`).run({
        ...claimParams(claim),
        now: this.now(),
      }).changes === 1
    );
  }

  async markAttemptFailed(claim: OutboxClaim, error: string, next: { nextAttemptAt: number } | 'give-up'): Promise<boolean> {
    const changed =
      next === 'give-up'
        ? this.q(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = @error, lease_until = NULL WHERE ${HELD_BY_CLAIM}`).run({ ...claimParams(claim), error }).changes
        : this.q(`UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = @error, next_attempt_at = @nextAttemptAt, lease_until = NULL WHERE ${HELD_BY_CLAIM}`).run({
            ...claimParams(claim),
            error,
            nextAttemptAt: next.nextAttemptAt,
          }).changes;
    return changed === 1;
  }

  async recoverExpiredLeases(): Promise<number> {
    return this.q(`UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending' AND (lease_until IS NULL OR lease_until < ?)`).run(this.now()).changes;
  }

  async resend(studyInstanceUid: string, options: { includeSent?: boolean } = {}): Promise<OutboxRow[]> {
    const states = resendStates(options.includeSent);
    const now = this.now();
    this.db
      .prepare(
        `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, sent_at = CASE WHEN state = 'sent' THEN NULL ELSE sent_at END WHERE study_uid = ? AND state IN (${states.map(() => '?').join(',')})`,
      )
      .run(now, studyInstanceUid, ...states);
    return this.forStudy(studyInstanceUid);
  }

  async retryNow(id: number): Promise<OutboxRow | undefined> {
    const changed = this.q(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ? AND state IN ('failed', 'pending')`).run(this.now(), id).changes;
    return changed === 1 ? this.get(id) : undefined;
  }

  async forStudy(studyInstanceUid: string): Promise<OutboxRow[]> {
    return (this.q(`SELECT ${COLUMNS} FROM outbox WHERE study_uid = ? ORDER BY id`).all(studyInstanceUid) as OutboxDbRow[]).map(toOutboxRow);
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const r = this.q(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`).get(id) as OutboxDbRow | undefined;
    return r ? toOutboxRow(r) : undefined;
  }

  async destinationsWithPending(): Promise<string[]> {
    return (this.q(`SELECT DISTINCT destination FROM outbox WHERE state = 'pending'`).all() as Array<{ destination: string }>).map((r) => r.destination);
  }

  async nextDueAt(): Promise<number | undefined> {
    const r = this.q(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`).get() as { t: number | null };
    return r.t ?? undefined;
  }

  async status(recentSent = 10, perState = OUTBOX_ROWS_PER_STATE): Promise<OutboxStatus> {
    const counts = emptyOutboxCounts();
    // A read-only tool may open a database an older node made before the outbox existed.
    if (!hasTable(this.db, 'outbox')) return { counts, rows: [] };
    for (const r of this.q(`SELECT state, COUNT(*) AS n FROM outbox GROUP BY state`).all() as Array<{ state: OutboxState; n: number }>) counts[r.state] = r.n;
    const ofState = this.q(`SELECT ${COLUMNS} FROM outbox WHERE state = ? ORDER BY id LIMIT ?`);
    const unsent = UNSENT_STATES.flatMap((state) => (counts[state] > 0 ? (ofState.all(state, perState) as OutboxDbRow[]) : []))
      .sort((x, y) => x.id - y.id)
      .map(toOutboxRow);
    const sent = (this.q(`SELECT ${COLUMNS} FROM outbox WHERE state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT ?`).all(recentSent) as OutboxDbRow[]).map(toOutboxRow);
    return { counts, rows: [...unsent, ...sent] };
  }

  async countsSince(sinceMs: number): Promise<Record<OutboxState, number>> {
    const counts = emptyOutboxCounts();
    if (!hasTable(this.db, 'outbox')) return counts;
    for (const r of this.q(`SELECT state, COUNT(*) AS n FROM outbox WHERE created_at >= ? GROUP BY state`).all(sinceMs) as Array<{ state: OutboxState; n: number }>) counts[r.state] = r.n;
    return counts;
  }
}
