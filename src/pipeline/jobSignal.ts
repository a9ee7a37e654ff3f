/**
 * "A job is on its way" from the runner to its analysis worker, seen without a turn of the
 * worker's event loop. A rehearsal computes a lesion's features synchronously (~0.4 s of CPU for the
 * IBSI phantom's 367 ml lesion), so a job's message would be read only after the lesion; the
 * rehearsal asks this flag between feature steps instead (extract.ts StopCheck), and the job waits
 * for one step. One Int32 in memory shared by the two threads.
 */
export class JobSignal {
  private readonly flag: Int32Array;

  /** A new flag, or the runner's (`buffer` handed to the worker in its workerData). */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)) {
    this.flag = new Int32Array(buffer);
  }

  /** The runner: a job is posted to the worker. */
  post(): void {
    Atomics.store(this.flag, 0, 1);
  }

  /** The worker: the job has started (a rehearsal after it must not see it as waiting). */
  take(): void {
    Atomics.store(this.flag, 0, 0);
  }

  get waiting(): boolean {
    return Atomics.load(this.flag, 0) === 1;
  }
}
