/**
 * "Don't wait when you can know": a study whose RTSTRUCT lists images that all arrived is ready
 * at once; one whose references never come (re-identified data, as sts/STS_001 as distributed)
 * is ready after the stable age, with the missing references reported. Readiness survives a
 * restart of the node.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { eventually, IngestNode, startIngestNode, STS_001, storescu, tempDir } from './support';
import { runCli, SHARED } from '../../support/process';

const STS_001_STUDY = '1.3.6.1.4.1.14519.5.2.1.5168.1900.980314374925518526455629963929';
const STS_001_RTSTRUCT = '1.3.6.1.4.1.14519.5.2.1.5168.1900.294304652189082068687304577278';
const STS_002 = join(SHARED, 'data', 'sts', 'STS_002', 'CT');
const STS_002_STUDY = '1.3.6.1.4.1.14519.5.2.1.5168.1900.190311276211389538203367070477';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

type Item = Record<string, unknown>;

function readDicom(path: string, untilPixelData = false) {
  const bytes = readFileSync(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dcmjs.data.DicomMessage.readFile(buffer, untilPixelData ? { untilTag: '7FE00010', includeUntilTagValue: false } : {});
}

/**
 * A copy of STS_001 whose RTSTRUCT references the CT images that are actually there: the
 * series-level Contour Image Sequence lists every CT, and each contour points at the CT slice
 * nearest to its plane. (As distributed, the references name 267 images of the original series.)
 */
function consistentSts001(): string {
  // GE private tags carry the VR "xs", which dcmjs reports on every slice: irrelevant here.
  dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');
  const dir = tempDir('sts-consistent');
  mkdirSync(join(dir, 'image'));
  mkdirSync(join(dir, 'mask'));
  const slices: Array<{ uid: string; z: number }> = [];
  for (const name of readdirSync(join(STS_001, 'image'))) {
    copyFileSync(join(STS_001, 'image', name), join(dir, 'image', name));
    const ct = dcmjs.data.DicomMetaDictionary.naturalizeDataset(readDicom(join(STS_001, 'image', name), true).dict) as Item;
    slices.push({ uid: ct.SOPInstanceUID as string, z: Number((ct.ImagePositionPatient as number[])[2]) });
  }
  const file = readDicom(join(STS_001, 'mask', 'RS.dcm'));
  const rs = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict) as Item;
  const frame = (rs.ReferencedFrameOfReferenceSequence as Item[])[0];
  const series = ((frame.RTReferencedStudySequence as Item[])[0].RTReferencedSeriesSequence as Item[])[0];
  series.ContourImageSequence = slices.map((s) => ({ ReferencedSOPClassUID: CT_IMAGE_STORAGE, ReferencedSOPInstanceUID: s.uid }));
  for (const roi of rs.ROIContourSequence as Item[]) {
    for (const contour of roi.ContourSequence as Item[]) {
      const z = Number((contour.ContourData as number[])[2]);
      const nearest = slices.reduce((a, b) => (Math.abs(b.z - z) < Math.abs(a.z - z) ? b : a));
      contour.ContourImageSequence = [{ ReferencedSOPClassUID: CT_IMAGE_STORAGE, ReferencedSOPInstanceUID: nearest.uid }];
    }
  }
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(rs);
  writeFileSync(join(dir, 'mask', 'RS.dcm'), Buffer.from(file.write()));
  return dir;
}

describe('study readiness with sts/STS_001', () => {
  let n: IngestNode | undefined;
  afterEach(async () => {
    await n?.stop();
    n = undefined;
  });

  it('is ready within 1 s of its last instance when its RTSTRUCT references are consistent (stable age 30 s)', async () => {
    const dir = consistentSts001();
    n = await startIngestNode({ study: { stableAgeS: 30 } });
    // The RTSTRUCT first, so that the last CT slice is what completes the study.
    const r = await storescu(n.port, [join(dir, 'mask', 'RS.dcm'), '+sd', join(dir, 'image')]);
    const sentAt = Date.now();
    expect(r.successes).toBe(60);
    const ready = await eventually('the ready event', () => n!.ready.find((e) => e.studyInstanceUid === STS_001_STUDY), 5000);
    expect(ready).toMatchObject({ version: 1, readyReason: 'references-complete', notes: [], missingReferences: [] });
    expect(ready.at - sentAt).toBeLessThan(1000);
    const study = (await n.node.studies.getStudy(STS_001_STUDY))!;
    expect(study).toMatchObject({ state: 'ready', instanceCount: 60, ctImageCount: 59, rtstructCount: 1 });
    expect(study.readyAt!.getTime() - study.lastReceivedAt.getTime()).toBeLessThan(1000);
  });

  it('as distributed (references to images that never come) is ready after the stable age, and status reports the missing references', async () => {
    n = await startIngestNode({ study: { stableAgeS: 3 } });
    const r = await storescu(n.port, ['+sd', STS_001, '+r']);
    expect(r.successes).toBe(60);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(n.ready).toEqual([]);
    expect((await n.node.studies.getStudy(STS_001_STUDY))?.state).toBe('receiving');

    const ready = await eventually('the ready event', () => n!.ready.find((e) => e.studyInstanceUid === STS_001_STUDY), 8000);
    expect(ready.readyReason).toBe('stable-age');
    expect(ready.missingReferences).toEqual([{ rtstructSopInstanceUid: STS_001_RTSTRUCT, referenced: 267, missing: 267, examples: expect.any(Array) }]);
    const study = (await n.node.studies.getStudy(STS_001_STUDY))!;
    const quiet = study.readyAt!.getTime() - study.lastReceivedAt.getTime();
    expect(quiet).toBeGreaterThanOrEqual(3000);
    expect(quiet).toBeLessThan(4500);

    const status = await runCli(['status'], { CD8_DATA_DIR: n.dataDir });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/state: +ready since .* \(nothing new arrived for the stable age\)/);
    expect(status.stdout).toContain(`note:      RTSTRUCT ${STS_001_RTSTRUCT} lists 267 contour images; 267 of them were not received (e.g. 1.3.6.1.4.1.14519.5.2.1.5168.1900.`);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'study.ready', studyInstanceUid: STS_001_STUDY, reason: 'stable-age', count: 60 }));
  });
});

describe('readiness across a restart of the node', () => {
  let n: IngestNode | undefined;
  afterEach(async () => {
    await n?.stop();
    n = undefined;
  });

  it('resumes a running stable-age timer, and announces ready studies nobody took up again', async () => {
    const dataDir = tempDir('restart');
    n = await startIngestNode({ study: { stableAgeS: 3 } }, dataDir);
    const [a, b] = await Promise.all([storescu(n.port, ['+sd', STS_001, '+r']), storescu(n.port, ['+sd', STS_002, '+r'])]);
    expect(a.successes).toBe(60);
    expect(b.successes).toBe(49);
    const lastInstance = Date.now();
    await n.stop();
    expect(n.ready).toEqual([]);

    // Back within the stable age: the quiet timers resume where they were.
    n = await startIngestNode({ study: { stableAgeS: 3 } }, dataDir);
    const restarted = Date.now();
    expect(restarted - lastInstance).toBeLessThan(2500);
    const node = n;
    const resumed = await eventually('both studies ready', () => (node.ready.length === 2 ? node.ready : undefined), 8000);
    expect(resumed.map((e) => e.studyInstanceUid).sort()).toEqual([STS_001_STUDY, STS_002_STUDY].sort());
    for (const e of resumed) {
      expect(e).toMatchObject({ readyReason: 'stable-age', recovered: false });
      expect(e.at).toBeGreaterThan(restarted + 300);
      const study = (await n.node.studies.getStudy(e.studyInstanceUid))!;
      const quiet = study.readyAt!.getTime() - study.lastReceivedAt.getTime();
      expect(quiet).toBeGreaterThanOrEqual(3000);
      expect(quiet).toBeLessThan(4500);
    }
    // The job queue takes one of them before the node stops again.
    expect(await n.node.studies.markProcessing(STS_002_STUDY, 1)).toBe(true);
    await n.stop();

    // Ready but not taken up: announced again at start-up (recovered). The one in processing is not.
    n = await startIngestNode({ study: { stableAgeS: 3 } }, dataDir);
    expect(n.ready.map((e) => ({ study: e.studyInstanceUid, recovered: e.recovered }))).toEqual([{ study: STS_001_STUDY, recovered: true }]);
  });

  it('makes a study ready at start-up when its stable age passed while the node was down', async () => {
    const dataDir = tempDir('down');
    n = await startIngestNode({ study: { stableAgeS: 2 } }, dataDir);
    expect((await storescu(n.port, ['+sd', STS_001, '+r'])).successes).toBe(60);
    await n.stop();
    await new Promise((r) => setTimeout(r, 2500));
    const started = Date.now();
    n = await startIngestNode({ study: { stableAgeS: 2 } }, dataDir);
    expect(n.ready).toEqual([expect.objectContaining({ studyInstanceUid: STS_001_STUDY, readyReason: 'stable-age', recovered: false })]);
    expect(n.ready[0].at - started).toBeLessThan(1000);
  });
});
