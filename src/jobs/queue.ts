/**
 * The durable job queue between "study ready" and "results written".
 *
 *   pending ──claim──▶ running ──complete──▶ done
 *      ▲                  │
 *      └──fail(transient, attempts left; after a backoff)
 *                         └──fail(permanent, or attempts used up)──▶ failed(reason)
 *
 * One job per (study, version): enqueueing the same version twice is a no-op, so a duplicate
 * "ready" event (from this node or another) cannot process a study twice. A claimed job is leased
 * to the node that runs it, which renews the lease while it works; a job whose lease ran out (its
 * node died) is claimed again by any node. Implementations: db/sqlite/jobs.ts (one node) and
 * db/postgres/jobs.ts (several nodes: claims with FOR UPDATE SKIP LOCKED).
 */
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
  /** The node that runs (or last ran) it. */
  node: string | null;
  /** Epoch ms until which its node holds a running job. */
  leaseUntil: number | null;
}

export type FailureKind = 'transient' | 'permanent';

/**
 * One claim of a job: its node and the attempt it started. A finishing update matches it or
 * touches nothing, so a node whose lease ran out (another node claimed the job since) cannot set
 * the job back to pending or done under its new holder.
 */
export type JobClaim = Pick<Job, 'id' | 'node' | 'attempts'>;

export interface JobQueue {
  enqueue(studyInstanceUid: string, version: number): Promise<Job>;
  /**
   * Takes the oldest claimable job, pending and due or running with an expired lease (its node
   * died), marks it running and leases it to `node` for `leaseMs`.
   */
  claim(node: string, leaseMs: number, now?: number): Promise<Job | undefined>;
  /** Extends the leases of the running jobs `ids` that `node` still holds; returns the ids it holds. */
  renew(node: string, ids: readonly number[], leaseMs: number, now?: number): Promise<number[]>;
  /** Marks the claimed job done; false when the claim no longer holds the job (lease lost): nothing changed. */
  complete(claim: JobClaim): Promise<boolean>;
  /**
   * Transient failures with attempts left go back to pending after a backoff; others end failed.
   * undefined when the claim no longer holds the job (lease lost): nothing changed.
   */
  fail(claim: JobClaim, error: string, kind: FailureKind, now?: number): Promise<Job | undefined>;
  /** Jobs `node` left running (a restart, or a shutdown past its grace) go back to pending. Returns how many. */
  recoverRunning(node: string): Promise<number>;
  get(id: number): Promise<Job | undefined>;
  latestFor(studyInstanceUid: string): Promise<Job | undefined>;
  list(limit?: number): Promise<Job[]>;
  counts(): Promise<Record<JobState, number>>;
  /** Running jobs per node (status and metrics of a cluster). */
  runningPerNode(): Promise<Record<string, number>>;
}

export interface QueueOptions {
  maxAttempts: number;
  /** Wait before retry n (1-based) of a transient failure. */
  backoffMs: (attempt: number) => number;
}

/** A jobs row as both engines return it. */
export interface JobRow {
  id: number;
  study_uid: string;
  version: number;
  state: JobState;
  attempts: number;
  last_error: string | null;
  not_before: number;
  created_at: number;
  updated_at: number;
  node: string | null;
  lease_until: number | null;
}

export const toJob = (r: JobRow): Job => ({
  id: r.id,
  studyInstanceUid: r.study_uid,
  version: r.version,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  notBefore: r.not_before,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  node: r.node,
  leaseUntil: r.lease_until,
});

/** After a failed attempt: back to pending after the backoff, or failed for good. */
export function afterFailure(job: Pick<Job, 'attempts' | 'notBefore'>, kind: FailureKind, options: QueueOptions, now: number): { state: JobState; notBefore: number } {
  const retry = kind === 'transient' && job.attempts < options.maxAttempts;
  return { state: retry ? 'pending' : 'failed', notBefore: retry ? now + options.backoffMs(job.attempts) : job.notBefore };
}

export const emptyJobCounts = (): Record<JobState, number> => ({ pending: 0, running: 0, done: 0, failed: 0 });

/** Exponential backoff: base, 2·base, 4·base … capped. */
export function exponentialBackoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => backoffMs(attempt, baseMs, maxMs);
}

/** How long a job that failed transiently waits before its next attempt: 30 s, doubling, at most 30 min. */
export const JOB_RETRY_BACKOFF = exponentialBackoff(30_000, 30 * 60_000);
