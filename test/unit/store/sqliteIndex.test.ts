/**
 * The instance and study index: one row per SOP Instance UID, studies with versions and states,
 * RTSTRUCT references and which of them are missing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIndexDatabase } from '../../../src/store/database';
import { SqliteStudyIndex } from '../../../src/store/sqliteIndex';
import { InstanceRecord } from '../../../src/store/types';
import { SopClass } from '../../../src/dicom/uids';

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

function freshIndex(): SqliteStudyIndex {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-index-'));
  return new SqliteStudyIndex(openIndexDatabase(dataDir), dataDir);
}

describe('SqliteStudyIndex', () => {
  it('files instances under their study (version 1, receiving) and lists them in series/instance order', async () => {
    const index = freshIndex();
    for (const n of [3, 1, 2]) expect(await index.recordInstance(ct(n))).toEqual({ version: 1, versionChange: 'same', replaced: undefined });
    const listed = await index.listInstances(STUDY, 1);
    expect(listed.map((i) => i.instanceNumber)).toEqual([1, 2, 3]);
    expect(listed[0].path).toMatch(/spool\/1\.2\.3\.100\/1\.2\.3\.10\/1\.2\.3\.1\.1\.dcm$/);
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'receiving', instanceCount: 3, ctImageCount: 3, seriesCount: 1, patientId: 'P1', superseded: false });
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(1003);
  });

  it('reports which images an RTSTRUCT references are missing', async () => {
    const index = freshIndex();
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
    const index = freshIndex();
    await index.recordInstance(ct(1));
    const r = await index.recordInstance({ ...ct(1, 2000), size: 4242, relativePath: 'spool/x/new.dcm', transferSyntaxUid: '1.2.840.10008.1.2.1' });
    expect(r.replaced).toMatchObject({ sopInstanceUid: '1.2.3.1.1', size: 1001, relativePath: `spool/${STUDY}/1.2.3.10/1.2.3.1.1.dcm` });
    expect(await index.findInstance('1.2.3.1.1')).toMatchObject({ size: 4242, relativePath: 'spool/x/new.dcm', transferSyntaxUid: '1.2.840.10008.1.2.1' });
    expect(await index.listInstances(STUDY, 1)).toHaveLength(1);
    expect(await index.isIndexedPath('spool/x/new.dcm')).toBe(true);
    expect(await index.isIndexedPath(`spool/${STUDY}/1.2.3.10/1.2.3.1.1.dcm`)).toBe(false);
  });

  it('moves a version receiving → ready → processing → done, and opens version 2 for what arrives after processing', async () => {
    const index = freshIndex();
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
    const index = freshIndex();
    await index.recordInstance(ct(1));
    const v1 = { studyInstanceUid: STUDY, version: 1 };
    expect(await index.markWaiting(v1, 'waiting for contours: …', ['no RTSTRUCT was received.'], 5000)).toBe(true);
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'waiting', reason: 'waiting for contours: …', notes: ['no RTSTRUCT was received.'] });
    expect(await index.readinessFacts(STUDY)).toMatchObject({ version: 1, state: 'waiting' });
    expect(index.countCurrentByState()).toMatchObject({ waiting: 1, receiving: 0, ready: 0 });
    expect(await index.purgeCandidates(1001)).toEqual([]);
    expect(await index.purgeCandidates(1002)).toEqual([{ studyInstanceUid: STUDY, version: 1, doneAt: 1001, waiting: 'waiting for contours: …' }]);
    expect(await index.transition(v1, ['ready'], 'processing', undefined, 5100, true)).toBe(false);
    // The RTSTRUCT arrives days later: the same version receives again, its reason cleared.
    expect(await index.recordInstance(rtstruct(['1.2.3.1.1']))).toMatchObject({ version: 1, versionChange: 'reopened' });
    expect(await index.getStudy(STUDY)).toMatchObject({ version: 1, state: 'receiving', reason: undefined, notes: [] });
    expect(await index.markReady(v1, 'references-complete', [], [], 6000)).toBe(true);
  });

  it('restarts the quiet time of a receiving study when an identical copy arrives, not of a ready one', async () => {
    const index = freshIndex();
    await index.recordInstance(ct(1));
    await index.recordDuplicate('1.2.3.1.1', 7000);
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(7000);
    await index.markReady({ studyInstanceUid: STUDY, version: 1 }, 'stable-age', [], [], 8000);
    await index.recordDuplicate('1.2.3.1.1', 9000);
    expect(await index.getStudy(STUDY)).toMatchObject({ state: 'ready', version: 1 });
    expect((await index.getStudy(STUDY))!.lastReceivedAt.getTime()).toBe(7000);
  });
  it('offers a study to retention again when it was sent again after its images were deleted', async () => {
    const index = freshIndex();
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
});
