/**
 * After an unclean stop (crash, kill, power cut), the index may lack the last instances the
 * spool holds: their files were fsynced and acknowledged, but an index commit without its own
 * fsync can be lost in a power cut, and a crash between rename and commit leaves an unindexed
 * file too. Reconciliation walks the spool and indexes again every whole file the index does not
 * point at; a file that is not a whole DICOM instance (never acknowledged) goes to quarantine/
 * for an admin to look at, rather than being deleted.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { readFileMeta } from '../dicom/part10';
import { InstanceHeader, readInstanceHeader } from '../dicom/header';
import { isDeflated, isExplicitVr } from '../dicom/uids';
import { sopFromSpoolName } from './instanceStore';
import { DatasetFile } from './datasetFile';
import { InstanceIndex } from './types';

export interface ReconcileReport {
  /** Spool files looked at. */
  checked: number;
  /** Files indexed again (their row was missing). */
  reindexed: string[];
  /** Files moved to quarantine/ (not a whole instance). */
  quarantined: string[];
  /** Why each quarantined file is not a whole instance. */
  reasons: Record<string, string>;
  /** Older copies removed because the index (or a newer file) holds a newer one. */
  removed: string[];
}

interface Candidate {
  header: InstanceHeader;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle: string;
  datasetOffset: number;
}

/** Reads and checks a spool file: a Part 10 file whose dataset is whole and matches its meta. */
async function inspect(path: string, size: number): Promise<Candidate> {
  const handle = await open(path, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const meta = readFileMeta(head);
  const explicitVr = isExplicitVr(meta.transferSyntaxUid);
  // The same readability check as at ingest (element headers to the end, pixel data length).
  let header: InstanceHeader;
  if (isDeflated(meta.transferSyntaxUid)) {
    const all = await readFile(path);
    header = readInstanceHeader(inflateRawSync(all.subarray(meta.datasetOffset)), { explicitVr, complete: true, walkToEnd: true });
  } else {
    const bytes = new DatasetFile(path, meta.datasetOffset, size - meta.datasetOffset, head.subarray(meta.datasetOffset));
    try {
      header = readInstanceHeader(bytes, { explicitVr, complete: true, walkToEnd: true });
    } finally {
      bytes.close();
    }
  }
  if (header.sopInstanceUid !== meta.sopInstanceUid || header.sopClassUid !== meta.sopClassUid) {
    throw new Error('its dataset is not the instance its meta information names.');
  }
  if (!header.studyInstanceUid || !header.seriesInstanceUid) throw new Error('it has no Study or Series Instance UID.');
  return {
    header,
    sopClassUid: meta.sopClassUid,
    sopInstanceUid: meta.sopInstanceUid,
    transferSyntaxUid: meta.transferSyntaxUid,
    sourceAeTitle: meta.sourceAeTitle ?? '(unknown)',
    datasetOffset: meta.datasetOffset,
  };
}

export async function reconcileSpool(options: { dataDir: string; spoolDir: string; tmpDir: string; index: InstanceIndex }): Promise<ReconcileReport> {
  const { dataDir, spoolDir, tmpDir, index } = options;
  const report: ReconcileReport = { checked: 0, reindexed: [], quarantined: [], reasons: {}, removed: [] };
  const rel = (p: string) => relative(dataDir, p).split(sep).join('/');

  const quarantine = async (file: string, why: string) => {
    report.reasons[rel(file)] = why;
    const target = join(dataDir, 'quarantine', rel(file).replace(/\//g, '_'));
    await mkdir(dirname(target), { recursive: true });
    await rename(file, target);
    report.quarantined.push(rel(file));
  };

  const visit = async (file: string): Promise<void> => {
    report.checked += 1;
    const path = rel(file);
    const name = file.slice(file.lastIndexOf(sep) + 1);
    const sop = sopFromSpoolName(name);
    const existing = sop ? await index.findInstance(sop) : undefined;
    if (existing?.relativePath === path) return; // the common case: indexed, nothing to read
    if (!sop && (await index.isIndexedPath(path))) return;

    const info = await stat(file);
    let candidate: Candidate;
    try {
      candidate = await inspect(file, info.size);
    } catch (e) {
      await quarantine(file, (e as Error).message);
      return;
    }
    const indexed = existing ?? (await index.findInstance(candidate.sopInstanceUid));
    if (indexed) {
      // Two files for one instance: the newer one is what the sender sent last.
      const indexedFile = join(dataDir, indexed.relativePath);
      const indexedTime = await stat(indexedFile).then(
        (s) => s.mtimeMs,
        () => -Infinity,
      );
      if (indexedTime >= info.mtimeMs) {
        await unlink(file);
        report.removed.push(path);
        return;
      }
    }
    const h = candidate.header;
    await index.recordInstance({
      sopInstanceUid: candidate.sopInstanceUid,
      sopClassUid: candidate.sopClassUid,
      studyInstanceUid: h.studyInstanceUid as string,
      seriesInstanceUid: h.seriesInstanceUid as string,
      transferSyntaxUid: candidate.transferSyntaxUid,
      relativePath: path,
      size: info.size,
      datasetOffset: candidate.datasetOffset,
      patientId: h.patientId,
      modality: h.modality,
      frameOfReferenceUid: h.frameOfReferenceUid,
      instanceNumber: h.instanceNumber,
      seriesNumber: h.seriesNumber,
      studyDate: h.studyDate,
      accessionNumber: h.accessionNumber,
      callingAeTitle: candidate.sourceAeTitle,
      receivedAt: Math.round(info.mtimeMs),
      rtstruct: h.rtstruct,
    });
    report.reindexed.push(path);
    if (indexed && indexed.relativePath !== path) {
      await unlink(join(dataDir, indexed.relativePath)).catch(() => undefined);
      report.removed.push(indexed.relativePath);
    }
  };

  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Unfinished files (every node's, in a shared spool) are never instances to index, and
        // the files made ahead (.free) are empty.
        if (full !== tmpDir && full !== join(spoolDir, 'tmp') && !entry.name.startsWith('.')) await walk(full);
      } else if (entry.name.endsWith('.dcm')) {
        await visit(full);
      }
    }
  };
  await walk(spoolDir);
  return report;
}
