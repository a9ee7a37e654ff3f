/**
 * Retention deletes files before it forgets their index rows: a file it cannot delete keeps its
 * row (and is tried again at the next run); the study, its versions and results stay.
 */
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIndexDatabase } from '../../../src/store/database';
import { SqliteStudyIndex } from '../../../src/store/sqliteIndex';
import { purgeOldStudies } from '../../../src/ops/housekeeping';
import { memoryAuditLog } from '../../../src/ops/audit';
import { silentLogger } from '../../../src/ops/logger';
import { SopClass } from '../../../src/dicom/uids';

const STUDY = '1.2.3.100';
const DAY = 86_400_000;

it('forgets only the instances whose files are gone, and finishes the rest at the next run', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-retention-'));
  const index = new SqliteStudyIndex(openIndexDatabase(dataDir), dataDir);
  const seriesDir = join(dataDir, 'spool', STUDY, '1.2.3.10');
  mkdirSync(seriesDir, { recursive: true });
  for (const n of [1, 2, 3]) {
    const relativePath = `spool/${STUDY}/1.2.3.10/1.2.3.1.${n}.dcm`;
    // Instance 2's "file" is a directory: unlink fails (EISDIR/EPERM), as for a file retention may not delete.
    if (n === 2) mkdirSync(join(dataDir, relativePath));
    else if (n === 1) writeFileSync(join(dataDir, relativePath), 'DICM');
    // Instance 3's file is already gone (ENOENT): its row goes.
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

  const audit = memoryAuditLog();
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((m: string) => (warnings.push(m), logger)) as typeof logger.warn;
  expect(await purgeOldStudies(index, 30, logger, audit, 2200 + 31 * DAY)).toBe(1);
  expect(existsSync(join(seriesDir, '1.2.3.1.1.dcm'))).toBe(false);
  expect((await index.listInstances(STUDY, 1)).map((i) => i.sopInstanceUid)).toEqual(['1.2.3.1.2']);
  expect(warnings).toEqual([expect.stringMatching(/^retention could not delete .*1\.2\.3\.1\.2\.dcm: .*; it is tried again at the next run$/)]);
  expect(audit.events).toEqual([expect.objectContaining({ event: 'retention.deleted', studyInstanceUid: STUDY, count: 2 })]);
  expect(await index.getStudy(STUDY)).toMatchObject({ state: 'done', reason: 'not scored' });
  // Still a candidate: the instance left is tried again the next night.
  expect(await index.purgeCandidates(2200 + 32 * DAY)).toEqual([{ studyInstanceUid: STUDY, doneAt: 2200 }]);
});

it('reports nothing deleted when no file of the study could be deleted', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-retention-'));
  const index = new SqliteStudyIndex(openIndexDatabase(dataDir), dataDir);
  const relativePath = `spool/${STUDY}/1.2.3.10/1.2.3.1.1.dcm`;
  // A directory where the file should be: unlink fails, as for a file retention may not delete.
  mkdirSync(join(dataDir, relativePath), { recursive: true });
  await index.recordInstance({
    sopInstanceUid: '1.2.3.1.1',
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
  const v1 = { studyInstanceUid: STUDY, version: 1 };
  await index.markReady(v1, 'stable-age', [], [], 2000);
  await index.transition(v1, ['ready'], 'processing', undefined, 2100, true);
  await index.transition(v1, ['processing'], 'done', 'not scored', 2200, false);
  const audit = memoryAuditLog();
  const infos: string[] = [];
  const logger = silentLogger();
  logger.info = ((m: string) => (infos.push(m), logger)) as typeof logger.info;
  expect(await purgeOldStudies(index, 30, logger, audit, 2200 + 31 * DAY)).toBe(0);
  expect(audit.events).toEqual([]);
  expect(infos).toEqual([]);
  expect((await index.listInstances(STUDY, 1)).map((i) => i.sopInstanceUid)).toEqual(['1.2.3.1.1']);
});
