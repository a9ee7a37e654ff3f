/**
 * Works the job queue with bounded concurrency. A job's processing function decides how a
 * failure counts: `BadInputError` (the study itself is unusable: reported, never retried) or
 * anything else (transient: retried with backoff up to the limit).
 */
import type { Logger } from '../ops/logger';
import type { Job, JobQueue } from './queue';
import { errorText } from '../ops/errorText';

/** The input cannot be processed, whatever we retry: report it, do not retry. */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(
    message: string,
    readonly code = 'bad-input',
  ) {
    super(message);
    this.name = 'BadInputError';
  }
}

export interface WorkerOptions {
  queue: JobQueue;
  /** This node's name in the queue (the holder of its jobs' leases). */
  node?: string;
  /**
   * How long a claimed job stays this node's without a renewal; renewed every third of it while
   * the job runs. A node that dies leaves its jobs to the others after this long.
   */
  leaseMs?: number;
  concurrency: number;
  process: (job: Job) => Promise<void>;
  logger: Logger;
  /** How often to look for claimable jobs when idle. */
  pollMs?: number;
  onSettled?: (job: Job, outcome: 'done' | 'retry' | 'failed', error?: Error) => void;
}

export interface Workers {
  /** Claim now instead of waiting for the next poll (e.g. right after enqueue). */
  wake(): void;
  /** Stops claiming; waits up to graceMs for running jobs, then hands the rest back to pending. */
  stop(graceMs?: number): Promise<void>;
  running(): number;
}

export const DEFAULT_JOB_LEASE_MS = 60_000;

export function startWorkers(o: WorkerOptions): Workers {
  const node = o.node ?? 'local';
  const leaseMs = o.leaseMs ?? DEFAULT_JOB_LEASE_MS;
  const running = new Map<number, Promise<void>>();
  /** Jobs given back to the queue (shutdown, or a lease another node took over): whatever they do afterwards must not touch the queue. */
  const handedBack = new Set<number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const settle = async (job: Job, error: Error | undefined): Promise<void> => {
    const meta = { job: job.id, studyInstanceUid: job.studyInstanceUid, version: job.version, attempt: job.attempts };
    if (handedBack.has(job.id)) {
      o.logger.debug('a job handed back (at shutdown, or taken over by another node) ended; the queue has it again', { ...meta, error: error?.message });
      return;
    }
    const lostLease = () => {
      o.logger.warn(`job ${job.id}: its lease ran out and another node took it over; this node's result of it is dropped`, { ...meta, error: error?.message });
    };
    if (!error) {
      if (!(await o.queue.complete(job))) return lostLease();
      o.logger.info('job done', meta);
      o.onSettled?.(job, 'done');
      return;
    }
    const permanent = error instanceof BadInputError;
    const after = await o.queue.fail(job, error.message, permanent ? 'permanent' : 'transient');
    if (!after) return lostLease();
    const outcome = after.state === 'pending' ? 'retry' : 'failed';
    if (outcome === 'retry') o.logger.warn(`job failed, will retry at ${new Date(after.notBefore).toISOString()}`, { ...meta, error: error.message });
    else o.logger.error(permanent ? 'job failed: the study cannot be processed' : 'job failed after its last attempt', { ...meta, error: error.message });
    o.onSettled?.(after, outcome, error);
  };

  const runOne = (job: Job): Promise<void> =>
    o
      .process(job)
      .then(
        () => settle(job, undefined),
        (e: unknown) => settle(job, e instanceof Error ? e : new Error(String(e))),
      )
      .catch((e: unknown) => {
        // The queue itself failed (e.g. the database is locked): the job stays running and is
        // handed back at the next start; the process must not die of an unhandled rejection.
        o.logger.error(`job ${job.id}: cannot record its outcome in the queue: ${errorText(e)}`, { studyInstanceUid: job.studyInstanceUid, version: job.version });
      })
      .finally(() => {
        running.delete(job.id);
        schedule(0);
      });

  let filling = false;
  let claimFailing = false;
  let fillAgain = false;
  const fill = async () => {
    timer = undefined;
    if (stopped) return;
    // One claim round at a time (claims are asynchronous); a wake-up meanwhile runs another round.
    if (filling) {
      fillAgain = true;
      return;
    }
    filling = true;
    try {
      while (running.size < o.concurrency && !stopped) {
        const job = await o.queue.claim(node, leaseMs);
        if (!job) break;
        handedBack.delete(job.id); // this node's again (it had handed it back or lost it before)
        o.logger.info('job started', { job: job.id, studyInstanceUid: job.studyInstanceUid, version: job.version, attempt: job.attempts });
        running.set(job.id, runOne(job));
      }
      claimFailing = false;
    } catch (e) {
      // Once per outage (a shared database down fails every poll).
      if (!claimFailing) o.logger.error(`cannot take a job from the queue: ${errorText(e)}; trying again at each poll`);
      claimFailing = true;
    } finally {
      filling = false;
    }
    if (fillAgain) {
      fillAgain = false;
      schedule(0);
    } else schedule(o.pollMs ?? 1000);
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) {
      if (ms > 0) return;
      clearTimeout(timer);
    }
    timer = setTimeout(() => void fill(), ms);
    timer.unref();
  };

  // The leases of the jobs this node runs, renewed while they run; a job whose lease another node
  // took over (this node was unreachable too long) is left to that node when it ends.
  const renewal = setInterval(() => {
    const ids = [...running.keys()].filter((id) => !handedBack.has(id));
    if (ids.length === 0) return;
    o.queue.renew(node, ids, leaseMs).then(
      (held) => {
        for (const id of ids) {
          if (held.includes(id)) continue;
          handedBack.add(id);
          o.logger.warn(`job ${id}: its lease ran out and another node took it over; this node's result of it is dropped`);
        }
      },
      (e: unknown) => o.logger.warn(`cannot renew the leases of the running jobs: ${errorText(e)}`),
    );
  }, Math.max(10, Math.floor(leaseMs / 3)));
  renewal.unref();

  schedule(0);
  return {
    wake: () => schedule(0),
    running: () => running.size,
    async stop(graceMs = 30000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(renewal);
      const all = Promise.allSettled([...running.values()]);
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((r) => {
        graceTimer = setTimeout(() => r('timeout'), graceMs);
      });
      const outcome = await Promise.race([all.then(() => 'finished' as const), grace]);
      clearTimeout(graceTimer);
      if (outcome === 'timeout') {
        for (const id of running.keys()) handedBack.add(id);
        const count = await o.queue.recoverRunning(node);
        o.logger.warn(`shutdown: ${count} running job(s) handed back to the queue; they restart at the next start`);
      }
    },
  };
}
