/**
 * The outbox in PostgreSQL, shared by every node's sender: a claim takes the next due row of a
 * destination with FOR UPDATE SKIP LOCKED, so two senders never send the same row at once.
 */
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
import { DB_NOW_MS, inTransaction, PgPool } from '../postgres';

/** The row is still the claim's: sending, by the same node, under the same lease and attempt ($1 id, $2 node, $3 lease end, $4 attempts). */
const HELD_BY_CLAIM = `id = $1 AND state = 'sending' AND node IS NOT DISTINCT FROM $2 AND lease_until = $3 AND attempts = $4`;
const claimParams = (c: OutboxClaim) => [c.id, c.claim.node, c.claim.leaseUntil, c.attempts];

export class PgOutbox implements Outbox {
  /** `clock` is for tests that move time; without it leases run on the server's clock (DB_NOW_MS). */
  constructor(
    private readonly pool: PgPool,
    private readonly clock?: () => number,
  ) {}

  private now(): number {
    return this.clock ? this.clock() : Date.now();
  }

  /** The injected test clock, or null: SQL then reads the server's clock. */
  private leaseNow(): number | null {
    return this.clock ? this.clock() : null;
  }

  async enqueue(messages: NewMessage[]): Promise<number[]> {
    const now = this.now();
    return inTransaction(this.pool, async (c) => {
      const ids: number[] = [];
      for (const m of messages) {
        const r = await c.query<{ id: number }>(
          `INSERT INTO outbox (study_uid, study_version, kind, destination, message_key, description, payload, next_attempt_at, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (kind, destination, message_key) DO NOTHING RETURNING id`,
          [m.studyInstanceUid, m.studyVersion, m.kind, m.destination, m.messageKey, m.description, m.payload, now],
        );
        if (r.rows[0]) ids.push(r.rows[0].id);
      }
      return ids;
    });
  }

  async claimNext(destination: string, leaseMs: number, node?: string): Promise<OutboxMessage | undefined> {
    const r = await this.pool.query<OutboxDbRow & { lease_until: number; node: string | null }>(
      `WITH t AS (SELECT COALESCE($1::bigint, ${DB_NOW_MS}) AS now)
       UPDATE outbox SET state = 'sending', lease_until = t.now + $2, node = $3
       FROM t
       WHERE id = (SELECT id FROM outbox, t WHERE destination = $4 AND state = 'pending' AND next_attempt_at <= t.now
                   ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE OF outbox SKIP LOCKED)
       RETURNING ${COLUMNS.split(', ').map((c) => `outbox.${c}`).join(', ')}, outbox.payload, outbox.lease_until, outbox.node`,
      [this.leaseNow(), leaseMs, node ?? null, destination],
    );
    const row = r.rows[0];
    return row && { ...toOutboxRow(row), payload: row.payload as Buffer, claim: { node: row.node, leaseUntil: row.lease_until } };
  }

  async markSent(claim: OutboxClaim): Promise<boolean> {
    const r = await this.pool.query(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = $5, last_error = NULL, lease_until = NULL WHERE ${HELD_BY_CLAIM}`, [
      ...claimParams(claim),
      this.now(),
    ]);
    return r.rowCount === 1;
  }

  async markAttemptFailed(claim: OutboxClaim, error: string, next: { nextAttemptAt: number } | 'give-up'): Promise<boolean> {
    const r =
      next === 'give-up'
        ? await this.pool.query(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $5, lease_until = NULL WHERE ${HELD_BY_CLAIM}`, [...claimParams(claim), error])
        : await this.pool.query(
            `UPDATE outbox SET state = 'pending', attempts = attempts + 1, last_error = $5, next_attempt_at = $6, lease_until = NULL WHERE ${HELD_BY_CLAIM}`,
            [...claimParams(claim), error, next.nextAttemptAt],
          );
    return r.rowCount === 1;
  }

  async recoverExpiredLeases(): Promise<number> {
    const r = await this.pool.query(
      `UPDATE outbox SET state = 'pending', lease_until = NULL WHERE state = 'sending' AND (lease_until IS NULL OR lease_until < COALESCE($1::bigint, ${DB_NOW_MS}))`,
      [this.leaseNow()],
    );
    return r.rowCount ?? 0;
  }

  async resend(studyInstanceUid: string, options: { includeSent?: boolean } = {}): Promise<OutboxRow[]> {
    await this.pool.query(
      `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, sent_at = CASE WHEN state = 'sent' THEN NULL ELSE sent_at END
       WHERE study_uid = $2 AND state = ANY($3::text[])`,
      [this.now(), studyInstanceUid, resendStates(options.includeSent)],
    );
    return this.forStudy(studyInstanceUid);
  }

  async retryNow(id: number): Promise<OutboxRow | undefined> {
    const r = await this.pool.query<OutboxDbRow>(
      `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state IN ('failed', 'pending') RETURNING ${COLUMNS}`,
      [this.now(), id],
    );
    return r.rows[0] ? toOutboxRow(r.rows[0]) : undefined;
  }

  async forStudy(studyInstanceUid: string): Promise<OutboxRow[]> {
    const r = await this.pool.query<OutboxDbRow>(`SELECT ${COLUMNS} FROM outbox WHERE study_uid = $1 ORDER BY id`, [studyInstanceUid]);
    return r.rows.map(toOutboxRow);
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const r = await this.pool.query<OutboxDbRow>(`SELECT ${COLUMNS} FROM outbox WHERE id = $1`, [id]);
    return r.rows[0] ? toOutboxRow(r.rows[0]) : undefined;
  }

  async destinationsWithPending(): Promise<string[]> {
    const r = await this.pool.query<{ destination: string }>(`SELECT DISTINCT destination FROM outbox WHERE state = 'pending'`);
    return r.rows.map((x) => x.destination);
  }

  async nextDueAt(): Promise<number | undefined> {
    const r = await this.pool.query<{ t: number | null }>(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'`);
    return r.rows[0].t ?? undefined;
  }

  async status(recentSent = 10, perState = OUTBOX_ROWS_PER_STATE): Promise<OutboxStatus> {
    const counts = emptyOutboxCounts();
    const c = await this.pool.query<{ state: OutboxState; n: number }>(`SELECT state, COUNT(*)::int AS n FROM outbox GROUP BY state`);
    for (const r of c.rows) counts[r.state] = r.n;
    const unsent: OutboxDbRow[] = [];
    for (const state of UNSENT_STATES) {
      if (counts[state] > 0) unsent.push(...(await this.pool.query<OutboxDbRow>(`SELECT ${COLUMNS} FROM outbox WHERE state = $1 ORDER BY id LIMIT $2`, [state, perState])).rows);
    }
    const sent = await this.pool.query<OutboxDbRow>(`SELECT ${COLUMNS} FROM outbox WHERE state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT $1`, [recentSent]);
    return { counts, rows: [...unsent.sort((x, y) => x.id - y.id), ...sent.rows].map(toOutboxRow) };
  }

  async countsSince(sinceMs: number): Promise<Record<OutboxState, number>> {
    const counts = emptyOutboxCounts();
    const c = await this.pool.query<{ state: OutboxState; n: number }>(`SELECT state, COUNT(*)::int AS n FROM outbox WHERE created_at >= $1 GROUP BY state`, [sinceMs]);
    for (const r of c.rows) counts[r.state] = r.n;
    return counts;
  }
}
