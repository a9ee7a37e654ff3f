/**
 * The durable job queue between "study ready" and "results written".
 *
 *   pending ──claim──▶ running ──complete──▶ done
 *      ▲                  │
 *      └──fail(transient, attempts left; after a backoff)
 *                         └──fail(permanent, or attempts used up)──▶ failed(reason)
 *
 * One job per (study, version): enqueueing the same version twice is a no-op, so a duplicate
 * "ready" event cannot process a study twice. A job found `running` at start-up belonged to a
 * process that died: it goes back to `pending`.
 *
 * The interface is small on purpose: a PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED) or
 * BullMQ/Redis adapter can implement it for several nodes.
 */
import type Database from 'better-sqlite3';
import { backoffMs } from '../ops/backoff';

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface Job {
  id: number;
  studyInstanceUid: string;
  version: number;
  state: JobState;
  attempts: number;
  lastError: string | null;
  /** Epoch ms before which a pending job is not claimed (retry backoff). */
  notBefore: number;
  createdAt: number;
  updatedAt: number;
}

export type FailureKind = 'transient' | 'permanent';

export interface JobQueue {
  enqueue(studyInstanceUid: string, version: number): Job;
  /** Takes the oldest claimable pending job and marks it running. */
  claim(now?: number): Job | undefined;
  complete(id: number): void;
  /** Transient failures with attempts left go back to pending after a backoff; others end failed. */
  fail(id: number, error: string, kind: FailureKind, now?: number): Job;
  /** At start-up: jobs left running by a dead process go back to pending. Returns how many. */
  recoverRunning(): number;
  get(id: number): Job | undefined;
  latestFor(studyInstanceUid: string): Job | undefined;
  list(limit?: number): Job[];
  counts(): Record<JobState, number>;
}

export interface QueueOptions {
  maxAttempts: number;
  /** Wait before retry n (1-based) of a transient failure. */
  backoffMs: (attempt: number) => number;
}

interface Row {
  id: number;
  study_uid: string;
  version: number;
  state: JobState;
  attempts: number;
  last_error: string | null;
  not_before: number;
  created_at: number;
  updated_at: number;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  studyInstanceUid: r.study_uid,
  version: r.version,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  notBefore: r.not_before,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class SqliteJobQueue implements JobQueue {
  constructor(
    private readonly db: Database.Database,
    private readonly options: QueueOptions,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        study_uid TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        not_before INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (study_uid, version)
      );
      CREATE INDEX IF NOT EXISTS jobs_claim ON jobs (state, not_before, id);
    `);
  }

  enqueue(studyInstanceUid: string, version: number): Job {
    const now = Date.now();
    this.db
      .prepare(`INSERT INTO jobs (study_uid, version, state, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (study_uid, version) DO NOTHING`)
      .run(studyInstanceUid, version, now, now);
    return toJob(this.db.prepare(`SELECT * FROM jobs WHERE study_uid = ? AND version = ?`).get(studyInstanceUid, version) as Row);
  }

  claim(now = Date.now()): Job | undefined {
    // better-sqlite3 transactions are synchronous and exclusive within this connection.
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT * FROM jobs WHERE state = 'pending' AND not_before <= ? ORDER BY id LIMIT 1`).get(now) as Row | undefined;
      if (!row) return undefined;
      this.db.prepare(`UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?`).run(now, row.id);
      return { ...toJob(row), state: 'running' as const, attempts: row.attempts + 1, updatedAt: now };
    })();
  }

  complete(id: number): void {
    this.db.prepare(`UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?`).run(Date.now(), id);
  }

  fail(id: number, error: string, kind: FailureKind, now = Date.now()): Job {
    const job = this.get(id);
    if (!job) throw new Error(`job ${id} does not exist`);
    const retry = kind === 'transient' && job.attempts < this.options.maxAttempts;
    const notBefore = retry ? now + this.options.backoffMs(job.attempts) : job.notBefore;
    this.db
      .prepare(`UPDATE jobs SET state = ?, last_error = ?, not_before = ?, updated_at = ? WHERE id = ?`)
      .run(retry ? 'pending' : 'failed', error, notBefore, now, id);
    return this.get(id)!;
  }

  recoverRunning(): number {
    return this.db.prepare(`UPDATE jobs SET state = 'pending', updated_at = ? WHERE state = 'running'`).run(Date.now()).changes;
  }

  get(id: number): Job | undefined {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as Row | undefined;
    return row && toJob(row);
  }

  latestFor(studyInstanceUid: string): Job | undefined {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE study_uid = ? ORDER BY version DESC LIMIT 1`).get(studyInstanceUid) as Row | undefined;
    return row && toJob(row);
  }

  list(limit = 50): Job[] {
    return (this.db.prepare(`SELECT * FROM jobs ORDER BY updated_at DESC, id DESC LIMIT ?`).all(limit) as Row[]).map(toJob);
  }

  counts(): Record<JobState, number> {
    const out: Record<JobState, number> = { pending: 0, running: 0, done: 0, failed: 0 };
    for (const r of this.db.prepare(`SELECT state, COUNT(*) AS n FROM jobs GROUP BY state`).all() as Array<{ state: JobState; n: number }>) out[r.state] = r.n;
    return out;
  }
}

/** Exponential backoff: base, 2·base, 4·base … capped. */
export function exponentialBackoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => backoffMs(attempt, baseMs, maxMs);
}

/** How long a job that failed transiently waits before its next attempt: 30 s, doubling, at most 30 min. */
export const JOB_RETRY_BACKOFF = exponentialBackoff(30_000, 30 * 60_000);
