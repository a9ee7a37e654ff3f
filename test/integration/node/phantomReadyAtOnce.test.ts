/**
 * The path scripts/bench/e2e times, kept working: the IBSI phantom sent by storescu is ready as
 * soon as its last image arrived (its RTSTRUCT lists them all, so no stable age applies: here the
 * stable age is an hour), is processed with only the slices around its lesion decoded, its SR is
 * queued before the pictures and reaches storescp. The log lines the benchmark reads carry what it
 * reads. No timing is asserted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { readSr } from '../../../src/report/srRead';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PHANTOM_STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';

describe('the IBSI phantom from storescu to storescp', () => {
  let pacs: DicomPeer;
  let node: NodeProcess;
  afterAll(async () => {
    await Promise.all([node?.stop(), pacs?.stop()]);
  });

  it('is ready at its last image, processed from the slices around the lesion, and answered by an SR', async () => {
    pacs = await startStorescp('PACS');
    node = await startNodeProcess({ CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_STABLE_AGE_S: '3600', CD8_HL7_DESTINATION: '' });
    const sent = await run('storescu', ['-v', '-aec', 'CD8NODE', '127.0.0.1', String(node.port), '+sd', '+r', PHANTOM]);
    expect(sent.code).toBe(0);
    // What the benchmark takes as the last C-STORE.
    expect((sent.stdout + sent.stderr).match(/Received Store Response \(Success\)/g)).toHaveLength(61);

    // storescp has written the whole file once it answered the C-STORE (the node logs the answer).
    await waitFor('the delivery log line', () => node.logs().find((l) => /^sent Comprehensive 3D SR/.test(l.message)), 120000);
    const srFile = await waitFor('the SR at storescp', () => readdirSync(pacs.dir).find((f) => f.startsWith('SR')), 10000);
    const sr = readSr(readFileSync(join(pacs.dir, srFile)));
    expect(sr.dataset.StudyInstanceUID).toBe(PHANTOM_STUDY);

    // The SR may arrive before the pictures are drawn and the study is marked processed.
    const processed = await waitFor('the "study processed" line', () => node.logs().find((l) => /^study processed: /.test(l.message)), 60000);
    const logs = node.logs();
    const ready = logs.filter((l) => /^study ready: /.test(l.message));
    expect(ready.map((l) => l.message)).toEqual(['study ready: every image its RTSTRUCT references has arrived']);
    // The SR and ORU were queued before the pictures: the line the benchmark reads for that split.
    const scored = logs.findIndex((l) => /^study scored, SR and ORU queued: /.test(l.message));
    expect(scored).toBeGreaterThan(-1);
    expect(scored).toBeLessThan(logs.findIndex((l) => /^study processed: /.test(l.message)));
    expect(logs[scored]).toMatchObject({ studyInstanceUid: PHANTOM_STUDY, seconds: expect.any(Number) });
    // 26 lesion slices + 7 on each side (20 mm at 3 mm): the other 20 of the 60 are never decoded,
    // and the SR's evidence lists the 40 used.
    expect(processed).toMatchObject({ studyInstanceUid: PHANTOM_STUDY, lesions: 1, ctImagesDecoded: 40, seconds: expect.any(Number) });
    const evidence = JSON.stringify(sr.dataset.CurrentRequestedProcedureEvidenceSequence);
    expect(evidence.match(/"ReferencedSOPClassUID":"1\.2\.840\.10008\.5\.1\.4\.1\.1\.2"/g)).toHaveLength(40);
  }, 180000);
});
