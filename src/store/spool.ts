/**
 * A received instance on its way to disk: a temporary Part 10 file (one made ahead in
 * `<spool>/.free/`, else a new one in `<spool>/tmp/`: freeFiles.ts), written
 * as the data arrives (the meta information first, then the dataset bytes exactly as received).
 * The file stays open after the last byte so that the store can rename it into place and fsync it
 * at the same time. Nothing here is visible to the index until the store has done so; whatever
 * is left in tmp/ or .free/ after a crash is incomplete by definition and is removed at start-up.
 */
import { Writable } from 'node:stream';
import { close, closeSync, writeSync, writevSync, fsync } from 'node:fs';
import { promisify } from 'node:util';
import { unlink } from 'node:fs/promises';
import { RECEIVE_HIGH_WATER_MARK } from '../dicom/receive';
import { createSpoolFile, OpenFile } from './freeFiles';

export const SPOOL_HIGH_WATER_MARK = RECEIVE_HIGH_WATER_MARK;
/** Dataset bytes kept in memory for the header reader: a CT header sits well within this. */
export const HEADER_PREFIX_BYTES = 64 * 1024;
/**
 * The most datasetPrefix() copies when the first bytes arrived in several pieces (the socket's
 * chunks): a CT header sits within it; the reader takes anything further from the file.
 */
const JOINED_PREFIX_BYTES = 16 * 1024;

const fsyncAsync = promisify(fsync);

export class SpoolFile extends Writable {
  private fd: number | undefined;
  private path: string;
  private readonly prefixChunks: Buffer[] = [];
  private prefixLength = 0;
  private bytes = 0;
  private metaWritten = false;
  private settled: Promise<void>;
  /** The first error of writing, if any. */
  failure: Error | undefined;

  /**
   * @param create returns an empty file open for writing: one made at `path`, or one made ahead
   *   elsewhere (freeFiles.ts), whose path the file then has
   */
  constructor(
    path: string,
    private readonly meta: Buffer,
    private readonly create: (path: string) => OpenFile = (p) => ({ path: p, fd: createSpoolFile(p) }),
  ) {
    // autoDestroy off: finishing must not close the file the store still has to fsync.
    super({ highWaterMark: SPOOL_HIGH_WATER_MARK, decodeStrings: false, autoDestroy: false });
    this.path = path;
    this.settled = new Promise<void>((resolve, reject) => {
      this.once('finish', () => resolve());
      this.once('error', (e: Error) => {
        this.failure ??= e;
        reject(e);
      });
    });
    // Always observed by commit(); this keeps an error before that from being "unhandled".
    this.settled.catch(() => undefined);
  }

  /** Where the file is until the store renames it into place (known once the stream is constructed). */
  get tempPath(): string {
    return this.path;
  }

  /** Length of the file meta information, i.e. where the dataset starts. */
  get datasetOffset(): number {
    return this.meta.length;
  }

  get datasetBytes(): number {
    return this.bytes;
  }

  /** The first bytes of the dataset (up to HEADER_PREFIX_BYTES), copied only when they arrived in small pieces. */
  datasetPrefix(): Buffer {
    const first = this.prefixChunks[0] ?? Buffer.alloc(0);
    if (this.prefixChunks.length <= 1 || first.length >= JOINED_PREFIX_BYTES) return first;
    return Buffer.concat(this.prefixChunks, Math.min(this.prefixLength, JOINED_PREFIX_BYTES));
  }

  /** Resolves when every byte was handed to the file system; rejects on a write error. */
  whenWritten(): Promise<void> {
    return this.settled;
  }

  /** fsync: the data and the file's size are on disk (valid after whenWritten, also after a rename). */
  async sync(): Promise<void> {
    if (this.fd === undefined) throw new Error(`spool file ${this.tempPath} is closed`);
    await fsyncAsync(this.fd);
  }

  /** Closes the file (keeps it on disk). */
  async closeFile(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    // Synchronous: after the fsync there is nothing left to flush, so closing takes microseconds.
    if (fd !== undefined) closeSync(fd);
  }

  /** Drops the temporary file (after a failure or an abort; once it was renamed away this only closes it). */
  async discard(): Promise<void> {
    if (!this.destroyed) this.destroy();
    await new Promise<void>((resolve) => (this.closed ? resolve() : this.once('close', () => resolve())));
    await this.closeFile().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // Synchronous like the writes: the file is ready (made ahead) or made now.
    try {
      const file = this.create(this.path);
      this.fd = file.fd;
      this.path = file.path;
    } catch (e) {
      return callback(e as Error);
    }
    callback();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.keep(chunk);
    this.writeAll(this.withMeta([chunk]), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((c) => c.chunk);
    for (const b of buffers) this.keep(b);
    this.writeAll(this.withMeta(buffers), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    // The file stays open: the store fsyncs it while renaming it into place, then closes it.
    if (!this.metaWritten) this.writeAll(this.withMeta([]), callback);
    else callback();
  }

  /** The meta information goes out with the first data (one write instead of two). */
  private withMeta(buffers: Buffer[]): Buffer[] {
    if (this.metaWritten) return buffers;
    this.metaWritten = true;
    return [this.meta, ...buffers];
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return callback(error);
    close(fd, () => callback(error));
  }

  private keep(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.prefixLength >= HEADER_PREFIX_BYTES) return;
    const part = chunk.length + this.prefixLength > HEADER_PREFIX_BYTES ? chunk.subarray(0, HEADER_PREFIX_BYTES - this.prefixLength) : chunk;
    this.prefixChunks.push(part);
    this.prefixLength += part.length;
  }

  /**
   * writev until every byte is out (a regular file may take fewer bytes than offered).
   * Synchronous on purpose: a write into the page cache costs microseconds (an 88 kB CT slice
   * ~0.05 ms), while a trip through the thread pool cost the last write of each instance 1–1.5 ms
   * of latency before its answer (measured on the loaded 2-core machine). Durability still comes
   * from the fsync, which stays asynchronous.
   */
  private writeAll(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    if (fd === undefined) return callback(new Error('spool file is closed'));
    let rest = buffers;
    try {
      while (rest.length > 0) {
        const total = rest.reduce((n, b) => n + b.length, 0);
        const written = rest.length === 1 ? writeSync(fd, rest[0], 0, rest[0].length, null) : writevSync(fd, rest);
        if (written >= total) break;
        // Short write: continue with what is left.
        let skip = written;
        const left: Buffer[] = [];
        for (const b of rest) {
          if (skip >= b.length) {
            skip -= b.length;
            continue;
          }
          left.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
        rest = left;
      }
    } catch (e) {
      return callback(e as Error);
    }
    callback();
  }
}
