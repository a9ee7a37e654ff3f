/**
 * The runner tells its analysis worker that a job is on its way through a flag in shared memory,
 * which a rehearsal busy in a lesion's synchronous feature code can read without a turn of its
 * event loop (a message would wait for the lesion's end).
 */
import { Worker } from 'node:worker_threads';
import { JobSignal } from '../../../src/pipeline/jobSignal';

describe('the job signal', () => {
  it('is raised by the runner as it posts a job and lowered by the worker as the job starts', () => {
    const runner = new JobSignal();
    const worker = new JobSignal(runner.buffer);
    expect(worker.waiting).toBe(false);
    runner.post();
    expect(worker.waiting).toBe(true);
    worker.take();
    expect(runner.waiting).toBe(false);
    expect(runner.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('reaches a thread that never returns to its event loop', async () => {
    const signal = new JobSignal();
    // The thread reads the flag as the worker's JobSignal does (one Int32, 1 = a job is waiting),
    // in a loop that yields nothing, for at most 20 s.
    const thread = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData);
       parentPort.postMessage('spinning');
       const end = Date.now() + 20000;
       let seen = false;
       while (!seen && Date.now() < end) seen = Atomics.load(flag, 0) === 1;
       parentPort.postMessage(seen ? 'seen' : 'not seen');`,
      { eval: true, workerData: signal.buffer },
    );
    const replies: string[] = [];
    const ended = new Promise<void>((resolve) => thread.on('message', (m: string) => (replies.push(m), m !== 'spinning' && resolve())));
    await new Promise<void>((resolve) => thread.once('message', () => resolve()));
    signal.post();
    await ended;
    await thread.terminate();
    expect(replies).toEqual(['spinning', 'seen']);
  }, 30000);
});
