/**
 * fsync of the spool's directories: what makes a renamed instance's name survive a power cut,
 * the last step before its Success. Two savings over open + fsync + close per instance:
 *   - each directory stays open (at most `maxOpen`, the least recently used idle one closed
 *     first), so an instance costs one trip to the thread pool instead of three;
 *   - group commit: instances that ask while their directory's fsync is under way share the next
 *     one. That is enough because each caller renamed its file before asking, so an fsync that
 *     starts after the request covers its entry (and on ext4 one journal commit serves them all).
 * The spool's directories are never removed while the node runs (housekeeping deletes files
 * only), so a kept descriptor always refers to the directory at its path.
 */
import { close, fsync, open } from 'node:fs';
import { promisify } from 'node:util';

const openAsync = promisify(open);
const fsyncAsync = promisify(fsync);
const closeAsync = promisify(close);
const ignore = () => undefined;

interface Directory {
  fd: Promise<number>;
  /** The fsync under way. */
  running?: Promise<void>;
  /** The fsync that starts when the running one ends, shared by everyone who asked meanwhile. */
  next?: Promise<void>;
  closed?: boolean;
}

export class DirectorySync {
  private readonly dirs = new Map<string, Directory>();

  constructor(private readonly maxOpen = 64) {}

  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(path: string): Promise<void> {
    const dir = this.directory(path);
    if (!dir.running) return this.start(path, dir);
    dir.next ??= dir.running.then(ignore, ignore).then(() => {
      dir.next = undefined;
      return this.start(path, dir);
    });
    return dir.next;
  }

  /** Closes every kept directory (the store is closing). */
  async close(): Promise<void> {
    const dirs = [...this.dirs.values()];
    this.dirs.clear();
    await Promise.all(dirs.map((d) => this.closeWhenIdle(d)));
  }

  /** Kept descriptors, for tests. */
  get openCount(): number {
    return this.dirs.size;
  }

  private directory(path: string): Directory {
    let dir = this.dirs.get(path);
    if (dir) {
      // Most recently used last: eviction takes the first idle one.
      this.dirs.delete(path);
      this.dirs.set(path, dir);
      return dir;
    }
    dir = { fd: openAsync(path, 'r') };
    dir.fd.catch(ignore); // observed by start(); an open failure is reported to the caller there
    this.dirs.set(path, dir);
    this.evict();
    return dir;
  }

  private start(path: string, dir: Directory): Promise<void> {
    const done = dir.fd.then((fd) => fsyncAsync(fd));
    dir.running = done;
    done.then(
      () => {
        if (dir.running === done) dir.running = undefined;
      },
      () => {
        if (dir.running === done) dir.running = undefined;
        // A failed open or fsync: the next instance opens the directory afresh.
        if (this.dirs.get(path) === dir) this.dirs.delete(path);
        void this.closeWhenIdle(dir);
      },
    );
    return done;
  }

  private evict(): void {
    for (const [path, dir] of this.dirs) {
      if (this.dirs.size <= this.maxOpen) return;
      if (dir.running || dir.next) continue;
      this.dirs.delete(path);
      void this.closeWhenIdle(dir);
    }
  }

  /** Closes the descriptor once, after the fsyncs still under way or queued on it. */
  private async closeWhenIdle(dir: Directory): Promise<void> {
    await Promise.all([dir.running, dir.next].map((p) => p?.catch(ignore)));
    if (dir.closed) return;
    dir.closed = true;
    await dir.fd.then(closeAsync).catch(ignore);
  }
}
