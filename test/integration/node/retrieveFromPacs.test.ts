/**
 * "Send us the RTSTRUCT" is enough: a real Orthanc holds the phantom CT (uploaded by REST), only
 * the RTSTRUCT is sent to the node, and after the stable age the node C-MOVEs the series it
 * references from Orthanc to itself, processes the study and sends the SR back to Orthanc. When
 * Orthanc does not hold the images, or refuses the move, the study waits with the reason.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, runCli, SHARED, waitFor } from '../../support/process';
import { startOrthanc, Orthanc } from '../../support/orthanc';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PHANTOM_RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';
const STS_001_RTSTRUCT = join(SHARED, 'data', 'sts', 'STS_001', 'CT', 'mask', 'RS.dcm');

function audit(node: NodeProcess): Array<{ event: string; studyInstanceUid?: string; reason?: string; count?: number; destination?: string; callingAeTitle?: string }> {
  return readFileSync(join(node.dataDir, 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

async function nodeWithSource(orthanc: Orthanc, port: number, moveDestination: string | null, method: 'move' | 'get' = 'move', maxImagesPerRetrieval = 5000): Promise<NodeProcess> {
  const config = join(orthanc.dir, `node-${port}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      sources: {
        dicom: [{ name: 'orthanc', aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthanc.dicomPort, moveDestination, method }],
        maxAttempts: 2,
        initialBackoffS: 1,
        maxImagesPerRetrieval,
      },
    }),
  );
  return startNodeProcess(
    { CD8_CONFIG: config, CD8_SR_DESTINATION: `ORTHANC@127.0.0.1:${orthanc.dicomPort}`, CD8_HL7_DESTINATION: '', CD8_STABLE_AGE_S: '2' },
    undefined,
    { port, httpPort: await freePort() },
  );
}

describe('retrieving the CT an RTSTRUCT references from the PACS', () => {
  let orthanc: Orthanc;
  let node: NodeProcess | undefined;
  let refusing: NodeProcess | undefined;
  let getter: NodeProcess | undefined;
  let bounded: NodeProcess | undefined;
  afterAll(async () => {
    await Promise.all([node?.stop(), refusing?.stop(), getter?.stop(), bounded?.stop(), orthanc?.stop()]);
  });

  it('C-MOVEs the series from Orthanc, processes the study and sends the SR; a study Orthanc lacks waits with the reason', async () => {
    const nodePort = await freePort();
    orthanc = await startOrthanc({ aeTitle: 'ORTHANC', modalities: { cd8: ['CD8NODE', '127.0.0.1', nodePort] } });
    for (const f of readdirSync(join(PHANTOM, 'image'))) await orthanc.post('/instances', readFileSync(join(PHANTOM, 'image', f)));
    node = await nodeWithSource(orthanc, nodePort, null);
    const n = node;

    const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(n.port), PHANTOM_RTSTRUCT, STS_001_RTSTRUCT]);
    expect(sent.code).toBe(0);

    // The phantom: retrieved, processed, answered in Orthanc's copy of the study.
    await waitFor('the retrieval to start', () => n.logs().find((l) => /^retrieving the missing images of a study from orthanc: C-MOVE of 1 series/.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY), 30000);
    await waitFor('the study processed', () => n.logs().find((l) => /^study processed: /.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY), 120000);
    const srSeries = await waitFor(
      'the SR in Orthanc',
      async () => {
        const [study] = await orthanc.get<string[]>('/studies');
        const series = await orthanc.get<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>(`/studies/${study}/series?expand`);
        return series.find((s) => s.MainDicomTags.Modality === 'SR' && s.Instances.length > 0);
      },
      60000,
      500,
    );
    expect(srSeries.Instances).toHaveLength(1);
    expect(audit(n)).toContainEqual(expect.objectContaining({ event: 'retrieval.done', studyInstanceUid: PHANTOM_STUDY, destination: 'orthanc', count: 60 }));
    const ready = n.logs().filter((l) => /^study ready: /.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY);
    expect(ready.map((l) => l.message)).toEqual(['study ready: every image its RTSTRUCT references has arrived']);

    // STS_001: Orthanc does not hold its CT. The study waits, and status says why.
    const status = await waitFor(
      'the STS_001 study to wait with the reason',
      async () => {
        const r = await runCli(['status', '--json'], n.env);
        const studies = (JSON.parse(r.stdout) as { studies: Array<{ studyInstanceUid: string; state: string; reason?: string }> }).studies;
        const s = studies.find((x) => x.studyInstanceUid !== PHANTOM_STUDY);
        return s?.state === 'waiting' && /^waiting for images: /.test(s.reason ?? '') ? s : undefined;
      },
      60000,
      500,
    );
    // Orthanc answers a move of a series it does not hold with 0xC000.
    expect(status.reason).toMatch(/^waiting for images: the retrieval failed 2 times; last: ORTHANC@127\.0\.0\.1:\d+ did not send the images: it cannot process the request \(0xC000\); check that it holds the series/);
    const text = await runCli(['status'], n.env);
    expect(text.stdout).toMatch(/state: +waiting for images: /);
  }, 300000);

  it('a PACS that refuses the move (our AE title unknown to it): tried again with backoff, then the study waits with the reason', async () => {
    refusing = await nodeWithSource(orthanc, await freePort(), 'NOBODY');
    const n = refusing;
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(n.port), PHANTOM_RTSTRUCT])).code).toBe(0);
    const gaveUp = await waitFor('the retrieval to give up', () => n.logs().find((l) => /^gave up retrieving the missing images after 2 attempt/.test(l.message)), 60000);
    expect(gaveUp).toMatchObject({ studyInstanceUid: PHANTOM_STUDY });
    const failures = audit(n).filter((e) => e.event === 'retrieval.failed');
    expect(failures).toHaveLength(2);
    expect(failures[0].reason).toMatch(/ORTHANC@127\.0\.0\.1:\d+ did not send the images: /);
    const status = await waitFor(
      'status to show the reason',
      async () => {
        const r = await runCli(['status'], n.env);
        return /state: +waiting for images: the retrieval failed 2 times; last: ORTHANC@/.test(r.stdout) ? r.stdout : undefined;
      },
      15000,
      500,
    );
    expect(status).toMatch(/did not send the images/);
    expect(n.logs().filter((l) => /^study queued for processing/.test(l.message))).toEqual([]);
  }, 120000);

  it('with method get: C-GETs the series on its own association (no route from the PACS needed) and processes the study', async () => {
    getter = await nodeWithSource(orthanc, await freePort(), null, 'get');
    const n = getter;
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(n.port), PHANTOM_RTSTRUCT])).code).toBe(0);
    await waitFor('the study processed', () => n.logs().find((l) => /^study processed: /.test(l.message) && l.studyInstanceUid === PHANTOM_STUDY), 120000);
    expect(audit(n)).toContainEqual(expect.objectContaining({ event: 'retrieval.done', studyInstanceUid: PHANTOM_STUDY, destination: 'orthanc', count: 60 }));
    const stored = audit(n).filter((e) => e.event === 'instance.stored' && e.callingAeTitle === 'ORTHANC');
    expect(stored).toHaveLength(60);
  }, 180000);

  it('a PACS offering more images than sources.maxImagesPerRetrieval: the retrieval is stopped, nothing of it kept beyond what arrived, the study waits with the reason', async () => {
    bounded = await nodeWithSource(orthanc, await freePort(), null, 'get', 10);
    const n = bounded;
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(n.port), PHANTOM_RTSTRUCT])).code).toBe(0);
    await waitFor('the retrieval to give up', () => n.logs().find((l) => /^gave up retrieving the missing images after 2 attempt/.test(l.message)), 90000);
    const failures = audit(n).filter((e) => e.event === 'retrieval.failed');
    expect(failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^ORTHANC@127\.0\.0\.1:\d+ offers 60 images, more than the 10 images one retrieval may bring \(sources\.maxImagesPerRetrieval\)/),
      expect.stringMatching(/offers 60 images/),
    ]);
    // Orthanc's first pending response comes after its first image: at most one per attempt was stored.
    expect(audit(n).filter((e) => e.event === 'instance.stored' && e.callingAeTitle === 'ORTHANC').length).toBeLessThanOrEqual(2);
    // The study's state follows the retrieval's a moment later.
    await waitFor(
      'status to show the reason',
      async () => (/state: +waiting for images: the retrieval failed 2 times; last: ORTHANC@.* offers 60 images/.test((await runCli(['status'], n.env)).stdout) ? true : undefined),
      15000,
      500,
    );
    expect(n.logs().filter((l) => /^study queued for processing/.test(l.message))).toEqual([]);
  }, 180000);
});
