/** The job queue in SQLite: one node; a claim is one synchronous transaction of its connection. */
import { afterFailure, emptyJobCounts, Job, JobClaim, JobQueue, JobRow, JobState, QueueOptions, toJob, FailureKind } from '../../jobs/queue';
import { SqliteDb, statementCache } from '../sqlite';

/** The job is still the claim's: same node, same attempt, still running. */
const HELD_BY_CLAIM = `id = @id AND node = @node AND attempts = @attempts AND state = 'running'`;
const claimParams = (c: JobClaim) => ({ id: c.id, node: c.node, attempts: c.attempts });

export class SqliteJobQueue implements JobQueue {
  private readonly q;

  constructor(
    private readonly db: SqliteDb,
    private readonly options: QueueOptions,
  ) {
    this.q = statementCache(db);
  }

  async enqueue(studyInstanceUid: string, version: number): Promise<Job> {
    const now = Date.now();
    this.q(`INSERT INTO jobs (study_uid, version, state, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (study_uid, version) DO NOTHING`).run(studyInstanceUid, version, now, now);
    return toJob(this.q(`SELECT * FROM jobs WHERE study_uid = ? AND version = ?`).get(studyInstanceUid, version) as JobRow);
  }

  async claim(node: string, leaseMs: number, now = Date.now()): Promise<Job | undefined> {
    return this.db.transaction(() => {
      const row = this.q(
        `SELECT * FROM jobs WHERE (state = 'pending' AND not_before <= ?) OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < ?) ORDER BY id LIMIT 1`,
      ).get(now, now) as JobRow | undefined;
      if (!row) return undefined;
      const leaseUntil = now + leaseMs;
      this.q(`UPDATE jobs SET state = 'running', attempts = attempts + 1, node = ?, lease_until = ?, updated_at = ? WHERE id = ?`).run(node, leaseUntil, now, row.id);
      return { ...toJob(row), state: 'running' as const, attempts: row.attempts + 1, updatedAt: now, node, leaseUntil };
    })();
  }

  async renew(node: string, ids: readonly number[], leaseMs: number, now = Date.now()): Promise<number[]> {
    const renew = this.q(`UPDATE jobs SET lease_until = ? WHERE id = ? AND node = ? AND state = 'running'`);
    return this.db.transaction(() => ids.filter((id) => renew.run(now + leaseMs, id, node).changes === 1))();
  }

  async complete(claim: JobClaim): Promise<boolean> {
    return this.q(`UPDATE jobs SET state = 'done', last_error = NULL, lease_until = NULL, updated_at = @now WHERE ${HELD_BY_CLAIM}`).run({ ...claimParams(claim), now: Date.now() }).changes === 1;
  }

  async fail(claim: JobClaim, error: string, kind: FailureKind, now = Date.now()): Promise<Job | undefined> {
    const job = await this.get(claim.id);
    if (!job) throw new Error(`job ${claim.id} does not exist`);
    const next = afterFailure(job, kind, this.options, now);
    const changed = this.q(`UPDATE jobs SET state = @state, last_error = @error, not_before = @notBefore, lease_until = NULL, updated_at = @now WHERE ${HELD_BY_CLAIM}`).run({
      ...claimParams(claim),
      state: next.state,
      error,
      notBefore: next.notBefore,
      now,
    }).changes;
    return changed === 1 ? this.get(claim.id) : undefined;
  }

  async recoverRunning(): Promise<number> {
    // One node per SQLite file: every running job is this node's (whatever name it had before a
    // restart, and rows from before leases existed have none).
    return this.q(`UPDATE jobs SET state = 'pending', lease_until = NULL, updated_at = ? WHERE state = 'running'`).run(Date.now()).changes;
  }

  async get(id: number): Promise<Job | undefined> {
    const row = this.q(`SELECT * FROM jobs WHERE id = ?`).get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  async latestFor(studyInstanceUid: string): Promise<Job | undefined> {
    const row = this.q(`SELECT * FROM jobs WHERE study_uid = ? ORDER BY version DESC LIMIT 1`).get(studyInstanceUid) as JobRow | undefined;
    return row && toJob(row);
  }

  async list(limit = 50): Promise<Job[]> {
    return (this.q(`SELECT * FROM jobs ORDER BY updated_at DESC, id DESC LIMIT ?`).all(limit) as JobRow[]).map(toJob);
  }

  async counts(): Promise<Record<JobState, number>> {
    const out = emptyJobCounts();
    for (const r of this.q(`SELECT state, COUNT(*) AS n FROM jobs GROUP BY state`).all() as Array<{ state: JobState; n: number }>) out[r.state] = r.n;
    return out;
  }

  async runningPerNode(): Promise<Record<string, number>> {
    const rows = this.q(`SELECT COALESCE(node, '') AS node, COUNT(*) AS n FROM jobs WHERE state = 'running' GROUP BY node`).all() as Array<{ node: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.node, r.n]));
  }
}
