/**
 * Empty files created ahead of need, for the spool's temporary files. Creating a file cost
 * 0.1–0.8 ms of system time on the 2-core VM (ext4, varying with the disk's other traffic; writing
 * a CT slice's 88 kB costs 0.03 ms), a tenth of the listener's thread per instance. Here the
 * creation runs in libuv's thread pool while the listener does other work; the listener writes
 * the instance into a ready file where it lies and renames it into place once it is whole. When
 * none is ready it creates one itself in the spool's tmp/.
 * Measured there: the listener's thread spent ~10 % less CPU per instance with one association
 * and ~30 % less with ten (README, "Ingest performance").
 *
 * The files live in their own directory (`spool/.free`, or `spool/.free/<node>` on a shared
 * spool), on the spool's file system so that a rename moves them. Whatever is left there after a
 * crash (a ready file, or one an unacknowledged instance was being written into) is removed at
 * start-up like tmp/.
 */
import { closeSync, mkdirSync, open, openSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** A created, open, empty file. */
export interface OpenFile {
  path: string;
  fd: number;
}

/** wx: the name is ours alone; 0o640 like the audit log (no world access to patient data). */
const CREATE_FLAGS = 'wx';
const CREATE_MODE = 0o640;

/** Creates a new spool file at `path`, open for writing (synchronous: the listener's thread needs it now). */
export function createSpoolFile(path: string): number {
  return openSync(path, CREATE_FLAGS, CREATE_MODE);
}

export class FreeFiles {
  private readonly ready: OpenFile[] = [];
  private creating = 0;
  private sequence = 0;
  private closed = false;
  /** The last creation failed: try one at a time until one succeeds. */
  private failing = false;
  private settled: (() => void) | undefined;
  private scheduled: NodeJS.Immediate | undefined;

  /**
   * @param dir where the free files wait (emptied now)
   * @param target how many to keep ready
   */
  constructor(
    readonly dir: string,
    private readonly target = 12,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true, recursive: true });
  }

  /**
   * A ready file, open for writing, under its own name in this directory; when none is ready, a
   * file created now at `fallbackPath` (synchronous: the listener's thread needs it now). The
   * instance is written where the file lies and renamed once, into its place in the spool: a
   * rename to a temporary name first cost another directory update per instance. Throws what
   * creating the fallback threw (e.g. ENOSPC).
   */
  take(fallbackPath: string): OpenFile {
    const file = this.ready.pop();
    if (file) return file;
    const fd = createSpoolFile(fallbackPath);
    this.refill();
    return { path: fallbackPath, fd };
  }

  /**
   * Starts creating files until `target` are ready or on their way. The store asks for it
   * (refillSoon) once an instance's fsyncs are done: a file created meanwhile holds up the journal
   * commit those fsyncs wait for (ext4); take() calls it only when it found none ready.
   */
  refill(): void {
    const want = this.failing ? 1 : this.target;
    while (!this.closed && this.ready.length + this.creating < want) {
      this.sequence += 1;
      const path = join(this.dir, `${process.pid}-${this.sequence}.free`);
      this.creating += 1;
      open(path, CREATE_FLAGS, CREATE_MODE, (error, fd) => {
        this.creating -= 1;
        this.failing = error !== null;
        if (!error && this.closed) {
          closeSync(fd);
          removeQuietly(path);
        } else if (!error) {
          this.ready.push({ path, fd });
        }
        // A failure (disk full, too many open files) is not retried here: the next take()
        // creates its file itself, reports the error to its instance, and tries one again.
        if (this.creating === 0) this.settled?.();
      });
    }
  }

  /**
   * refill() once the current turn of the event loop is over: when the store finishes an
   * instance, its answer to the peer goes out in the same turn and is not held up by the
   * dispatch of new creations (0.03–0.18 ms of the listener's thread per instance, measured). The
   * creations still run before the next instance's fsyncs, which come after its data.
   */
  refillSoon(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.refill();
    });
  }

  /** Ready now, for tests. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Closes and removes the ready files, after those being created. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.creating > 0) await new Promise<void>((resolve) => (this.settled = resolve));
    for (const file of this.ready.splice(0)) {
      closeSync(file.fd);
      removeQuietly(file.path);
    }
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone: the store's start-up cleared the directory
  }
}
