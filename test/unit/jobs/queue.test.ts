import { exponentialBackoff, JobQueue } from '../../../src/jobs/queue';
import { BadInputError, startWorkers } from '../../../src/jobs/worker';
import { silentLogger } from '../../../src/ops/logger';
import { openStorage } from '../../../src/db/storage';
import { ENGINES, testStorages } from '../../support/storage';

const storages = testStorages();
const LEASE = 60_000;

describe.each(ENGINES)('job queue on %s', (engine) => {
  const newQueue = async (maxAttempts = 3, backoffMs = exponentialBackoff(1000, 60000)): Promise<JobQueue> =>
    (await storages.open(engine, { queue: { maxAttempts, backoffMs } })).jobs;

  it('moves a job pending → running → done', async () => {
    const q = await newQueue();
    const job = await q.enqueue('1.2.3', 1);
    expect(job).toMatchObject({ state: 'pending', attempts: 0, version: 1, node: null });
    const claimed = (await q.claim('node-a', LEASE))!;
    expect(claimed).toMatchObject({ id: job.id, state: 'running', attempts: 1, node: 'node-a' });
    expect(await q.claim('node-a', LEASE)).toBeUndefined();
    expect(await q.complete(claimed)).toBe(true);
    expect((await q.get(job.id))!.state).toBe('done');
    expect(await q.counts()).toEqual({ pending: 0, running: 0, done: 1, failed: 0 });
  });

  it('keeps one job per study version: a second "ready" for the same version adds nothing', async () => {
    const q = await newQueue();
    const a = await q.enqueue('1.2.3', 1);
    const b = await q.enqueue('1.2.3', 1);
    expect(b.id).toBe(a.id);
    expect((await q.enqueue('1.2.3', 2)).id).not.toBe(a.id);
    expect((await q.latestFor('1.2.3'))!.version).toBe(2);
  });

  it('retries a transient failure after an exponential backoff, up to the attempt limit', async () => {
    const q = await newQueue(3);
    const { id } = await q.enqueue('1.2.3', 1);
    const t0 = Date.now() + 1_000_000;
    expect(await q.fail((await q.claim('n', LEASE, t0))!, 'PACS busy', 'transient', t0)).toMatchObject({ id, state: 'pending', notBefore: t0 + 1000, lastError: 'PACS busy' });
    expect(await q.claim('n', LEASE, t0 + 999)).toBeUndefined();
    expect(await q.fail((await q.claim('n', LEASE, t0 + 1000))!, 'PACS busy', 'transient', t0 + 1000)).toMatchObject({ state: 'pending', notBefore: t0 + 3000 });
    expect(await q.fail((await q.claim('n', LEASE, t0 + 3000))!, 'PACS busy', 'transient', t0 + 3000)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'PACS busy' });
  });

  it('never retries bad input', async () => {
    const q = await newQueue();
    await q.enqueue('1.2.3', 1);
    expect(await q.fail((await q.claim('n', LEASE))!, 'no CT series matches the RTSTRUCT frame of reference', 'permanent')).toMatchObject({ state: 'failed', attempts: 1 });
  });

  it('survives a restart: a job its node left running goes back to pending', async () => {
    const first = await storages.open(engine);
    const { id } = await first.jobs.enqueue('1.2.3', 1);
    await first.jobs.claim('node-a', LEASE);
    const again = await openStorage({ url: first.url, dataDir: first.dataDir });
    try {
      expect((await again.jobs.get(id))!.state).toBe('running');
      expect(await again.jobs.recoverRunning('node-a')).toBe(1);
      expect(await again.jobs.claim('node-a', LEASE)).toMatchObject({ id, attempts: 2 });
    } finally {
      await again.close();
    }
  });

  it('hands the job of a node that died to another node when its lease runs out; the holder renews it while it works', async () => {
    const q = await newQueue();
    const { id } = await q.enqueue('1.2.3', 1);
    const t0 = Date.now();
    await q.claim('node-a', 10_000, t0);
    expect(await q.claim('node-b', 10_000, t0 + 5_000)).toBeUndefined();
    // node-a renews: still its job after the first lease would have ended.
    expect(await q.renew('node-a', [id], 10_000, t0 + 8_000)).toEqual([id]);
    expect(await q.claim('node-b', 10_000, t0 + 12_000)).toBeUndefined();
    expect(await q.runningPerNode()).toEqual({ 'node-a': 1 });
    // node-a stops renewing (it died): node-b takes the job over, and node-a's renewal finds it gone.
    expect(await q.claim('node-b', 10_000, t0 + 18_001)).toMatchObject({ id, node: 'node-b', attempts: 2 });
    expect(await q.renew('node-a', [id], 10_000, t0 + 18_002)).toEqual([]);
    expect(await q.runningPerNode()).toEqual({ 'node-b': 1 });
  });

  it('ignores the outcome of a node whose lease ran out: the job stays with the node that took it over', async () => {
    const q = await newQueue(3, () => 0);
    const { id } = await q.enqueue('1.2.3', 1);
    const t0 = Date.now();
    const a = (await q.claim('node-a', 10_000, t0))!;
    // node-a stalls past its lease; node-b takes the job over.
    const b = (await q.claim('node-b', 10_000, t0 + 10_001))!;
    expect(b).toMatchObject({ id, node: 'node-b', attempts: 2 });
    // node-a's late transient failure must not put the job back to pending (node-c would run it a third time) …
    expect(await q.fail(a, 'PACS busy', 'transient', t0 + 10_002)).toBeUndefined();
    expect(await q.claim('node-c', 10_000, t0 + 10_003)).toBeUndefined();
    // … nor its late success mark it done under node-b.
    expect(await q.complete(a)).toBe(false);
    expect(await q.get(id)).toMatchObject({ state: 'running', node: 'node-b', attempts: 2, lastError: null });
    // The same node claiming again after its own lease ran out holds a new claim: the old one is void.
    const b2 = (await q.claim('node-b', 10_000, t0 + 20_002))!;
    expect(await q.complete(b)).toBe(false);
    expect(await q.complete(b2)).toBe(true);
    expect((await q.get(id))!.state).toBe('done');
    // A job handed back (pending) is no claim's either.
    const other = await q.enqueue('1.2.4', 1);
    const c = (await q.claim('node-c', 10_000))!;
    expect(c.id).toBe(other.id);
    await q.recoverRunning('node-c');
    expect(await q.fail(c, 'late', 'permanent')).toBeUndefined();
    expect((await q.get(other.id))!.state).toBe('pending');
  });

  it('gives each of many concurrent claims a different job', async () => {
    const q = await newQueue();
    for (let i = 0; i < 20; i++) await q.enqueue(`1.2.${i}`, 1);
    const claims = await Promise.all(Array.from({ length: 25 }, (_, i) => q.claim(`node-${i % 2}`, LEASE)));
    const ids = claims.filter((j) => j !== undefined).map((j) => j!.id);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });
});

if (ENGINES.includes('postgres')) {
  it('runs leases on the server clock: a node whose clock is an hour ahead cannot take over a job whose lease has not run out', async () => {
    const a = await storages.open('postgres');
    const { id } = await a.jobs.enqueue('1.2.3', 1);
    const held = (await a.jobs.claim('node-a', LEASE))!;
    expect(held.leaseUntil! - Date.now()).toBeGreaterThan(LEASE - 5_000);
    const realNow = Date.now;
    const skewed = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 3_600_000);
    try {
      expect(await a.jobs.claim('node-b', LEASE)).toBeUndefined();
      expect(await a.jobs.renew('node-a', [id], LEASE)).toEqual([id]);
    } finally {
      skewed.mockRestore();
    }
    expect((await a.jobs.get(id))!.leaseUntil! - Date.now()).toBeLessThan(LEASE + 5_000);
  });

  it('two nodes claiming from one PostgreSQL queue at once never take the same job (FOR UPDATE SKIP LOCKED)', async () => {
    const a = await storages.open('postgres');
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      for (let i = 0; i < 40; i++) await a.jobs.enqueue(`1.2.${i}`, 1);
      const take = async (s: typeof a | typeof b, node: string) => {
        const got: number[] = [];
        for (;;) {
          const j = await s.jobs.claim(node, LEASE);
          if (!j) return got;
          got.push(j.id);
        }
      };
      const [fromA, fromB] = await Promise.all([take(a, 'node-a'), take(b, 'node-b')]);
      expect(fromA.length + fromB.length).toBe(40);
      expect(new Set([...fromA, ...fromB]).size).toBe(40);
      expect(await a.jobs.runningPerNode()).toEqual({ 'node-a': fromA.length, 'node-b': fromB.length });
    } finally {
      await b.close();
    }
  });
}

describe('workers', () => {
  const waitUntil = async (cond: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 400 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await cond()).toBe(true);
  };
  /** A silent logger that keeps the messages of one level. */
  const loggerKeeping = (level: 'warn' | 'error') => {
    const messages: string[] = [];
    const logger = silentLogger();
    logger[level] = ((message: string) => {
      messages.push(message);
      return logger;
    }) as (typeof logger)[typeof level];
    return { logger, messages };
  };
  const sqliteQueue = async (maxAttempts = 3, backoffMs = exponentialBackoff(1000, 60000)) => (await storages.open('sqlite', { queue: { maxAttempts, backoffMs } })).jobs;

  it('process jobs with bounded concurrency', async () => {
    const q = await sqliteQueue();
    for (let i = 0; i < 5; i++) await q.enqueue(`1.2.${i}`, 1);
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
    await waitUntil(async () => (await q.counts()).done === 5);
    await workers.stop();
    expect(peak).toBe(2);
  });

  it('report bad input as failed at once, and retry other errors', async () => {
    const q = await sqliteQueue(3, () => 0);
    const bad = await q.enqueue('bad', 1);
    const flaky = await q.enqueue('flaky', 1);
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
    await waitUntil(async () => (await q.get(flaky.id))!.state === 'done');
    await workers.stop();
    expect(await q.get(bad.id)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'no selectable lesion' });
    expect((await q.get(flaky.id))!.attempts).toBe(3);
  });

  it('hand running jobs back to the queue when they outlast the shutdown grace', async () => {
    const q = await sqliteQueue();
    const { id } = await q.enqueue('slow', 1);
    const workers = startWorkers({ queue: q, concurrency: 1, logger: silentLogger(), pollMs: 5, process: () => new Promise(() => undefined) });
    await waitUntil(async () => (await q.get(id))!.state === 'running');
    await workers.stop(20);
    expect((await q.get(id))!.state).toBe('pending');
  });

  it('renew the lease of a long job, so that no other node takes it over', async () => {
    const q = await sqliteQueue();
    const { id } = await q.enqueue('long', 1);
    let finish: () => void = () => undefined;
    const workers = startWorkers({ queue: q, node: 'node-a', leaseMs: 300, concurrency: 1, logger: silentLogger(), pollMs: 5, process: () => new Promise<void>((r) => (finish = r)) });
    await waitUntil(async () => (await q.get(id))!.state === 'running');
    await new Promise((r) => setTimeout(r, 900)); // three leases long
    expect(await q.claim('node-b', 300)).toBeUndefined();
    finish();
    await waitUntil(async () => (await q.get(id))!.state === 'done');
    await workers.stop();
  });

  it('leave a job handed back at shutdown alone when it ends afterwards (it runs again at the next start)', async () => {
    const q = await sqliteQueue(1);
    const done = await q.enqueue('finishes late', 1);
    const failed = await q.enqueue('fails late', 1);
    const finish: Array<(error?: Error) => void> = [];
    const workers = startWorkers({
      queue: q,
      concurrency: 2,
      logger: silentLogger(),
      pollMs: 5,
      process: () => new Promise<void>((resolve, reject) => finish.push((error) => (error ? reject(error) : resolve()))),
    });
    await waitUntil(async () => (await q.counts()).running === 2);
    await workers.stop(20);
    // Their analyses end after the grace: one with an answer, one stopped (its last attempt).
    finish[0]();
    finish[1](new Error('the analysis was stopped because the node is stopping'));
    await new Promise((r) => setTimeout(r, 20));
    expect(await q.get(done.id)).toMatchObject({ state: 'pending', attempts: 1, lastError: null });
    expect(await q.get(failed.id)).toMatchObject({ state: 'pending', attempts: 1, lastError: null });
  });

  it('drop the result of a job whose lease another node took over before it ended: logged, the queue left to the new holder', async () => {
    const q = await sqliteQueue();
    const { id } = await q.enqueue('slow', 1);
    const { logger, messages: warnings } = loggerKeeping('warn');
    let finish: () => void = () => undefined;
    const settled: string[] = [];
    const workers = startWorkers({
      queue: q,
      node: 'node-a',
      leaseMs: 600_000, // no renewal during the test: the takeover goes unnoticed until the job ends
      concurrency: 1,
      logger,
      pollMs: 5,
      process: () => new Promise<void>((r) => (finish = r)),
      onSettled: (_job, outcome) => settled.push(outcome),
    });
    await waitUntil(async () => (await q.get(id))!.state === 'running');
    // node-a stalls; its lease runs out and node-b takes the job over.
    await q.claim('node-b', 60_000, Date.now() + 600_001);
    finish();
    await waitUntil(() => warnings.some((w) => /job \d+: its lease ran out and another node took it over; this node's result of it is dropped/.test(w)));
    await workers.stop();
    expect(await q.get(id)).toMatchObject({ state: 'running', node: 'node-b', attempts: 2 });
    expect(settled).toEqual([]);
  });

  it('survive a queue that cannot record an outcome: logged, not an unhandled rejection', async () => {
    const s = await storages.open('sqlite');
    const q = s.jobs;
    await q.enqueue('1.2.3', 1);
    const { logger, messages: errors } = loggerKeeping('error');
    let release: () => void = () => undefined;
    const workers = startWorkers({ queue: q, concurrency: 1, logger, pollMs: 5, process: () => new Promise<void>((r) => (release = r)) });
    await waitUntil(async () => (await q.counts()).running === 1);
    await s.close();
    release();
    await waitUntil(() => errors.some((e) => /cannot record its outcome in the queue: The database connection is not open/.test(e)));
    await workers.stop(20).catch(() => undefined);
  });
});
