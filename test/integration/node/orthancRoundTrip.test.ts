/**
 * The node end to end with a real PACS: Orthanc holds the IBSI CT phantom, is asked to send the
 * study to the node, and gets the SR back into the same study; the RIS (python3-hl7 MLLP server)
 * acknowledges the ORU. The score in the SR is the one `cd8-node score` prints for the same files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runCli, SHARED, waitFor } from '../../support/process';
import { startOrthanc, Orthanc } from '../../support/orthanc';
import { startHl7Peer, Hl7Peer } from '../../support/hl7Peer';
import { freePort } from '../../support/process';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { lesionScores, readSr } from '../../../src/report/srRead';
import type { StudyAnalysis } from '../../../src/results/types';
import { readLesionPicture, readSummaryPicture } from '../../../src/results/pictureFiles';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const files = [...readdirSync(join(PHANTOM, 'image')).map((f) => join(PHANTOM, 'image', f)), join(PHANTOM, 'mask', 'DCM_RS_00060.dcm')];

// A complete test signature, so that there is a number to compare (the CD8 one is pending).
const signature = join(ROOT, 'test', 'fixtures', 'complete-test-signature.json');

describe('Orthanc → cd8-node → Orthanc and RIS', () => {
  let orthanc: Orthanc;
  let hl7: Hl7Peer;
  let node: NodeProcess;

  beforeAll(async () => {
    const nodePort = await freePort();
    [orthanc, hl7] = await Promise.all([startOrthanc({ aeTitle: 'ORTHANC', modalities: { cd8: ['CD8NODE', '127.0.0.1', nodePort] } }), startHl7Peer()]);
    node = await startNodeProcess(
      {
        CD8_ALLOWED_CALLERS: 'ORTHANC',
        CD8_SR_DESTINATION: `ORTHANC@127.0.0.1:${orthanc.dicomPort}`,
        CD8_HL7_DESTINATION: `127.0.0.1:${hl7.port}`,
        CD8_SIGNATURE: signature,
        CD8_STABLE_AGE_S: '3',
      },
      undefined,
      { port: nodePort, httpPort: await freePort() },
    );
  }, 60000);

  afterAll(async () => {
    await Promise.all([node?.stop(), orthanc?.stop(), hl7?.stop()]);
  });

  it('answers a study sent by Orthanc with an SR in the same study and an acknowledged ORU', async () => {
    for (const f of files) await orthanc.post('/instances', readFileSync(f));
    const [study] = await orthanc.get<string[]>('/studies');
    const before = await orthanc.get<string[]>(`/studies/${study}/series`);
    expect(before).toHaveLength(2);

    await orthanc.post(`/modalities/cd8/store`, JSON.stringify({ Resources: [study], Synchronous: true }), 'application/json');

    const srSeries = await waitFor(
      'the SR in Orthanc',
      async () => {
        const series = await orthanc.get<Array<{ ID: string; MainDicomTags: { Modality: string }; Instances: string[] }>>(`/studies/${study}/series?expand`);
        return series.find((s) => s.MainDicomTags.Modality === 'SR' && s.Instances.length > 0);
      },
      90000,
      500,
    );
    const acked = await waitFor('the ORU acknowledged', () => hl7.received().find((m) => m.ack === 'AA'), 30000);
    expect(acked.message).toMatch(/^MSH\|\^~\\&\|CD8NODE\|/);
    expect(acked.message).toMatch(/\rOBR\|1\|.*\|F\|/);

    // The SR is in the same study as the CT, for the same patient.
    const instanceId = srSeries.Instances[0];
    const tags = await orthanc.get<Record<string, { Value: unknown }>>(`/instances/${instanceId}/tags?short`);
    const studyTags = await orthanc.get<{ MainDicomTags: { StudyInstanceUID: string }; PatientMainDicomTags: { PatientID: string } }>(`/studies/${study}`);
    expect(tags['0020,000d']).toBe(studyTags.MainDicomTags.StudyInstanceUID);
    expect(tags['0010,0020']).toBe(studyTags.PatientMainDicomTags.PatientID);
    expect(tags['0008,0016']).toBe('1.2.840.10008.5.1.4.1.1.88.34');

    // Beside the SR, the pictures' Secondary Capture series (drawn in the analysis worker: key
    // image and summary page), and the same PNGs kept for the web page.
    const pictures = await waitFor(
      'the pictures in Orthanc',
      async () => {
        const series = await orthanc.get<Array<{ MainDicomTags: { Modality: string }; Instances: string[] }>>(`/studies/${study}/series?expand`);
        return series.find((s) => s.MainDicomTags.Modality === 'OT' && s.Instances.length === 2);
      },
      60000,
      500,
    );
    const scTags = await Promise.all(pictures.Instances.map((id) => orthanc.get<Record<string, string>>(`/instances/${id}/simplified-tags`)));
    expect(scTags.map((t) => t.PhotometricInterpretation)).toEqual(['RGB', 'RGB']);
    const keyImage = scTags.find((t) => /Key image of lesion 1 GTV-1/.test(t.ImageComments))!;
    expect(keyImage).toBeDefined();
    const stored = readLesionPicture(node.dataDir, studyTags.MainDicomTags.StudyInstanceUID, 1, 0);
    expect(stored?.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(readSummaryPicture(node.dataDir, studyTags.MainDicomTags.StudyInstanceUID, 1)).toBeDefined();

    // The score in the SR is the one `cd8-node score` prints for the same files.
    const res = await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${instanceId}/file`, { headers: { connection: 'close' } });
    const sr = readSr(Buffer.from(await res.arrayBuffer()));
    const [fromSr] = lesionScores(sr);
    const offline = await runCli(['score', '--ct', join(PHANTOM, 'image'), '--rtstruct', join(PHANTOM, 'mask', 'DCM_RS_00060.dcm'), '--signature', signature, '--json'], {}, { timeoutMs: 120000 });
    const analysis = JSON.parse(offline.stdout) as StudyAnalysis;
    expect(fromSr.trackingIdentifier).toBe('1 GTV-1');
    expect(Number.isFinite(analysis.lesions[0].score)).toBe(true);
    expect(fromSr.score).toBeCloseTo(analysis.lesions[0].score!, 8);
    // And the ORU carries the same number.
    expect(acked.message).toContain(String(analysis.lesions[0].score!.toPrecision(6)).slice(0, 5));

    // The admin sees it: status with the lesion and the outbox, metrics counting it.
    const status = await runCli(['status'], node.env);
    expect(status.stdout).toMatch(/state: +done .*1 lesion, 1 scored: CD8 score mean/);
    expect(status.stdout).toMatch(/lesion: +1 GTV-1, unknown, 358\.7 ml: CD8 score -?[\d.]+ \((hot|cold)\)/);
    // SR, ORU and the Secondary Captures (the lesion's key image and the summary page).
    expect(status.stdout).toMatch(/Outbox: 0 pending, 0 sending, 4 sent, 0 failed/);
    const metrics = await (await fetch(`http://127.0.0.1:${node.httpPort}/metrics`, { headers: { connection: 'close' } })).text();
    expect(metrics).toMatch(/^cd8_instances_received_total 61$/m);
    expect(metrics).toMatch(/^cd8_studies_processed_total\{outcome="scored"\} 1$/m);
    expect(metrics).toMatch(/^cd8_outbox_messages\{state="sent"\} 4$/m);
    expect(await (await fetch(`http://127.0.0.1:${node.httpPort}/readyz`, { headers: { connection: 'close' } })).json()).toMatchObject({ ready: true });
  }, 180000);
});
