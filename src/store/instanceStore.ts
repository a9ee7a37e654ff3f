/**
 * Accepted means durable. The store takes a received instance from its temporary spool file to
 * its place in the spool and the index, in this order:
 *   1. the temporary file holds every byte received;
 *   2. its header is read and checked against the C-STORE request;
 *   3. it is renamed to `spool/<study>/<series>/<sop>.dcm` (on a shared spool a name of its own
 *      writer: spoolName), then the file and its directory are
 *      fsynced (when storage.fsync; in parallel, as neither needs the other; the directory kept
 *      open and its fsync shared by the instances that arrive meanwhile: directorySync.ts);
 *   4. the index records it in one transaction (on a shared index only if no other node recorded
 *      the instance since the store looked; else the store decides again: duplicate or replacement).
 * Only then may the listener answer Success. Any failure removes what this instance wrote and
 * comes back as a StoreRefusal carrying its reason (the listener answers it with a DIMSE status).
 *
 * The spool is the record; the index is derived from it. Its commits are not fsynced one by one
 * (WAL, synchronous=NORMAL: safe from corruption, and a process crash loses nothing; a power cut
 * may lose the last commits). After any unclean stop, start-up reconciles the index with the
 * spool (reconcile.ts): every file in place is whole and was fsynced before its Success, so it is
 * indexed again if its row was lost. This saves an fsync per instance.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rm, stat, unlink, readFile, writeFile } from 'node:fs/promises';
import { renameSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';
import { buildFileMeta } from '../dicom/part10';
import { InstanceHeader, MalformedDatasetError, readInstanceHeader, TruncatedDatasetError } from '../dicom/header';
import { isDeflated, isExplicitVr, sopClassName } from '../dicom/uids';
import { refusedBeforeData } from '../dicom/receive';
import type { IncomingInstance, InstanceReceiver, PendingInstance, ReceivedInstance, Refusal, RefusalReason } from '../dicom/receive';
import { errorText } from '../ops/errorText';
import { isConnectionError } from '../db/postgres';
import { SpoolFile } from './spool';
import { DatasetFile } from './datasetFile';
import { DirectorySync } from './directorySync';
import { FreeFiles } from './freeFiles';
import { IndexChangedError, IndexedInstance, InstanceIndex, RecordResult } from './types';

const inflateRawAsync = promisify(inflateRaw);

/** An instance the store does not keep, with the reason in storage terms (the listener answers it). */
export class StoreRefusal extends Error implements Refusal {
  override readonly name = 'StoreRefusal';
  constructor(
    readonly reason: RefusalReason,
    /** Fits the 64-character Error Comment of a DIMSE answer. */
    readonly comment: string,
    message: string,
  ) {
    super(message);
  }
}

export type { IncomingInstance };

export interface StoredInstance extends ReceivedInstance {
  record?: RecordResult;
}

export type PendingStore = PendingInstance<StoredInstance>;

export interface InstanceStoreOptions {
  dataDir: string;
  /**
   * Nodes sharing one spool (a cluster) each keep their unfinished files and their clean-stop
   * marker apart, under this name: a node starting must not remove another's files in flight.
   */
  nodeTag?: string;
  fsync: boolean;
  minFreeDiskMb: number;
  index: InstanceIndex;
  now?: () => number;
}

/** A C-STORE refused before its data arrived: the data is read off the association and dropped. */
export function refusedStore(refusal: StoreRefusal): PendingStore {
  return refusedBeforeData(refusal);
}

/** A UID as a path component: UIDs are digits and dots; anything else is hashed. */
function pathPart(uid: string): string {
  return /^[0-9][0-9.]{0,63}$/.test(uid) ? uid : `x${createHash('sha1').update(uid).digest('hex').slice(0, 20)}`;
}

/**
 * Spool file names carry the SOP Instance UID: `<uid>.dcm`, or `<uid>.r<time>.dcm` for a
 * replacement (a new name, so the replaced file stays valid until the index moves on). On a
 * shared spool every file also carries its writer, `<uid>.w<node>-<random>.dcm`: two nodes
 * receiving the same instance at once never rename onto one path, so neither can overwrite or
 * remove a file the other acknowledged.
 */
export function spoolName(sopInstanceUid: string, replacedAt?: number, writer?: string): string {
  return `${pathPart(sopInstanceUid)}${replacedAt === undefined ? '' : `.r${replacedAt.toString(36)}`}${writer === undefined ? '' : `.w${writer}`}.dcm`;
}

/** The SOP Instance UID a spool file name carries (undefined for a hashed name). */
export function sopFromSpoolName(name: string): string | undefined {
  const m = /^([0-9][0-9.]*?)(\.r[0-9a-z]+)?(\.w[A-Za-z0-9_-]+)?\.dcm$/.exec(name);
  return m ? m[1] : undefined;
}

/** How often a store decides again when other nodes keep changing the instance's row under it. */
const MAX_INDEX_RACES = 5;

/** The spool's directory under the data directory (index rows name files relative to the data directory). */
const SPOOL = 'spool';

export class InstanceStore implements InstanceReceiver<StoredInstance> {
  readonly spoolDir: string;
  readonly tmpDir: string;
  private readonly markerPath: string;
  private readonly knownDirs = new Set<string>();
  private freeSpace: { mb: number; at: number } | undefined;
  private sequence = 0;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  private readonly directories = new DirectorySync();
  /** Empty files made ahead for the temporary files (set by open()). */
  private free: FreeFiles | undefined;
  private readonly freeDir: string;
  /** The node tag as a file name part (shared spool), undefined on a spool of one node. */
  private readonly writer: string | undefined;

  constructor(private readonly options: InstanceStoreOptions) {
    this.spoolDir = join(options.dataDir, SPOOL);
    const tag = options.nodeTag === undefined ? undefined : options.nodeTag.replace(/[^A-Za-z0-9._-]/g, '_');
    this.tmpDir = tag === undefined ? join(this.spoolDir, 'tmp') : join(this.spoolDir, 'tmp', tag);
    this.markerPath = join(this.spoolDir, tag === undefined ? '.in-use' : `.in-use.${tag}`);
    this.freeDir = tag === undefined ? join(this.spoolDir, '.free') : join(this.spoolDir, '.free', tag);
    this.writer = tag?.replace(/\./g, '_');
    this.now = options.now ?? Date.now;
  }

  /**
   * Prepares the spool. Anything in tmp/ is an instance that was never acknowledged (its
   * association died with the process): removed. A marker file tells whether the previous run
   * stopped cleanly; if not, the caller reconciles the index with the spool (reconcile.ts).
   */
  async open(): Promise<{ leftovers: number; uncleanStop: boolean }> {
    await this.free?.close();
    await mkdir(this.tmpDir, { recursive: true });
    const leftovers = await readdir(this.tmpDir);
    await Promise.all(leftovers.map((name) => rm(join(this.tmpDir, name), { force: true, recursive: true })));
    const uncleanStop = await stat(this.markerPath).then(
      () => true,
      () => false,
    );
    await writeFile(this.markerPath, `${process.pid}\n`);
    if (this.options.fsync) await fsyncDirectory(this.spoolDir);
    this.free = new FreeFiles(this.freeDir);
    this.free.refill();
    return { leftovers: leftovers.length, uncleanStop };
  }

  /** A clean stop: the next start need not reconcile. */
  async close(): Promise<void> {
    await this.free?.close();
    this.free = undefined;
    await this.directories.close();
    await unlink(this.markerPath).catch(() => undefined);
  }

  /** Free space where the spool lives, in MB (asked of the file system at most once a second). */
  freeDiskMb(): number {
    const now = Date.now();
    if (this.freeSpace === undefined || now - this.freeSpace.at > 1000) {
      const s = statfsSync(this.spoolDir);
      this.freeSpace = { mb: (Number(s.bavail) * Number(s.bsize)) / (1024 * 1024), at: now };
    }
    return this.freeSpace.mb;
  }

  /**
   * Starts receiving an instance. When it cannot be kept (disk below storage.minFreeDiskMb) the
   * data still has to be read off the association: it goes to a sink and commit() refuses it.
   */
  begin(incoming: IncomingInstance): PendingStore {
    let free: number;
    try {
      free = this.freeDiskMb();
    } catch (e) {
      return refusedStore(new StoreRefusal('failed', 'cannot check the free disk space', `cannot check the free disk space of ${this.spoolDir}: ${errorText(e)}`));
    }
    if (free < this.options.minFreeDiskMb) {
      return refusedStore(
        new StoreRefusal(
          'out-of-space',
          'out of disk space on the receiving node',
          `only ${free.toFixed(0)} MB free in ${this.spoolDir}, below storage.minFreeDiskMb (${this.options.minFreeDiskMb} MB): instance refused. Free disk space or lower storage.minFreeDiskMb.`,
        ),
      );
    }
    // Unique without asking for random bytes: this process's ID and a counter (tmp/ is emptied at start).
    this.sequence += 1;
    const tempPath = join(this.tmpDir, `${pathPart(incoming.sopInstanceUid)}.${process.pid}-${this.sequence}.part`);
    const meta = buildFileMeta({
      sopClassUid: incoming.sopClassUid,
      sopInstanceUid: incoming.sopInstanceUid,
      transferSyntaxUid: incoming.transferSyntaxUid,
      sourceAeTitle: incoming.callingAeTitle,
    });
    const ahead = this.free;
    const spool = ahead ? new SpoolFile(tempPath, meta, (path) => ahead.take(path)) : new SpoolFile(tempPath, meta);
    return {
      writable: spool,
      commit: () => this.commit(spool, incoming),
      abandon: () => spool.discard(),
    };
  }

  private async commit(spool: SpoolFile, incoming: IncomingInstance): Promise<StoredInstance> {
    let placed: string | undefined;
    try {
      try {
        await spool.whenWritten();
      } catch (e) {
        const full = (e as NodeJS.ErrnoException).code === 'ENOSPC';
        throw new StoreRefusal(
          full ? 'out-of-space' : 'failed',
          full ? 'out of disk space on the receiving node' : 'could not write the instance to disk',
          `writing ${incoming.sopInstanceUid} to ${spool.tempPath} failed: ${errorText(e)}`,
        );
      }
      const header = await this.readHeader(spool, incoming);
      const ids = this.check(header, incoming);
      const receivedAt = this.now();
      return await this.locked(incoming.sopInstanceUid, async () => {
        let existing = await this.options.index.findInstance(incoming.sopInstanceUid);
        if (existing && (await this.sameDataset(existing, spool.tempPath, spool.datasetOffset, spool.datasetBytes))) {
          await spool.discard();
          return this.duplicate(existing, incoming, ids, header, receivedAt);
        }
        const studyPart = pathPart(ids.studyInstanceUid);
        const seriesPart = pathPart(ids.seriesInstanceUid);
        const dir = join(this.spoolDir, studyPart, seriesPart);
        // A replacement gets its own name, so the old file stays valid until the index points away
        // from it; on a shared spool every file is named for its writer (spoolName).
        const name = spoolName(incoming.sopInstanceUid, existing ? receivedAt : undefined, this.writer && `${this.writer}-${randomBytes(4).toString('hex')}`);
        const finalPath = join(dir, name);
        // The file's data and its new directory entry become durable side by side (the file's
        // fsync runs while it is renamed and its directory fsynced); only then may the index
        // point at it. A crash in between leaves at most an unindexed file, never acknowledged.
        const dataSynced = this.options.fsync ? spool.sync() : Promise.resolve();
        dataSynced.catch(() => undefined); // awaited below; a rename failure must not leave it unobserved
        if (!this.knownDirs.has(dir)) await this.ensureDir(dir);
        // Synchronous: a rename within one file system takes microseconds; the thread pool's
        // round trip cost 0.5–1.5 ms per instance on a busy machine.
        renameSync(spool.tempPath, finalPath);
        placed = finalPath;
        await Promise.all([dataSynced, this.options.fsync ? this.directories.sync(dir) : undefined]);
        await spool.closeFile();
        const size = spool.datasetOffset + spool.datasetBytes;
        const entry = {
          sopInstanceUid: incoming.sopInstanceUid,
          sopClassUid: incoming.sopClassUid,
          studyInstanceUid: ids.studyInstanceUid,
          seriesInstanceUid: ids.seriesInstanceUid,
          transferSyntaxUid: incoming.transferSyntaxUid,
          // = relative(dataDir, finalPath) with "/", without resolving both paths per instance.
          relativePath: `${SPOOL}/${studyPart}/${seriesPart}/${name}`,
          size,
          datasetOffset: spool.datasetOffset,
          patientId: header.patientId,
          modality: header.modality,
          frameOfReferenceUid: header.frameOfReferenceUid,
          instanceNumber: header.instanceNumber,
          seriesNumber: header.seriesNumber,
          studyDate: header.studyDate,
          accessionNumber: header.accessionNumber,
          callingAeTitle: incoming.callingAeTitle,
          receivedAt,
          rtstruct: header.rtstruct,
        };
        let record: RecordResult | undefined;
        // Another node may record the same instance between our look and our write (a shared
        // index): the index then refuses (IndexChangedError) and this store decides again.
        for (let race = 0; !record; race++) {
          try {
            record = await this.options.index.recordInstance({ ...entry, expectedPath: this.writer === undefined ? undefined : (existing?.relativePath ?? null) });
          } catch (e) {
            if (!(e instanceof IndexChangedError) || race >= MAX_INDEX_RACES) throw e;
            existing = e.current;
            if (existing && (await this.sameDataset(existing, finalPath, spool.datasetOffset, spool.datasetBytes))) {
              // The other node stored these very bytes: its file is the instance; remove only ours.
              await unlink(finalPath);
              placed = undefined;
              return this.duplicate(existing, incoming, ids, header, receivedAt);
            }
          }
        }
        placed = undefined;
        if (existing) {
          const old = join(this.options.dataDir, existing.relativePath);
          if (old !== finalPath) await unlink(old).catch(() => undefined);
        }
        return { ...this.result(existing ? 'replaced' : 'stored', incoming, ids, header, size, finalPath), record };
      });
    } catch (e) {
      await spool.discard();
      if (placed) await unlink(placed).catch(() => undefined);
      if (e instanceof StoreRefusal) throw e;
      // The index is out of reach (a shared database down): the sender should try again later.
      if (isConnectionError(e)) throw new StoreRefusal('index-unavailable', 'index database unreachable, retry later', `storing ${incoming.sopInstanceUid} failed: the index database is unreachable (${errorText(e)}); the instance was not kept.`);
      throw new StoreRefusal('failed', 'could not store the instance', `storing ${incoming.sopInstanceUid} failed: ${errorText(e)}`);
    } finally {
      this.free?.refillSoon(); // after the answer, and not during the fsyncs (freeFiles.ts)
    }
  }

  private async duplicate(existing: IndexedInstance, incoming: IncomingInstance, ids: { studyInstanceUid: string; seriesInstanceUid: string }, header: InstanceHeader, receivedAt: number): Promise<StoredInstance> {
    await this.options.index.recordDuplicate(incoming.sopInstanceUid, receivedAt);
    return this.result('duplicate', incoming, ids, header, existing.size, join(this.options.dataDir, existing.relativePath));
  }

  private result(
    outcome: StoredInstance['outcome'],
    incoming: IncomingInstance,
    ids: { studyInstanceUid: string; seriesInstanceUid: string },
    header: InstanceHeader,
    bytes: number,
    path: string,
  ): StoredInstance {
    return {
      outcome,
      sopInstanceUid: incoming.sopInstanceUid,
      sopClassUid: incoming.sopClassUid,
      studyInstanceUid: ids.studyInstanceUid,
      seriesInstanceUid: ids.seriesInstanceUid,
      transferSyntaxUid: incoming.transferSyntaxUid,
      patientId: header.patientId,
      bytes,
      path,
    };
  }

  /** The dataset must be the instance the C-STORE request announced, with the UIDs we file it under. */
  private check(header: InstanceHeader, incoming: IncomingInstance): { studyInstanceUid: string; seriesInstanceUid: string } {
    if (header.sopClassUid === undefined) {
      throw new StoreRefusal(
        'unreadable',
        'the dataset has no SOP Class UID',
        `instance ${incoming.sopInstanceUid}: the dataset has no SOP Class UID (0008,0016); it cannot be what the C-STORE request announced.`,
      );
    }
    if (header.sopClassUid !== incoming.sopClassUid) {
      throw new StoreRefusal(
        'sop-class-mismatch',
        'SOP Class UID differs from the C-STORE request',
        `instance ${incoming.sopInstanceUid}: the dataset's SOP Class UID (${header.sopClassUid ?? 'missing'}) is not the one of the C-STORE request (${incoming.sopClassUid}, ${sopClassName(incoming.sopClassUid)}).`,
      );
    }
    if (header.sopInstanceUid !== incoming.sopInstanceUid) {
      throw new StoreRefusal(
        'unreadable',
        'SOP Instance UID differs from the C-STORE request',
        `the dataset's SOP Instance UID (${header.sopInstanceUid ?? 'missing'}) is not the one of the C-STORE request (${incoming.sopInstanceUid}).`,
      );
    }
    if (!header.studyInstanceUid || !header.seriesInstanceUid) {
      const which = !header.studyInstanceUid ? 'Study Instance UID (0020,000D)' : 'Series Instance UID (0020,000E)';
      throw new StoreRefusal('unreadable', `the dataset has no ${which.replace(/ \(.*/, '')}`, `instance ${incoming.sopInstanceUid} has no ${which}; it cannot be filed.`);
    }
    return { studyInstanceUid: header.studyInstanceUid, seriesInstanceUid: header.seriesInstanceUid };
  }

  /**
   * Reads the header and checks that the dataset is readable to its end (pixel data included:
   * dicom/header.ts), from the bytes kept in memory and, past them, the file; an unreadable
   * instance is refused with C000 (PS3.4 B.2.3) and nothing of it is kept.
   */
  private async readHeader(spool: SpoolFile, { transferSyntaxUid, sopInstanceUid }: IncomingInstance): Promise<InstanceHeader> {
    const explicitVr = isExplicitVr(transferSyntaxUid);
    try {
      if (spool.datasetBytes === 0) throw new MalformedDatasetError('the dataset is empty.');
      if (isDeflated(transferSyntaxUid)) {
        const file = await readFile(spool.tempPath);
        const inflated = await inflateRawAsync(file.subarray(spool.datasetOffset));
        return readInstanceHeader(inflated, { explicitVr, complete: true, walkToEnd: true });
      }
      const bytes = new DatasetFile(spool.tempPath, spool.datasetOffset, spool.datasetBytes, spool.datasetPrefix());
      try {
        return readInstanceHeader(bytes, { explicitVr, complete: true, walkToEnd: true });
      } finally {
        bytes.close();
      }
    } catch (e) {
      if (e instanceof MalformedDatasetError || e instanceof TruncatedDatasetError || (e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') {
        throw new StoreRefusal('unreadable', 'the dataset cannot be read to its end', `the dataset of ${sopInstanceUid} cannot be read to its end, so it is not kept: ${errorText(e)}`);
      }
      throw e;
    }
  }

  /** Same dataset bytes as the indexed copy? (the meta information may differ, e.g. the source AE). */
  private async sameDataset(existing: IndexedInstance, path: string, datasetOffset: number, datasetBytes: number): Promise<boolean> {
    const oldPath = join(this.options.dataDir, existing.relativePath);
    if (existing.size - existing.datasetOffset !== datasetBytes) return false;
    const a = await open(oldPath, 'r').catch(() => undefined);
    if (!a) return false;
    const b = await open(path, 'r');
    try {
      const chunk = 64 * 1024;
      const bufA = Buffer.allocUnsafe(chunk);
      const bufB = Buffer.allocUnsafe(chunk);
      for (let done = 0; done < datasetBytes; ) {
        const n = Math.min(chunk, datasetBytes - done);
        const [ra, rb] = await Promise.all([a.read(bufA, 0, n, existing.datasetOffset + done), b.read(bufB, 0, n, datasetOffset + done)]);
        if (ra.bytesRead !== n || rb.bytesRead !== n || bufA.compare(bufB, 0, n, 0, n) !== 0) return false;
        done += n;
      }
      return true;
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    const created = await mkdir(dir, { recursive: true });
    if (created !== undefined && this.options.fsync) {
      // New directories must be durable too: fsync each parent from the first one created.
      for (let d = dir; d.length >= created.length; d = dirname(d)) await fsyncDirectory(dirname(d));
    }
    this.knownDirs.add(dir);
  }

  /** One commit at a time per SOP Instance UID (two associations may send the same instance). */
  private async locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(key) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
