/**
 * The job queue in PostgreSQL, shared by every node: a claim locks the row it takes with
 * FOR UPDATE SKIP LOCKED, so nodes claiming at once take different jobs and never wait on each
 * other; a running job whose lease ran out (its node died) is claimable again.
 */
import { afterFailure, emptyJobCounts, FailureKind, Job, JobClaim, JobQueue, JobRow, JobState, QueueOptions, toJob } from '../../jobs/queue';
import { DB_NOW_MS, PgPool } from '../postgres';

/** The job is still the claim's: same node, same attempt, still running ($1 id, $2 node, $3 attempts). */
const HELD_BY_CLAIM = `id = $1 AND node = $2 AND attempts = $3 AND state = 'running'`;

export class PgJobQueue implements JobQueue {
  constructor(
    private readonly pool: PgPool,
    private readonly options: QueueOptions,
  ) {}

  async enqueue(studyInstanceUid: string, version: number): Promise<Job> {
    const now = Date.now();
    await this.pool.query(`INSERT INTO jobs (study_uid, version, state, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (study_uid, version) DO NOTHING`, [
      studyInstanceUid,
      version,
      now,
    ]);
    const r = await this.pool.query<JobRow>(`SELECT * FROM jobs WHERE study_uid = $1 AND version = $2`, [studyInstanceUid, version]);
    return toJob(r.rows[0]);
  }

  // `now` is for tests that move time; without it the server's clock decides (DB_NOW_MS).
  async claim(node: string, leaseMs: number, now?: number): Promise<Job | undefined> {
    const r = await this.pool.query<JobRow>(
      `WITH t AS (SELECT COALESCE($3::bigint, ${DB_NOW_MS}) AS now)
       UPDATE jobs SET state = 'running', attempts = attempts + 1, node = $1, lease_until = t.now + $2, updated_at = t.now
       FROM t
       WHERE id = (
         SELECT id FROM jobs, t
         WHERE (state = 'pending' AND not_before <= t.now) OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < t.now)
         ORDER BY id LIMIT 1 FOR UPDATE OF jobs SKIP LOCKED)
       RETURNING jobs.*`,
      [node, leaseMs, now ?? null],
    );
    return r.rows[0] && toJob(r.rows[0]);
  }

  async renew(node: string, ids: readonly number[], leaseMs: number, now?: number): Promise<number[]> {
    if (ids.length === 0) return [];
    const r = await this.pool.query<{ id: number }>(
      `UPDATE jobs SET lease_until = COALESCE($1::bigint, ${DB_NOW_MS}) + $2 WHERE id = ANY($3::bigint[]) AND node = $4 AND state = 'running' RETURNING id`,
      [now ?? null, leaseMs, ids, node],
    );
    return r.rows.map((x) => x.id);
  }

  async complete(claim: JobClaim): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE jobs SET state = 'done', last_error = NULL, lease_until = NULL, updated_at = $4 WHERE ${HELD_BY_CLAIM}`,
      [claim.id, claim.node, claim.attempts, Date.now()],
    );
    return r.rowCount === 1;
  }

  async fail(claim: JobClaim, error: string, kind: FailureKind, now = Date.now()): Promise<Job | undefined> {
    const job = await this.get(claim.id);
    if (!job) throw new Error(`job ${claim.id} does not exist`);
    const next = afterFailure(job, kind, this.options, now);
    const r = await this.pool.query<JobRow>(
      `UPDATE jobs SET state = $4, last_error = $5, not_before = $6, lease_until = NULL, updated_at = $7 WHERE ${HELD_BY_CLAIM} RETURNING *`,
      [claim.id, claim.node, claim.attempts, next.state, error, next.notBefore, now],
    );
    return r.rows[0] && toJob(r.rows[0]);
  }

  async recoverRunning(node: string): Promise<number> {
    const r = await this.pool.query(`UPDATE jobs SET state = 'pending', lease_until = NULL, updated_at = $1 WHERE state = 'running' AND node = $2`, [Date.now(), node]);
    return r.rowCount ?? 0;
  }

  async get(id: number): Promise<Job | undefined> {
    const r = await this.pool.query<JobRow>(`SELECT * FROM jobs WHERE id = $1`, [id]);
    return r.rows[0] && toJob(r.rows[0]);
  }

  async latestFor(studyInstanceUid: string): Promise<Job | undefined> {
    const r = await this.pool.query<JobRow>(`SELECT * FROM jobs WHERE study_uid = $1 ORDER BY version DESC LIMIT 1`, [studyInstanceUid]);
    return r.rows[0] && toJob(r.rows[0]);
  }

  async list(limit = 50): Promise<Job[]> {
    const r = await this.pool.query<JobRow>(`SELECT * FROM jobs ORDER BY updated_at DESC, id DESC LIMIT $1`, [limit]);
    return r.rows.map(toJob);
  }

  async counts(): Promise<Record<JobState, number>> {
    const out = emptyJobCounts();
    const r = await this.pool.query<{ state: JobState; n: number }>(`SELECT state, COUNT(*)::int AS n FROM jobs GROUP BY state`);
    for (const row of r.rows) out[row.state] = row.n;
    return out;
  }

  async runningPerNode(): Promise<Record<string, number>> {
    const r = await this.pool.query<{ node: string; n: number }>(`SELECT COALESCE(node, '') AS node, COUNT(*)::int AS n FROM jobs WHERE state = 'running' GROUP BY node`);
    return Object.fromEntries(r.rows.map((x) => [x.node, x.n]));
  }
}
