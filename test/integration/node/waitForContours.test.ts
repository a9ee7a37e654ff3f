/**
 * A department that routes every oncology CT to the node: a CT without contours waits (status and
 * metrics say so) and nothing reaches the PACS or the RIS; when its RTSTRUCT comes later the study
 * is processed then, answered by one SR and one ORU. An RTSTRUCT whose CT never came waits too.
 * The stable age is shortened to 2 s; "later" is after the study was seen waiting plus a pause.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';
const STS_001_RTSTRUCT_DIR = join(SHARED, 'data', 'sts', 'STS_001', 'CT', 'mask');

async function metrics(node: NodeProcess): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${node.httpPort}/metrics`);
  return r.text();
}

describe('a CT study without contours', () => {
  let pacs: DicomPeer;
  let ris: Hl7Peer;
  let node: NodeProcess;
  afterAll(async () => {
    await Promise.all([node?.stop(), pacs?.stop(), ris?.stop()]);
  });

  it('waits, sending nothing, until its RTSTRUCT arrives; then one SR and one ORU', async () => {
    [pacs, ris] = await Promise.all([startStorescp('PACS'), startHl7Peer()]);
    node = await startNodeProcess({ CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}`, CD8_STABLE_AGE_S: '2' });

    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', join(PHANTOM, 'image')])).code).toBe(0);
    await waitFor('the study to wait for contours', () => node.logs().find((l) => /^study waiting for contours: /.test(l.message)), 30000);
    const status = await runCli(['status'], node.env);
    expect(status.stdout).toMatch(/state: +waiting for contours: a CT series arrived but no RTSTRUCT; it is processed when one arrives\. \(since /);
    expect(status.stdout).toMatch(/60 CT images, 0 RTSTRUCT/);
    expect(await metrics(node)).toMatch(/^cd8_studies\{state="waiting"\} 1$/m);
    // The console (read-only on loopback with no credential) shows it too.
    const overview = await (await fetch(`http://127.0.0.1:${node.httpPort}/`)).text();
    expect(overview).toMatch(/<span class="state state-waiting">waiting<\/span>/);
    expect(overview).toMatch(/waiting for contours: a CT series arrived but no RTSTRUCT/);

    // Another study: only an RTSTRUCT, whose CT never comes.
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', STS_001_RTSTRUCT_DIR])).code).toBe(0);
    await waitFor('the RTSTRUCT to wait for its CT', () => node.logs().find((l) => /^study waiting for images: an RTSTRUCT arrived but no CT series/.test(l.message)), 30000);
    expect(await metrics(node)).toMatch(/^cd8_studies\{state="waiting"\} 2$/m);

    // Well past the stable age: still nothing at the PACS or the RIS, no job.
    await new Promise((r) => setTimeout(r, 4000));
    expect(readdirSync(pacs.dir).filter((f) => f.startsWith('SR'))).toEqual([]);
    expect(ris.received()).toEqual([]);
    expect(node.logs().filter((l) => /^study queued for processing/.test(l.message))).toEqual([]);

    // The contours arrive: processed at once (the RTSTRUCT lists every image, all here).
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', join(PHANTOM, 'mask')])).code).toBe(0);
    const srFile = await waitFor('the SR', () => readdirSync(pacs.dir).find((f) => f.startsWith('SR')), 120000);
    const oru = await waitFor('the ORU', () => ris.received()[0], 60000);
    expect(srFile).toBeDefined();
    expect(oru.ack).toBe('AA');
    expect(oru.message).toMatch(/CD8/);
    const ready = node.logs().filter((l) => /^study ready: /.test(l.message));
    expect(ready).toEqual([expect.objectContaining({ studyInstanceUid: PHANTOM_STUDY, version: 1, message: 'study ready: every image its RTSTRUCT references has arrived' })]);
    // Exactly one of each, still, a few seconds later.
    await new Promise((r) => setTimeout(r, 3000));
    expect(readdirSync(pacs.dir).filter((f) => f.startsWith('SR'))).toHaveLength(1);
    expect(ris.received()).toHaveLength(1);
    expect(await metrics(node)).toMatch(/^cd8_studies\{state="waiting"\} 1$/m);
    const audit = readFileSync(join(node.dataDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; studyInstanceUid?: string; reason?: string });
    expect(audit.filter((e) => e.event === 'study.waiting').map((e) => e.reason)).toEqual(['contours', 'images']);
  }, 240000);
});
