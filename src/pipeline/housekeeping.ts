/**
 * What the schedules run: retention of spooled images, the sweep for studies that are ready but
 * were never taken up, and the daily summary line.
 */
import { unlink } from 'node:fs/promises';
import type { Logger } from '../ops/logger';
import type { AuditLog } from '../ops/audit';
import type { JobQueue } from '../jobs/queue';
import type { StudyCatalog } from '../study/types';
import type { RetentionIndex } from '../store/types';
import type { StudyIndex } from '../study/studyIndex';
import type { ResultStore } from '../results/resultStore';
import type { OutboxStatus } from '../outbox/outbox';
import { errorText } from '../ops/errorText';

const DAY_MS = 86_400_000;

/**
 * Deletes the images of studies processed more than `days` ago, and of studies that waited (for
 * contours or images) with nothing received for `days`: those are never processed, their version
 * becomes failed with that reason and the audit says so. Keeps the study, its versions and every
 * result. Files first, then their index rows: a file that cannot be deleted keeps its
 * row (tried again at the next run), and a crash in between never leaves unindexed files behind.
 */
export async function purgeOldStudies(index: RetentionIndex & Pick<StudyIndex, 'transition'>, days: number, logger: Logger, audit: AuditLog, now = Date.now()): Promise<number> {
  if (days <= 0) return 0;
  const candidates = await index.purgeCandidates(now - days * DAY_MS);
  let files = 0;
  let studies = 0;
  let unprocessed = 0;
  for (const c of candidates) {
    const gone: Array<{ sopInstanceUid: string; relativePath: string }> = [];
    for (const instance of await index.purgeableInstances(c.studyInstanceUid)) {
      try {
        await unlink(instance.path);
        files++;
        gone.push(instance);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') gone.push(instance);
        else logger.warn(`retention could not delete ${instance.path}: ${errorText(e)}; it is tried again at the next run`);
      }
    }
    const forgotten = await index.forgetInstances(c.studyInstanceUid, gone, now);
    if (forgotten === 0) continue;
    studies++;
    if (c.waiting === undefined) {
      audit.record({ event: 'retention.deleted', studyInstanceUid: c.studyInstanceUid, count: forgotten });
      continue;
    }
    unprocessed++;
    const reason = `never processed: its images were deleted by retention after ${days} days without a new instance (${c.waiting})`;
    await index.transition({ studyInstanceUid: c.studyInstanceUid, version: c.version }, ['waiting'], 'failed', reason, now, true);
    audit.record({ event: 'retention.deleted', studyInstanceUid: c.studyInstanceUid, count: forgotten, status: 'unprocessed', reason: c.waiting });
    logger.warn(`retention: study ${c.studyInstanceUid} was purged unprocessed: ${c.waiting}`, { studyInstanceUid: c.studyInstanceUid, files: forgotten });
  }
  if (studies > 0) {
    const waited = unprocessed > 0 ? `, ${unprocessed} of them waiting and never processed` : '';
    logger.info(`retention: deleted the images of ${studies} stud${studies === 1 ? 'y' : 'ies'} processed (or last received) more than ${days} days ago${waited} (${files} files); results and index kept`);
  }
  return studies;
}

/** Ready study versions without a live job (e.g. an event lost in a crash) are queued. */
export async function sweepStuckStudies(catalog: StudyCatalog, queue: JobQueue, logger: Logger, wake: () => void): Promise<number> {
  let queued = 0;
  for (const s of await catalog.listStudies({ states: ['ready'], limit: 1000 })) {
    const job = await queue.latestFor(s.studyInstanceUid);
    if (job && job.version === s.version) continue;
    await queue.enqueue(s.studyInstanceUid, s.version);
    queued++;
  }
  if (queued > 0) {
    logger.warn(`stuck-study sweep: queued ${queued} ready stud${queued === 1 ? 'y' : 'ies'} that had no job`);
    wake();
  }
  return queued;
}

export interface DailyCounts {
  received: number;
  analysed: number;
  scored: number;
  notScored: number;
  failedJobs: number;
  outbox: OutboxStatus['counts'];
}

export async function dailySummary(catalog: StudyCatalog, results: ResultStore, queue: JobQueue, outbox: () => Promise<OutboxStatus>, logger: Logger, now = Date.now()): Promise<DailyCounts> {
  const since = now - DAY_MS;
  const recent = await catalog.listStudies({ limit: 10_000, includeSuperseded: true });
  const received = new Set(recent.filter((s) => s.lastReceivedAt.getTime() >= since).map((s) => s.studyInstanceUid)).size;
  const r = await results.counts(since);
  const failedJobs = (await queue.list(10_000)).filter((j) => j.state === 'failed' && j.updatedAt >= since).length;
  const counts: DailyCounts = { received, analysed: r.analysed, scored: r.scored, notScored: r.notScored, failedJobs, outbox: (await outbox()).counts };
  logger.info(
    `daily summary: last 24 h ${received} stud${received === 1 ? 'y' : 'ies'} received, ${r.analysed} analysed (${r.scored} scored, ${r.notScored} not scored), ${failedJobs} failed; outbox pending ${counts.outbox.pending ?? 0}, failed ${counts.outbox.failed ?? 0}`,
    { daily: counts },
  );
  return counts;
}
