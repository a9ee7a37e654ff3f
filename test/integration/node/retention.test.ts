/**
 * Retention: the images of a study processed more than retention.spoolDays ago are deleted; the
 * study, its versions and its results stay; a study processed recently keeps its images.
 */
import { existsSync } from 'node:fs';
import { sqliteIndex } from '../../support/storage';
import { purgeOldStudies } from '../../../src/pipeline/housekeeping';
import { memoryAuditLog } from '../../../src/ops/audit';
import { silentLogger } from '../../../src/ops/logger';
import { IngestNode, PHANTOM, startIngestNode, storescu } from '../ingest/support';
import { waitFor } from '../../support/process';

const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';
const DAY = 86_400_000;

describe('retention', () => {
  let node: IngestNode;
  afterAll(async () => {
    await node?.stop();
  });

  it('deletes the images of old processed studies and keeps their record', async () => {
    node = await startIngestNode();
    expect((await storescu(node.port, ['+sd', PHANTOM, '+r'])).successes).toBe(61);
    await waitFor('the study to be ready', () => node.ready.length > 0 || undefined);
    const instances = await node.node.studies.listInstances(PHANTOM_STUDY, 1);
    expect(instances).toHaveLength(61);
    expect(await node.node.studies.markProcessing(PHANTOM_STUDY, 1)).toBe(true);
    expect(await node.node.studies.markDone(PHANTOM_STUDY, 1, '1 lesion, 1 scored')).toBe(true);

    const { index } = sqliteIndex(node.dataDir);
    const audit = memoryAuditLog();
    // Processed just now: 30 days of retention keep it.
    expect(await purgeOldStudies(index, 30, silentLogger(), audit)).toBe(0);
    expect(instances.every((i) => existsSync(i.path))).toBe(true);
    // 31 days later it goes; 0 days means "keep forever".
    expect(await purgeOldStudies(index, 0, silentLogger(), audit, Date.now() + 31 * DAY)).toBe(0);
    expect(await purgeOldStudies(index, 30, silentLogger(), audit, Date.now() + 31 * DAY)).toBe(1);
    expect(instances.some((i) => existsSync(i.path))).toBe(false);
    expect(await node.node.studies.listInstances(PHANTOM_STUDY, 1)).toEqual([]);
    expect(await node.node.studies.getStudy(PHANTOM_STUDY)).toMatchObject({ state: 'done', reason: '1 lesion, 1 scored' });
    expect(audit.events).toEqual([expect.objectContaining({ event: 'retention.deleted', studyInstanceUid: PHANTOM_STUDY, count: 61 })]);
    // Nothing left to delete the next night.
    expect(await purgeOldStudies(index, 30, silentLogger(), audit, Date.now() + 32 * DAY)).toBe(0);
  }, 60000);
});
