/**
 * The job queue in PostgreSQL, shared by every node: a claim locks the row it takes with
 * FOR UPDATE SKIP LOCKED, so nodes claiming at once take different jobs and never wait on each
 * other; a running job whose lease ran out (its node died) is claimable again.
 */
import { afterFailure, emptyJobCounts, FailureKind, Job, JobQueue, JobRow, JobState, QueueOptions, toJob } from '../../jobs/queue';
import { PgPool } from '../postgres';

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

  async claim(node: string, leaseMs: number, now = Date.now()): Promise<Job | undefined> {
    const r = await this.pool.query<JobRow>(
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, node = $1, lease_until = $2, updated_at = $3
       WHERE id = (
         SELECT id FROM jobs
         WHERE (state = 'pending' AND not_before <= $3) OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < $3)
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [node, now + leaseMs, now],
    );
    return r.rows[0] && toJob(r.rows[0]);
  }

  async renew(node: string, ids: readonly number[], leaseMs: number, now = Date.now()): Promise<number[]> {
    if (ids.length === 0) return [];
    const r = await this.pool.query<{ id: number }>(`UPDATE jobs SET lease_until = $1 WHERE id = ANY($2::bigint[]) AND node = $3 AND state = 'running' RETURNING id`, [
      now + leaseMs,
      ids,
      node,
    ]);
    return r.rows.map((x) => x.id);
  }

  async complete(id: number): Promise<void> {
    await this.pool.query(`UPDATE jobs SET state = 'done', last_error = NULL, lease_until = NULL, updated_at = $1 WHERE id = $2`, [Date.now(), id]);
  }

  async fail(id: number, error: string, kind: FailureKind, now = Date.now()): Promise<Job> {
    const job = await this.get(id);
    if (!job) throw new Error(`job ${id} does not exist`);
    const next = afterFailure(job, kind, this.options, now);
    const r = await this.pool.query<JobRow>(`UPDATE jobs SET state = $1, last_error = $2, not_before = $3, lease_until = NULL, updated_at = $4 WHERE id = $5 RETURNING *`, [
      next.state,
      error,
      next.notBefore,
      now,
      id,
    ]);
    return toJob(r.rows[0]);
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
