/**
 * Retention deletes files before it forgets their index rows: a file it cannot delete keeps its
 * row (and is tried again at the next run); the study, its versions and results stay.
 */
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteIndex } from '../../support/storage';
import type { SqliteStudyIndex } from '../../../src/db/sqlite/studyIndex';
import { purgeOldStudies } from '../../../src/pipeline/housekeeping';
import { memoryAuditLog } from '../../../src/ops/audit';
import { silentLogger } from '../../../src/ops/logger';
import { SopClass } from '../../../src/dicom/uids';

const STUDY = '1.2.3.100';
const DAY = 86_400_000;

type SpoolFile = 'file' | 'undeletable' | 'gone';

/**
 * A study processed at t = 2200 ms whose instances 1.2.3.1.<n> have spool files of the given
 * kinds: a file, a directory in its place (unlink fails, as for a file retention may not delete),
 * or nothing (already gone: ENOENT).
 */
async function processedStudy(files: SpoolFile[]): Promise<{ index: SqliteStudyIndex; seriesDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-retention-'));
  const { index } = sqliteIndex(dataDir);
  const seriesDir = join(dataDir, 'spool', STUDY, '1.2.3.10');
  mkdirSync(seriesDir, { recursive: true });
  for (const [i, kind] of files.entries()) {
    const n = i + 1;
    const relativePath = `spool/${STUDY}/1.2.3.10/1.2.3.1.${n}.dcm`;
    if (kind === 'undeletable') mkdirSync(join(dataDir, relativePath));
    else if (kind === 'file') writeFileSync(join(dataDir, relativePath), 'DICM');
    await index.recordInstance({
      sopInstanceUid: `1.2.3.1.${n}`,
      sopClassUid: SopClass.CtImageStorage,
      studyInstanceUid: STUDY,
      seriesInstanceUid: '1.2.3.10',
      transferSyntaxUid: '1.2.840.10008.1.2',
      relativePath,
      size: 4,
      datasetOffset: 0,
      callingAeTitle: 'PACS',
      receivedAt: 1000,
    });
  }
  const v1 = { studyInstanceUid: STUDY, version: 1 };
  await index.markReady(v1, 'stable-age', [], [], 2000);
  await index.transition(v1, ['ready'], 'processing', undefined, 2100, true);
  await index.transition(v1, ['processing'], 'done', 'not scored', 2200, false);
  return { index, seriesDir };
}

/** A silent logger that keeps its warn and info lines. */
function recordingLogger() {
  const lines = { warn: [] as string[], info: [] as string[] };
  const logger = silentLogger();
  logger.warn = ((m: string) => (lines.warn.push(m), logger)) as typeof logger.warn;
  logger.info = ((m: string) => (lines.info.push(m), logger)) as typeof logger.info;
  return { logger, lines };
}

it('forgets only the instances whose files are gone, and finishes the rest at the next run', async () => {
  const { index, seriesDir } = await processedStudy(['file', 'undeletable', 'gone']);
  const audit = memoryAuditLog();
  const { logger, lines } = recordingLogger();
  expect(await purgeOldStudies(index, 30, logger, audit, 2200 + 31 * DAY)).toBe(1);
  expect(existsSync(join(seriesDir, '1.2.3.1.1.dcm'))).toBe(false);
  expect((await index.listInstances(STUDY, 1)).map((i) => i.sopInstanceUid)).toEqual(['1.2.3.1.2']);
  expect(lines.warn).toEqual([expect.stringMatching(/^retention could not delete .*1\.2\.3\.1\.2\.dcm: .*; it is tried again at the next run$/)]);
  expect(audit.events).toEqual([expect.objectContaining({ event: 'retention.deleted', studyInstanceUid: STUDY, count: 2 })]);
  expect(await index.getStudy(STUDY)).toMatchObject({ state: 'done', reason: 'not scored' });
  // Still a candidate: the instance left is tried again the next night.
  expect(await index.purgeCandidates(2200 + 32 * DAY)).toEqual([{ studyInstanceUid: STUDY, version: 1, doneAt: 2200 }]);
});

it('reports nothing deleted when no file of the study could be deleted', async () => {
  const { index } = await processedStudy(['undeletable']);
  const audit = memoryAuditLog();
  const { logger, lines } = recordingLogger();
  expect(await purgeOldStudies(index, 30, logger, audit, 2200 + 31 * DAY)).toBe(0);
  expect(audit.events).toEqual([]);
  expect(lines.info).toEqual([]);
  expect((await index.listInstances(STUDY, 1)).map((i) => i.sopInstanceUid)).toEqual(['1.2.3.1.1']);
});

it('purges a study that waited for contours with nothing received for the retention period, and says it was never processed', async () => {
  const { index } = await processedStudy([]); // an index with no processed study; the waiting one's file is already gone (ENOENT)
  const WAITING = '1.2.3.200';
  await index.recordInstance({
    sopInstanceUid: '1.2.3.9.1',
    sopClassUid: SopClass.CtImageStorage,
    studyInstanceUid: WAITING,
    seriesInstanceUid: '1.2.3.90',
    transferSyntaxUid: '1.2.840.10008.1.2',
    relativePath: `spool/${WAITING}/1.2.3.90/1.2.3.9.1.dcm`,
    size: 4,
    datasetOffset: 0,
    callingAeTitle: 'PACS',
    receivedAt: 1000,
  });
  await index.markWaiting({ studyInstanceUid: WAITING, version: 1 }, 'waiting for contours: a CT series arrived but no RTSTRUCT', [], 2000);
  const audit = memoryAuditLog();
  const { logger, lines } = recordingLogger();
  // 29 days after its last instance it still waits.
  expect(await purgeOldStudies(index, 30, logger, audit, 1000 + 29 * DAY)).toBe(0);
  expect(await purgeOldStudies(index, 30, logger, audit, 1000 + 31 * DAY)).toBe(1);
  expect(audit.events).toEqual([
    expect.objectContaining({ event: 'retention.deleted', studyInstanceUid: WAITING, count: 1, status: 'unprocessed', reason: 'waiting for contours: a CT series arrived but no RTSTRUCT' }),
  ]);
  expect(lines.warn).toEqual([`retention: study ${WAITING} was purged unprocessed: waiting for contours: a CT series arrived but no RTSTRUCT`]);
  expect(await index.getStudy(WAITING)).toMatchObject({
    state: 'failed',
    reason: 'never processed: its images were deleted by retention after 30 days without a new instance (waiting for contours: a CT series arrived but no RTSTRUCT)',
  });
  expect(await index.listInstances(WAITING, 1)).toEqual([]);
});
