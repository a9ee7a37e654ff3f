/**
 * A full garbage collection of the calling thread's V8 heap. A worker thread that has answered
 * and now waits allocates nothing, so V8 never collects the arrays of the work just done: their
 * buffers (tens of MB for a lesion's interpolated box and feature matrices) would stay in the
 * process's memory until the next job. Collecting once, right after answering, gives them back
 * (~5–20 ms of the idle thread's time, off the study's path).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    // V8 gives `gc` to contexts made after the flag is set (the process's own has none without --expose-gc).
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
