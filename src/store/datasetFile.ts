/**
 * A dataset in a file as random-access bytes for the header walker (dicom/header.ts): the first
 * bytes from memory when we have them, the rest read on demand in windows. The walker reads
 * element headers only and jumps over values (Pixel Data above all), so checking a CT slice costs
 * no read beyond its first kilobytes, and a large RTSTRUCT a few windows. Reads are synchronous:
 * the file was just written (or is being checked at start-up) and sits in the page cache.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { DatasetBytes } from '../dicom/header';

const WINDOW = 256 * 1024;

export class DatasetFile implements DatasetBytes {
  private fd: number | undefined;
  private window = Buffer.alloc(0);
  private windowStart = 0;

  /**
   * @param path the file; the dataset starts at `offset` and is `length` bytes long
   * @param prefix the dataset's first bytes, if already in memory
   */
  constructor(
    private readonly path: string,
    private readonly offset: number,
    readonly length: number,
    private readonly prefix: Buffer = Buffer.alloc(0),
  ) {}

  slice(start: number, end: number): Buffer {
    if (end <= this.prefix.length) return this.prefix.subarray(start, end);
    this.cover(start, end);
    return this.window.subarray(start - this.windowStart, end - this.windowStart);
  }

  u16(pos: number): number {
    if (pos + 2 <= this.prefix.length) return this.prefix.readUInt16LE(pos);
    this.cover(pos, pos + 2);
    return this.window.readUInt16LE(pos - this.windowStart);
  }

  u32(pos: number): number {
    if (pos + 4 <= this.prefix.length) return this.prefix.readUInt32LE(pos);
    this.cover(pos, pos + 4);
    return this.window.readUInt32LE(pos - this.windowStart);
  }

  private cover(start: number, end: number): void {
    if (start < this.windowStart || end > this.windowStart + this.window.length) this.load(start, end);
  }

  private load(start: number, end: number): void {
    this.fd ??= openSync(this.path, 'r');
    const size = Math.min(Math.max(WINDOW, end - start), this.length - start);
    const buf = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const n = readSync(this.fd, buf, got, size - got, this.offset + start + got);
      if (n === 0) break;
      got += n;
    }
    if (got < end - start) throw new Error(`${this.path} ends at dataset byte ${start + got}, before the ${this.length} bytes it should hold.`);
    this.window = buf.subarray(0, got);
    this.windowStart = start;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
