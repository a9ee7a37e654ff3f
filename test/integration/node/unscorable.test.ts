/**
 * A study that cannot be scored is still answered: here the RTSTRUCT's only ROI is the body
 * outline (EXTERNAL), so there is no lesion. The SR and the ORU say so, and so does status.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runCli, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { readSr } from '../../../src/report/srRead';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');

describe('a study without any lesion', () => {
  let pacs: DicomPeer;
  let ris: Hl7Peer;
  let node: NodeProcess;
  afterAll(async () => {
    await Promise.all([node?.stop(), pacs?.stop(), ris?.stop()]);
  });

  it('is answered by an SR and an ORU that say why, and shown in status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-nolesion-'));
    mkdirSync(join(dir, 'rt'));
    const rs = join(dir, 'rt', 'RS.dcm');
    copyFileSync(join(PHANTOM, 'mask', 'DCM_RS_00060.dcm'), rs);
    const edit = await run('dcmodify', ['-nb', '-m', '(3006,0020)[0].(3006,0026)=BODY', '-i', '(3006,0080)[0].(3006,00a4)=EXTERNAL', rs]);
    expect(edit.code).toBe(0);

    [pacs, ris] = await Promise.all([startStorescp('PACS'), startHl7Peer()]);
    node = await startNodeProcess({ CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}` });
    expect((await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', join(PHANTOM, 'image'), join(dir, 'rt')])).code).toBe(0);

    const srFile = await waitFor('the SR', () => readdirSync(pacs.dir).find((f) => f.startsWith('SR')), 60000);
    const oru = await waitFor('the ORU', () => ris.received()[0], 30000);

    const sr = readSr(readFileSync(join(pacs.dir, srFile)));
    const text = JSON.stringify(sr.dataset);
    expect(text).toMatch(/no ROI of the RTSTRUCT is a lesion under the lesion selection rules \(1 BODY: /);
    expect(oru.ack).toBe('AA');
    expect(oru.message).toMatch(/no ROI of the RTSTRUCT is a lesion/);
    const status = await runCli(['status'], node.env);
    expect(status.stdout).toMatch(/state: +done .*: not scored \(0 lesions\): no ROI of the RTSTRUCT is a lesion/);
  }, 120000);
});
