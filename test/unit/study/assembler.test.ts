/**
 * The assembler over a real SQLite index: judges a study after its instances arrive, keeps a
 * quiet timer per receiving study, records "ready" before announcing it, and guards the state
 * changes the job queue asks for.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, sqliteIndex, testStorages } from '../../support/storage';
import { openStorage } from '../../../src/db/storage';
import { InstanceRecord } from '../../../src/store/types';
import { StudyAssembler } from '../../../src/study/assembler';
import { REPORT_ALWAYS, WaitPolicy } from '../../../src/study/readiness';
import { StudyReadyEvent } from '../../../src/study/types';
import { memoryAuditLog } from '../../../src/ops/audit';
import { silentLogger } from '../../../src/ops/logger';
import { SopClass } from '../../../src/dicom/uids';

const FRAME = '1.2.9';
let sequence = 0;
function instance(study: string, kind: 'ct' | 'rt', images: string[] = []): InstanceRecord {
  sequence += 1;
  const uid = kind === 'ct' ? `${study}.1.${sequence}` : `${study}.2.${sequence}`;
  return {
    sopInstanceUid: uid,
    sopClassUid: kind === 'ct' ? SopClass.CtImageStorage : SopClass.RtStructureSetStorage,
    studyInstanceUid: study,
    seriesInstanceUid: `${study}.${kind === 'ct' ? 1 : 2}`,
    transferSyntaxUid: '1.2.840.10008.1.2',
    relativePath: `spool/${uid}.dcm`,
    size: 100,
    datasetOffset: 10,
    modality: kind === 'ct' ? 'CT' : 'RTSTRUCT',
    frameOfReferenceUid: kind === 'ct' ? FRAME : undefined,
    callingAeTitle: 'PACS',
    receivedAt: Date.now(),
    rtstruct: kind === 'rt' ? { frameOfReferenceUids: [FRAME], seriesUids: [`${study}.1`], imageUids: images } : undefined,
  };
}

function setup(stableAgeS = 1, waitPolicy?: WaitPolicy) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-assembler-'));
  const { db, index } = sqliteIndex(dataDir);
  const audit = memoryAuditLog();
  const assembler = new StudyAssembler(index, { stableAgeS, waitPolicy, logger: silentLogger(), audit, evaluationDelayMs: 10 });
  const events: Array<StudyReadyEvent & { at: number }> = [];
  assembler.onStudyReady((e) => events.push({ ...e, at: Date.now() }));
  const arrive = async (r: InstanceRecord) => {
    await index.recordInstance({ ...r, receivedAt: Date.now() });
    assembler.instanceArrived(r.studyInstanceUid);
  };
  return { dataDir, db, index, audit, assembler, events, arrive };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

describe('StudyAssembler', () => {
  it('announces a study as soon as the last image its RTSTRUCT lists arrives', async () => {
    const { assembler, events, arrive, audit } = setup(30);
    const a = instance('1.5', 'ct');
    const b = instance('1.5', 'ct');
    await arrive(instance('1.5', 'rt', [a.sopInstanceUid, b.sopInstanceUid]));
    await arrive(a);
    await sleep(50);
    expect(events).toEqual([]);
    const last = Date.now();
    await arrive(b);
    await eventually(() => (events.length > 0 ? events : undefined));
    expect(events).toEqual([expect.objectContaining({ studyInstanceUid: '1.5', version: 1, readyReason: 'references-complete', recovered: false })]);
    expect(events[0].at - last).toBeLessThan(1000);
    expect(audit.events).toContainEqual(expect.objectContaining({ event: 'study.ready', studyInstanceUid: '1.5', count: 3 }));
    assembler.stop();
  });

  it('announces a study without usable references after the stable age (withoutContours: report), restarting the wait on each arrival', async () => {
    const { assembler, events, arrive } = setup(1, REPORT_ALWAYS);
    await arrive(instance('1.6', 'ct'));
    await sleep(600);
    await arrive(instance('1.6', 'ct'));
    await sleep(600);
    expect(events).toEqual([]); // 1.2 s since the first, 0.6 s since the last
    const ready = await eventually(() => (events.length > 0 ? events : undefined));
    expect(ready).toEqual([expect.objectContaining({ studyInstanceUid: '1.6', readyReason: 'stable-age', notes: ['no RTSTRUCT was received.'] })]);
    const study = (await assembler.getStudy('1.6'))!;
    expect(study.readyAt!.getTime() - study.lastReceivedAt.getTime()).toBeGreaterThanOrEqual(1000);
    assembler.stop();
  });

  it('lets a CT without contours wait after the stable age, and makes it ready when its RTSTRUCT arrives', async () => {
    const { assembler, events, arrive, audit } = setup(1);
    const a = instance('1.9', 'ct');
    await arrive(a);
    const waiting = await eventually(() => (audit.events.some((e) => e.event === 'study.waiting') ? audit.events : undefined), 5000);
    expect(waiting).toContainEqual(expect.objectContaining({ event: 'study.waiting', studyInstanceUid: '1.9', reason: 'contours' }));
    expect(await assembler.getStudy('1.9')).toMatchObject({ version: 1, state: 'waiting', reason: expect.stringMatching(/^waiting for contours: /) });
    await sleep(1300); // no timer keeps judging it: it stays waiting, announced to nobody
    expect(events).toEqual([]);
    expect(await assembler.markProcessing('1.9', 1)).toBe(false); // a waiting version is not processed
    // The RTSTRUCT comes (hours later in a hospital): same version, ready at once since it lists the image.
    await arrive(instance('1.9', 'rt', [a.sopInstanceUid]));
    await eventually(() => (events.length > 0 ? events : undefined));
    expect(events).toEqual([expect.objectContaining({ studyInstanceUid: '1.9', version: 1, readyReason: 'references-complete' })]);
    expect(audit.events.filter((e) => e.event === 'study.waiting')).toHaveLength(1);
    assembler.stop();
  });

  it('lets only a ready, current version be taken for processing, and records the outcome', async () => {
    const { assembler, events, arrive, audit } = setup(30);
    const a = instance('1.7', 'ct');
    await arrive(instance('1.7', 'rt', [a.sopInstanceUid]));
    await arrive(a);
    await eventually(() => (events.length === 1 ? events : undefined));
    expect(await assembler.markDone('1.7', 1)).toBe(true); // a ready version may be recorded done directly
    await arrive(instance('1.7', 'ct')); // new content after processing: version 2
    await eventually(() => (events.length === 2 ? events : undefined));
    expect(events.map((e) => e.version)).toEqual([1, 2]);
    expect(await assembler.markProcessing('1.7', 1)).toBe(false); // superseded
    expect(await assembler.markProcessing('1.7', 2)).toBe(true);
    expect(await assembler.markFailed('1.7', 2, 'RTSTRUCT has no lesion ROI')).toBe(true);
    expect(await assembler.getStudy('1.7')).toMatchObject({ version: 2, state: 'failed', reason: 'RTSTRUCT has no lesion ROI' });
    expect(audit.events).toContainEqual(expect.objectContaining({ event: 'study.failed', studyInstanceUid: '1.7', reason: 'RTSTRUCT has no lesion ROI' }));
    // Retry after a failure is allowed.
    expect(await assembler.markProcessing('1.7', 2)).toBe(true);
    assembler.stop();
  });

  it('keeps announcing to the other listeners when one throws', async () => {
    const { assembler, events, arrive } = setup(30);
    assembler.onStudyReady(() => {
      throw new Error('listener bug');
    });
    const a = instance('1.8', 'ct');
    await arrive(instance('1.8', 'rt', [a.sopInstanceUid]));
    await arrive(a);
    await eventually(() => (events.length === 1 ? events : undefined));
    expect(events).toHaveLength(1);
    assembler.stop();
  });
});

describe.each(ENGINES)('assemblers of two nodes sharing one %s database', (engine) => {
  const storages = testStorages();

  it('finish a study whose quiet timer died with the node that received it: the other node\'s sweeper judges it when due', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    // A CT alone is made ready by its stable age here (study.withoutContours: report), not left waiting.
    const opts = { stableAgeS: 1, logger: silentLogger(), audit: memoryAuditLog(), evaluationDelayMs: 10, waitPolicy: { withoutContours: 'report', withoutImages: 'report' } as const };
    const nodeA = new StudyAssembler(a.index, opts);
    const nodeB = new StudyAssembler(b.index, { ...opts, sweepEveryMs: 200 });
    const events: StudyReadyEvent[] = [];
    nodeB.onStudyReady((e) => events.push(e));
    try {
      await nodeA.start();
      await nodeB.start();
      await a.index.recordInstance({ ...instance('1.9', 'ct'), receivedAt: Date.now() });
      nodeA.instanceArrived('1.9');
      await sleep(100);
      nodeA.stop(); // node A dies with its quiet timer
      await eventually(() => (events.length > 0 ? events : undefined));
      expect(events).toEqual([expect.objectContaining({ studyInstanceUid: '1.9', version: 1, readyReason: 'stable-age' })]);
      expect((await a.index.getStudy('1.9'))!.state).toBe('ready');
    } finally {
      nodeA.stop();
      nodeB.stop();
      await b.close();
    }
  });
});
