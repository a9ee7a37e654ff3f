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

export function startWorkers(o: WorkerOptions): Workers {
  const running = new Map<number, Promise<void>>();
  /** Jobs given back to the queue at shutdown: whatever they do afterwards must not touch the queue. */
  const handedBack = new Set<number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const settle = (job: Job, error: Error | undefined): void => {
    const meta = { job: job.id, studyInstanceUid: job.studyInstanceUid, version: job.version, attempt: job.attempts };
    if (handedBack.has(job.id)) {
      o.logger.debug('a job handed back at shutdown ended; the queue runs it again at the next start', { ...meta, error: error?.message });
      return;
    }
    if (!error) {
      o.queue.complete(job.id);
      o.logger.info('job done', meta);
      o.onSettled?.(job, 'done');
      return;
    }
    const permanent = error instanceof BadInputError;
    const after = o.queue.fail(job.id, error.message, permanent ? 'permanent' : 'transient');
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

  const fill = () => {
    timer = undefined;
    if (stopped) return;
    try {
      while (running.size < o.concurrency) {
        const job = o.queue.claim();
        if (!job) break;
        o.logger.info('job started', { job: job.id, studyInstanceUid: job.studyInstanceUid, version: job.version, attempt: job.attempts });
        running.set(job.id, runOne(job));
      }
    } catch (e) {
      o.logger.error(`cannot take a job from the queue: ${errorText(e)}; trying again at the next poll`);
    }
    schedule(o.pollMs ?? 1000);
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) {
      if (ms > 0) return;
      clearTimeout(timer);
    }
    timer = setTimeout(fill, ms);
    timer.unref();
  };

  schedule(0);
  return {
    wake: () => schedule(0),
    running: () => running.size,
    async stop(graceMs = 30000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      const all = Promise.allSettled([...running.values()]);
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<'timeout'>((r) => {
        graceTimer = setTimeout(() => r('timeout'), graceMs);
      });
      const outcome = await Promise.race([all.then(() => 'finished' as const), grace]);
      clearTimeout(graceTimer);
      if (outcome === 'timeout') {
        for (const id of running.keys()) handedBack.add(id);
        const count = o.queue.recoverRunning();
        o.logger.warn(`shutdown: ${count} running job(s) handed back to the queue; they restart at the next start`);
      }
    },
  };
}
