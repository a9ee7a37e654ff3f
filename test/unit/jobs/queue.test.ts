import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exponentialBackoff, SqliteJobQueue } from '../../../src/jobs/queue';
import { BadInputError, startWorkers } from '../../../src/jobs/worker';
import { silentLogger } from '../../../src/ops/logger';

const newQueue = (file = ':memory:', maxAttempts = 3) => new SqliteJobQueue(new Database(file), { maxAttempts, backoffMs: exponentialBackoff(1000, 60000) });

describe('job queue', () => {
  it('moves a job pending → running → done', () => {
    const q = newQueue();
    const job = q.enqueue('1.2.3', 1);
    expect(job).toMatchObject({ state: 'pending', attempts: 0, version: 1 });
    const claimed = q.claim()!;
    expect(claimed).toMatchObject({ id: job.id, state: 'running', attempts: 1 });
    expect(q.claim()).toBeUndefined();
    q.complete(job.id);
    expect(q.get(job.id)!.state).toBe('done');
    expect(q.counts()).toEqual({ pending: 0, running: 0, done: 1, failed: 0 });
  });

  it('keeps one job per study version: a second "ready" for the same version adds nothing', () => {
    const q = newQueue();
    const a = q.enqueue('1.2.3', 1);
    const b = q.enqueue('1.2.3', 1);
    expect(b.id).toBe(a.id);
    expect(q.enqueue('1.2.3', 2).id).not.toBe(a.id);
    expect(q.latestFor('1.2.3')!.version).toBe(2);
  });

  it('retries a transient failure after an exponential backoff, up to the attempt limit', () => {
    const q = newQueue(':memory:', 3);
    const { id } = q.enqueue('1.2.3', 1);
    const t0 = 1_000_000;
    q.claim(t0);
    expect(q.fail(id, 'PACS busy', 'transient', t0)).toMatchObject({ state: 'pending', notBefore: t0 + 1000, lastError: 'PACS busy' });
    expect(q.claim(t0 + 999)).toBeUndefined();
    q.claim(t0 + 1000);
    expect(q.fail(id, 'PACS busy', 'transient', t0 + 1000)).toMatchObject({ state: 'pending', notBefore: t0 + 3000 });
    q.claim(t0 + 3000);
    expect(q.fail(id, 'PACS busy', 'transient', t0 + 3000)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'PACS busy' });
  });

  it('never retries bad input', () => {
    const q = newQueue();
    const { id } = q.enqueue('1.2.3', 1);
    q.claim();
    expect(q.fail(id, 'no CT series matches the RTSTRUCT frame of reference', 'permanent')).toMatchObject({ state: 'failed', attempts: 1 });
  });

  it('survives a restart: a job left running by a dead process goes back to pending', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cd8-queue-')), 'index.sqlite');
    const before = newQueue(file);
    const { id } = before.enqueue('1.2.3', 1);
    before.claim();
    const after = newQueue(file);
    expect(after.get(id)!.state).toBe('running');
    expect(after.recoverRunning()).toBe(1);
    expect(after.claim()).toMatchObject({ id, attempts: 2 });
  });
});

describe('workers', () => {
  const waitUntil = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(cond()).toBe(true);
  };

  it('process jobs with bounded concurrency', async () => {
    const q = newQueue();
    for (let i = 0; i < 5; i++) q.enqueue(`1.2.${i}`, 1);
    let inFlight = 0;
    let peak = 0;
    const workers = startWorkers({
      queue: q,
      concurrency: 2,
      logger: silentLogger(),
      pollMs: 10,
      process: async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
      },
    });
    await waitUntil(() => q.counts().done === 5);
    await workers.stop();
    expect(peak).toBe(2);
  });

  it('report bad input as failed at once, and retry other errors', async () => {
    const q = new SqliteJobQueue(new Database(':memory:'), { maxAttempts: 3, backoffMs: () => 0 });
    const bad = q.enqueue('bad', 1);
    const flaky = q.enqueue('flaky', 1);
    let flakyCalls = 0;
    const workers = startWorkers({
      queue: q,
      concurrency: 1,
      logger: silentLogger(),
      pollMs: 5,
      process: async (job) => {
        if (job.studyInstanceUid === 'bad') throw new BadInputError('no selectable lesion');
        if (++flakyCalls < 3) throw new Error('disk busy');
      },
    });
    await waitUntil(() => q.get(flaky.id)!.state === 'done');
    await workers.stop();
    expect(q.get(bad.id)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'no selectable lesion' });
    expect(q.get(flaky.id)!.attempts).toBe(3);
  });

  it('hand running jobs back to the queue when they outlast the shutdown grace', async () => {
    const q = newQueue();
    const { id } = q.enqueue('slow', 1);
    const workers = startWorkers({ queue: q, concurrency: 1, logger: silentLogger(), pollMs: 5, process: () => new Promise(() => undefined) });
    await waitUntil(() => q.get(id)!.state === 'running');
    await workers.stop(20);
    expect(q.get(id)!.state).toBe('pending');
  });

  it('leave a job handed back at shutdown alone when it ends afterwards (it runs again at the next start)', async () => {
    const q = newQueue(':memory:', 1);
    const done = q.enqueue('finishes late', 1);
    const failed = q.enqueue('fails late', 1);
    const finish: Array<(error?: Error) => void> = [];
    const workers = startWorkers({
      queue: q,
      concurrency: 2,
      logger: silentLogger(),
      pollMs: 5,
      process: () => new Promise<void>((resolve, reject) => finish.push((error) => (error ? reject(error) : resolve()))),
    });
    await waitUntil(() => q.counts().running === 2);
    await workers.stop(20);
    // Their analyses end after the grace: one with an answer, one stopped (its last attempt).
    finish[0]();
    finish[1](new Error('the analysis was stopped because the node is stopping'));
    await new Promise((r) => setTimeout(r, 20));
    expect(q.get(done.id)).toMatchObject({ state: 'pending', attempts: 1, lastError: null });
    expect(q.get(failed.id)).toMatchObject({ state: 'pending', attempts: 1, lastError: null });
  });

  it('survive a queue that cannot record an outcome: logged, not an unhandled rejection', async () => {
    const db = new Database(':memory:');
    const q = new SqliteJobQueue(db, { maxAttempts: 3, backoffMs: () => 0 });
    q.enqueue('1.2.3', 1);
    const errors: string[] = [];
    const logger = silentLogger();
    logger.error = ((message: string) => {
      errors.push(message);
      return logger;
    }) as typeof logger.error;
    let release: () => void = () => undefined;
    const workers = startWorkers({ queue: q, concurrency: 1, logger, pollMs: 5, process: () => new Promise<void>((r) => (release = r)) });
    await waitUntil(() => q.counts().running === 1);
    db.close();
    release();
    await waitUntil(() => errors.some((e) => /cannot record its outcome in the queue: The database connection is not open/.test(e)));
    await workers.stop(20).catch(() => undefined);
  });
});
