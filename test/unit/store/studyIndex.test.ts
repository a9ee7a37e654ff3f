/**
 * The instance and study index: one row per SOP Instance UID, studies with versions and states,
 * RTSTRUCT references and which of them are missing.
 */
import { InstanceRecord } from '../../../src/store/types';
import type { Storage } from '../../../src/db/storage';
import { SopClass } from '../../../src/dicom/uids';
import { openStorage } from '../../../src/db/storage';
import { ENGINES, EngineName, testStorages } from '../../support/storage';

const storages = testStorages();

const STUDY = '1.2.3.100';
const FRAME = '1.2.3.900';

function ct(n: number, at = 1000 + n): InstanceRecord {
  return {
    sopInstanceUid: `1.2.3.1.${n}`,
    sopClassUid: SopClass.CtImageStorage,
    studyInstanceUid: STUDY,
    seriesInstanceUid: '1.2.3.10',
    transferSyntaxUid: '1.2.840.10008.1.2',
    relativePath: `spool/${STUDY}/1.2.3.10/1.2.3.1.${n}.dcm`,
    size: 1000 + n,
    datasetOffset: 300,
    modality: 'CT',
    frameOfReferenceUid: FRAME,
    instanceNumber: n,
    patientId: 'P1',
    callingAeTitle: 'PACS',
    receivedAt: at,
  };
}

function rtstruct(images: string[], frame = FRAME, at = 5000): InstanceRecord {
  return {
    ...ct(0, at),
    sopInstanceUid: '1.2.3.2.1',
    sopClassUid: SopClass.RtStructureSetStorage,
    seriesInstanceUid: '1.2.3.20',
    relativePath: `spool/${STUDY}/1.2.3.20/1.2.3.2.1.dcm`,
    modality: 'RTSTRUCT',
    frameOfReferenceUid: undefined,
    instanceNumber: undefined,
    rtstruct: { frameOfReferenceUids: [frame], seriesUids: ['1.2.3.10'], imageUids: images },
  };
}

describe.each(ENGINES)('study index on %s', (engine: EngineName) => {
  const freshIndex = async (): Promise<Storage['index']> => (await storages.open(engine)).index;

  it('files instances under their study (version 1, receiving) and lists them in series/instance order', async () => {
    const index = await freshIndex();
    for (const n of [3, 1, 2]) expect(await index.recordInstance(ct(n))).toEqual({ version: 1, versionChange: 'same', replaced: undefined });
    const listed = await index.listInstances(STUDY, 1);
    expect(listed.map((i) => i.instanceNumber)).toEqual([1, 2, 3]);
    expect(listed[0].path).toMatch(/spool\/1\.2\.3\.100\/1\.2\.3\.10\/1\.2\.3\.1\.1\.dcm$/);
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'receiving', instanceCount: 3, ctImageCount: 3, seriesCount: 1, patientId: 'P1', superseded: false });
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(1003);
  });

  it('reports which images an RTSTRUCT references are missing', async () => {
    const index = await freshIndex();
    await index.recordInstance(ct(1));
    await index.recordInstance(rtstruct(['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3']));
    let facts = (await index.readinessFacts(STUDY))!.facts;
    expect(facts.series).toEqual(
      expect.arrayContaining([
        { seriesInstanceUid: '1.2.3.10', isCt: true, frameOfReferenceUid: FRAME, instanceCount: 1 },
        { seriesInstanceUid: '1.2.3.20', isCt: false, frameOfReferenceUid: undefined, instanceCount: 1 },
      ]),
    );
    expect(facts.rtstructs).toEqual([
      { sopInstanceUid: '1.2.3.2.1', frameOfReferenceUids: [FRAME], seriesUids: ['1.2.3.10'], referencedImageCount: 3, missingImageCount: 2, missingImageExamples: ['1.2.3.1.2', '1.2.3.1.3'] },
    ]);
    await index.recordInstance(ct(2));
    await index.recordInstance(ct(3));
    facts = (await index.readinessFacts(STUDY))!.facts;
    expect(facts.rtstructs[0]).toMatchObject({ missingImageCount: 0, missingImageExamples: [] });
    expect((await index.listInstances(STUDY, 1)).find((i) => i.modality === 'RTSTRUCT')!.rtstruct).toEqual({
      frameOfReferenceUids: [FRAME],
      seriesUids: ['1.2.3.10'],
      imageUids: ['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3'],
    });
  });

  it('records a replacement, keeping one row per SOP Instance UID', async () => {
    const index = await freshIndex();
    await index.recordInstance(ct(1));
    const r = await index.recordInstance({ ...ct(1, 2000), size: 4242, relativePath: 'spool/x/new.dcm', transferSyntaxUid: '1.2.840.10008.1.2.1' });
    expect(r.replaced).toMatchObject({ sopInstanceUid: '1.2.3.1.1', size: 1001, relativePath: `spool/${STUDY}/1.2.3.10/1.2.3.1.1.dcm` });
    expect(await index.findInstance('1.2.3.1.1')).toMatchObject({ size: 4242, relativePath: 'spool/x/new.dcm', transferSyntaxUid: '1.2.840.10008.1.2.1' });
    expect(await index.listInstances(STUDY, 1)).toHaveLength(1);
    expect(await index.isIndexedPath('spool/x/new.dcm')).toBe(true);
    expect(await index.isIndexedPath(`spool/${STUDY}/1.2.3.10/1.2.3.1.1.dcm`)).toBe(false);
  });

  it('keeps only the references of the RTSTRUCT last stored: after a replacement, and after its row was forgotten and it came again', async () => {
    const index = await freshIndex();
    const refsOf = async (version: number) => (await index.listInstances(STUDY, version)).find((i) => i.modality === 'RTSTRUCT')!.rtstruct!.imageUids;
    await index.recordInstance(ct(1));
    await index.recordInstance(rtstruct(['1.2.3.1.1', '1.2.3.1.2']));
    await index.recordInstance({ ...rtstruct(['1.2.3.1.3'], FRAME, 6000), relativePath: 'spool/x/rt2.dcm', size: 777 });
    expect(await refsOf(1)).toEqual(['1.2.3.1.3']);
    // A CT row forgotten and stored anew has no reference rows; a forgotten RTSTRUCT's go with its row.
    const files = await index.purgeableInstances(STUDY);
    expect(await index.forgetInstances(STUDY, files, 7000)).toBe(2);
    await index.recordInstance(rtstruct(['1.2.3.1.1'], FRAME, 8000));
    await index.recordInstance(ct(1, 8001));
    expect(await refsOf(1)).toEqual(['1.2.3.1.1']);
    expect((await index.readinessFacts(STUDY))!.facts.rtstructs[0]).toMatchObject({ referencedImageCount: 1, missingImageCount: 0 });
  });

  it('moves a version receiving → ready → processing → done, and opens version 2 for what arrives after processing', async () => {
    const index = await freshIndex();
    await index.recordInstance(ct(1));
    const v1 = { studyInstanceUid: STUDY, version: 1 };
    expect(await index.markReady(v1, 'stable-age', ['no RTSTRUCT was received.'], [], 9000)).toBe(true);
    expect(await index.markReady(v1, 'stable-age', [], [], 9001)).toBe(false); // already ready
    // Arrives while ready (not yet taken up): the same version receives it again.
    expect((await index.recordInstance(ct(2))).versionChange).toBe('reopened');
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'receiving', notes: [] });
    expect(await index.markReady(v1, 'stable-age', [], [], 9500)).toBe(true);
    expect(await index.transition(v1, ['ready'], 'processing', undefined, 9600, true)).toBe(true);
    expect(await index.transition(v1, ['processing'], 'done', 'score 0.41', 9700, false)).toBe(true);
    const r = await index.recordInstance(ct(3));
    expect(r).toMatchObject({ version: 2, versionChange: 'new-version' });
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 2, state: 'receiving', instanceCount: 3 });
    expect(await index.getStudy(STUDY, 1)).toMatchObject({ state: 'done', reason: 'score 0.41', instanceCount: 2, superseded: true });
    expect((await index.listInstances(STUDY, 1)).map((i) => i.instanceNumber)).toEqual([1, 2]);
    expect(await index.transition(v1, ['done'], 'processing', undefined, 9800, true)).toBe(false); // not current
    expect((await index.listStudies({})).map((s) => s.version)).toEqual([2]);
    expect((await index.listStudies({ includeSuperseded: true })).map((s) => s.version)).toEqual([2, 1]);
    expect(await index.currentVersionsIn('receiving')).toEqual([{ studyInstanceUid: STUDY, version: 2, lastReceivedAt: 1003 }]);
  });

  it('keeps a waiting version as the one that receives what arrives next, and offers it to retention by its last arrival', async () => {
    const index = await freshIndex();
    await index.recordInstance(ct(1));
    const v1 = { studyInstanceUid: STUDY, version: 1 };
    expect(await index.markWaiting(v1, 'waiting for contours: …', ['no RTSTRUCT was received.'], 5000)).toBe(true);
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'waiting', reason: 'waiting for contours: …', notes: ['no RTSTRUCT was received.'] });
    expect(await index.readinessFacts(STUDY)).toMatchObject({ version: 1, state: 'waiting' });
    expect(await index.countCurrentByState()).toEqual({ receiving: 0, waiting: 1, ready: 0, processing: 0, done: 0, failed: 0 });
    expect(await index.purgeCandidates(1001)).toEqual([]);
    expect(await index.purgeCandidates(1002)).toEqual([{ studyInstanceUid: STUDY, version: 1, doneAt: 1001, waiting: 'waiting for contours: …' }]);
    expect(await index.transition(v1, ['ready'], 'processing', undefined, 5100, true)).toBe(false);
    // The RTSTRUCT arrives days later: the same version receives again, its reason cleared.
    expect(await index.recordInstance(rtstruct(['1.2.3.1.1']))).toMatchObject({ version: 1, versionChange: 'reopened' });
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'receiving', reason: undefined, notes: [] });
    expect(await index.markReady(v1, 'references-complete', [], [], 6000)).toBe(true);
  });

  it('restarts the quiet time of a receiving study when an identical copy arrives, not of a ready one', async () => {
    const index = await freshIndex();
    await index.recordInstance(ct(1));
    await index.recordDuplicate('1.2.3.1.1', 7000);
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(7000);
    await index.markReady({ studyInstanceUid: STUDY, version: 1 }, 'stable-age', [], [], 8000);
    await index.recordDuplicate('1.2.3.1.1', 9000);
    expect(await index.getStudy(STUDY)).toMatchObject({ state: 'ready', version: 1 });
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(7000);
  });
  it('offers a study to retention again when it was sent again after its images were deleted', async () => {
    const index = await freshIndex();
    const v1 = { studyInstanceUid: STUDY, version: 1 };
    await index.recordInstance(ct(1));
    await index.markReady(v1, 'stable-age', [], [], 2000);
    await index.transition(v1, ['ready'], 'processing', undefined, 2100, true);
    await index.transition(v1, ['processing'], 'done', 'not scored', 2200, false);
    expect(await index.purgeCandidates(3000)).toEqual([{ studyInstanceUid: STUDY, version: 1, doneAt: 2200 }]);
    const files = await index.purgeableInstances(STUDY);
    expect(files).toEqual([{ sopInstanceUid: '1.2.3.1.1', relativePath: expect.any(String), path: expect.stringMatching(/spool\/1\.2\.3\.100\/1\.2\.3\.10\/1\.2\.3\.1\.1\.dcm$/) }]);
    // A row that names another file (the instance was stored again meanwhile) is not forgotten.
    expect(await index.forgetInstances(STUDY, [{ ...files[0], relativePath: 'spool/elsewhere.dcm' }], 3000)).toBe(0);
    expect(await index.purgeCandidates(10_000)).toHaveLength(1);
    expect(await index.forgetInstances(STUDY, files, 3000)).toBe(1);
    expect(await index.purgeCandidates(10_000)).toEqual([]);
    // The PACS sends the study again (e.g. with a corrected RTSTRUCT): a new version, processed in turn.
    expect(await index.recordInstance(ct(2, 4000))).toMatchObject({ version: 2, versionChange: 'new-version' });
    const v2 = { studyInstanceUid: STUDY, version: 2 };
    await index.markReady(v2, 'stable-age', [], [], 5000);
    await index.transition(v2, ['ready'], 'processing', undefined, 5100, true);
    await index.transition(v2, ['processing'], 'done', 'not scored', 5200, false);
    expect(await index.purgeCandidates(5100)).toEqual([]);
    expect(await index.purgeCandidates(6000)).toEqual([{ studyInstanceUid: STUDY, version: 2, doneAt: 5200 }]);
  });

  it('stores the same instance once when two nodes record it at the same moment (a shared spool: same file)', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      const results = await Promise.all([a.index.recordInstance(ct(1)), b.index.recordInstance(ct(1)), a.index.recordInstance(ct(2)), b.index.recordInstance(ct(2))]);
      expect(results.every((r) => r.version === 1 && r.replaced === undefined)).toBe(true);
      expect((await a.index.listInstances(STUDY, 1)).map((i) => i.instanceNumber)).toEqual([1, 2]);
      expect(await a.index.getStudy(STUDY)).toMatchObject({ version: 1, instanceCount: 2 });
    } finally {
      await b.close();
    }
  });

  it('marks a study ready only on the facts it judged: an instance another node added since makes the sweeper judge again', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      await a.index.recordInstance(ct(1, 1000));
      const judged = (await a.index.readinessFacts(STUDY))!;
      expect(judged.facts.lastReceivedAt).toBe(1000);
      // Between the sweeper's facts and its mark, node B stores another instance of the study.
      await b.index.recordInstance(ct(2, 1500));
      const stale = { studyInstanceUid: STUDY, version: judged.version, lastReceivedAt: judged.facts.lastReceivedAt };
      expect(await a.index.markReady(stale, 'stable-age', [], [], 9000)).toBe(false);
      expect(await a.index.getStudy(STUDY)).toMatchObject({ state: 'receiving', instanceCount: 2 });
      // An identical copy restarts the quiet time as well.
      const again = (await a.index.readinessFacts(STUDY))!;
      await b.index.recordDuplicate('1.2.3.1.2', 1600);
      expect(await a.index.markReady({ ...again, lastReceivedAt: again.facts.lastReceivedAt }, 'stable-age', [], [], 9000)).toBe(false);
      // Judged again on the new facts: ready.
      const fresh = (await a.index.readinessFacts(STUDY))!;
      expect(await a.index.markReady({ ...fresh, lastReceivedAt: fresh.facts.lastReceivedAt }, 'stable-age', [], [], 9100)).toBe(true);
    } finally {
      await b.close();
    }
  });

  it('assembles one study from the CT recorded by one node and the RTSTRUCT by another', async () => {
    const a = await storages.open(engine);
    const b = await openStorage({ url: a.url, dataDir: a.dataDir });
    try {
      await Promise.all([1, 2, 3].map((n) => a.index.recordInstance(ct(n))).concat(b.index.recordInstance(rtstruct(['1.2.3.1.1', '1.2.3.1.2', '1.2.3.1.3']))));
      const found = (await b.index.readinessFacts(STUDY))!;
      expect(found.version).toBe(1);
      expect(found.facts.rtstructs).toEqual([expect.objectContaining({ referencedImageCount: 3, missingImageCount: 0 })]);
      // Both nodes judge it ready at once: one of them marks it.
      const marked = await Promise.all([a.index.markReady(found, 'references-complete', [], [], 9000), b.index.markReady(found, 'references-complete', [], [], 9000)]);
      expect(marked.filter(Boolean)).toHaveLength(1);
    } finally {
      await b.close();
    }
  });
});
