/**
 * DCMTK storescu sends the IBSI CT phantom (60 CT + RTSTRUCT) to the node: every instance is
 * answered Success, kept byte for byte, indexed, and the study becomes ready and shows in
 * `cd8-node status`. Sending it again stores nothing twice; changed content replaces and is
 * recorded; after processing, new content opens a new study version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyPhantom, datasetOf, dicomFiles, eventually, halfStored, IngestNode, PHANTOM, sopInstanceUidOf, startIngestNode, storescu } from './support';
import { run, runCli } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { readFileMeta } from '../../../src/dicom/part10';
import { StudyVersionSummary } from '../../../src/study/types';
import { hashedId, loadIdHashKey } from '../../../src/ops/idHash';

const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';
const IMPLICIT_VR_LE = '1.2.840.10008.1.2';

describe('storescu sends the IBSI CT phantom to the node', () => {
  let n: IngestNode;
  let reference: DicomPeer;
  const sources = dicomFiles(PHANTOM);

  beforeAll(async () => {
    // Stable age 30 s: the phantom's RTSTRUCT lists all its 60 CT images, so it need not wait.
    [n, reference] = await Promise.all([startIngestNode({ study: { stableAgeS: 30 } }), startStorescp('REFERENCE')]);
  });
  afterAll(async () => {
    await Promise.all([n?.stop(), reference?.stop()]);
  });

  it('answers all 61 C-STOREs with Success and keeps each dataset byte for byte as sent', async () => {
    // Implicit VR only: no transfer syntax conversion on the way. DCMTK's storescp receives the
    // same send as the reference of "what was sent" (storescu re-encodes the RTSTRUCT slightly).
    const [r, ref] = await Promise.all([
      storescu(n.port, ['+sd', PHANTOM, '+r'], { args: ['-xi'] }),
      storescu(reference.port, ['+sd', PHANTOM, '+r'], { args: ['-xi'], aec: 'REFERENCE' }),
    ]);
    expect(r.code).toBe(0);
    expect(r.successes).toBe(61);
    expect(ref.successes).toBe(61);
    expect(sources).toHaveLength(61);

    const instances = await n.node.studies.listInstances(PHANTOM_STUDY, 1);
    expect(instances).toHaveLength(61);
    const byUid = new Map(instances.map((i) => [i.sopInstanceUid, i]));
    for (const source of sources) {
      const uid = sopInstanceUidOf(source);
      const stored = byUid.get(uid);
      expect(stored).toBeDefined();
      const sent = datasetOf(join(reference.dir, `${stored!.modality === 'RTSTRUCT' ? 'RS' : 'CT'}.${uid}`));
      expect({ uid, identical: datasetOf(stored!.path).equals(sent) }).toEqual({ uid, identical: true });
      // The CT slices travel unchanged: identical to the files themselves.
      if (stored!.modality === 'CT') expect(datasetOf(stored!.path).equals(datasetOf(source))).toBe(true);
      expect(stored!.transferSyntaxUid).toBe(IMPLICIT_VR_LE);
      expect(stored!.callingAeTitle).toBe('STORESCU');
    }
    expect(instances.filter((i) => i.modality === 'CT')).toHaveLength(60);
    const rtstruct = instances.find((i) => i.modality === 'RTSTRUCT')!;
    expect(rtstruct.rtstruct?.imageUids).toHaveLength(60);
    expect(n.audit.filter((e) => e.event === 'instance.stored')).toHaveLength(61);
  });

  it('writes a correct Part 10 meta header that DCMTK reads', async () => {
    const [ct] = (await n.node.studies.listInstances(PHANTOM_STUDY, 1)).filter((i) => i.modality === 'CT');
    const meta = readFileMeta(readFileSync(ct.path));
    expect(meta).toMatchObject({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: ct.sopInstanceUid, transferSyntaxUid: IMPLICIT_VR_LE, sourceAeTitle: 'STORESCU' });
    const dump = await run('dcmdump', ['+P', '0002,0010', '+P', '0002,0003', '+P', '0008,0018', ct.path]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toMatch(/\(0002,0010\) UI =LittleEndianImplicit/);
    expect(dump.stdout.match(new RegExp(ct.sopInstanceUid.replace(/\./g, '\\.'), 'g'))).toHaveLength(2);
    expect(dump.stderr).toBe('');
  });

  it('makes the study ready as soon as every image the RTSTRUCT lists has arrived, and status shows it', async () => {
    const ready = await eventually('the ready event', () => n.ready.find((e) => e.studyInstanceUid === PHANTOM_STUDY));
    expect(ready).toMatchObject({ version: 1, readyReason: 'references-complete', recovered: false, notes: [] });
    const study = await n.node.studies.getStudy(PHANTOM_STUDY);
    expect(study).toMatchObject({ state: 'ready', instanceCount: 61, seriesCount: 2, ctImageCount: 60, rtstructCount: 1 });
    expect(study!.readyAt!.getTime() - study!.lastReceivedAt.getTime()).toBeLessThan(1000);

    const text = await runCli(['status'], { CD8_DATA_DIR: n.dataDir });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(PHANTOM_STUDY);
    expect(text.stdout).toMatch(/state: +ready since .* \(every image its RTSTRUCT references has arrived\)/);
    expect(text.stdout).toMatch(/received: +61 instances in 2 series \(60 CT images, 1 RTSTRUCT\)/);
    const json = await runCli(['status', '--json'], { CD8_DATA_DIR: n.dataDir });
    const listed = (JSON.parse(json.stdout) as { studies: StudyVersionSummary[] }).studies;
    expect(listed).toEqual([expect.objectContaining({ studyInstanceUid: PHANTOM_STUDY, version: 1, state: 'ready', instanceCount: 61 })]);
    // The Patient ID is hashed in JSON as in the text output; never given in clear.
    expect(listed[0]).toMatchObject({ patient: hashedId(study!.patientId, loadIdHashKey(n.dataDir)) });
    expect(json.stdout).not.toMatch(/"patientId"/);
  });

  it('stores an identical second copy once (Success, counted as a duplicate, no new version)', async () => {
    const before = n.ready.length;
    const r = await storescu(n.port, ['+sd', PHANTOM, '+r'], { args: ['-xi'] });
    expect(r.successes).toBe(61);
    expect(n.audit.filter((e) => e.event === 'instance.duplicate')).toHaveLength(61);
    expect(await n.node.studies.listInstances(PHANTOM_STUDY, 1)).toHaveLength(61);
    const study = await n.node.studies.getStudy(PHANTOM_STUDY);
    expect(study).toMatchObject({ version: 1, state: 'ready' });
    expect(n.ready.length).toBe(before);
  });

  it('keeps the newer content when a changed instance arrives, records it, and opens a new version once processed', async () => {
    const copy = copyPhantom();
    const changed = join(copy.ct, 'DCM_IMG_00007.dcm');
    const uid = sopInstanceUidOf(changed);
    expect((await run('dcmodify', ['-nb', '-i', '(0008,103E)=changed by the test', changed])).code).toBe(0);

    // Not processed yet: the ready version receives it and becomes ready again, still version 1.
    const first = await storescu(n.port, [changed], { args: ['-xi'] });
    expect(first.successes).toBe(1);
    expect(n.audit.filter((e) => e.event === 'instance.replaced').map((e) => e.sopInstanceUid)).toEqual([uid]);
    const stored = (await n.node.studies.listInstances(PHANTOM_STUDY, 1)).find((i) => i.sopInstanceUid === uid)!;
    expect(datasetOf(stored.path).equals(datasetOf(changed))).toBe(true);
    await eventually('version 1 ready again', async () => (await n.node.studies.getStudy(PHANTOM_STUDY))?.state === 'ready');
    expect((await n.node.studies.getStudy(PHANTOM_STUDY))?.version).toBe(1);

    // The job queue takes version 1 and finishes it; a further change is then version 2.
    expect(await n.node.studies.markProcessing(PHANTOM_STUDY, 1)).toBe(true);
    expect(await n.node.studies.markDone(PHANTOM_STUDY, 1, 'scored')).toBe(true);
    expect((await run('dcmodify', ['-nb', '-i', '(0008,103E)=changed again', changed])).code).toBe(0);
    expect((await storescu(n.port, [changed], { args: ['-xi'] })).successes).toBe(1);
    const v2 = await eventually('version 2 ready', () => n.ready.find((e) => e.studyInstanceUid === PHANTOM_STUDY && e.version === 2));
    expect(v2.readyReason).toBe('references-complete');
    expect(await n.node.studies.getStudy(PHANTOM_STUDY, 1)).toMatchObject({ state: 'done', reason: 'scored', superseded: true });
    expect(await n.node.studies.getStudy(PHANTOM_STUDY)).toMatchObject({ version: 2, state: 'ready', instanceCount: 61 });
    expect(await n.node.studies.listInstances(PHANTOM_STUDY, 2)).toHaveLength(61);
    // A stale job for version 1 cannot take the study again.
    expect(await n.node.studies.markProcessing(PHANTOM_STUDY, 1)).toBe(false);
  });

  it('leaves no temporary files behind', () => {
    expect(halfStored(n.dataDir)).toEqual([]);
  });
});
