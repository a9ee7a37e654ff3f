/**
 * Results out, against real peers: DCMTK storescp and Orthanc receive the SR, the python-hl7 MLLP
 * server acknowledges the ORU; peers that are down or refuse are retried with backoff, across a
 * restart of the sender, and nothing is sent twice after a success.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import { renderStudyPictures } from '../../../src/report/pictures';
import { lesionScores, readSr } from '../../../src/report/srRead';
import { srInstanceUid } from '../../../src/report/uids';
import { oruControlId } from '../../../src/report/hl7Oru';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { startHl7Peer, Hl7Peer } from '../../support/hl7Peer';
import { parseWithPythonHl7, segmentsNamed } from '../../support/hl7';
import { dciodvfy, dsrdump } from '../../support/dicomValidate';
import { startOrthanc } from '../../support/orthanc';
import { freePort, runCli, waitFor } from '../../support/process';
import { nextVersion, PHANTOM_CT_DIR, PHANTOM_RTSTRUCT, scoredStudy, signatureIncompleteStudy } from '../../support/studyFixtures';
import { defaultConfig, openTestStorage, startStorescpOn, dicomDestination, FAST, hl7Destination, resultSettings, runSender, RunningSender, tempDataDir } from '../../support/delivery';

import { startResultDelivery } from '../../../src/outbox/delivery';
import { memoryAuditLog } from '../../../src/ops/audit';

jest.setTimeout(180000);

const received = (peer: DicomPeer) => readdirSync(peer.dir).filter((f) => !f.startsWith('.'));

let cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

test('the SR (and PDF summary) arrive at storescp valid; the ORU is acknowledged AA and parses with python-hl7', async () => {
  const pacs = await startStorescp('PACS');
  const ris = await startHl7Peer();
  cleanup.push(() => pacs.stop(), () => ris.stop());
  const destinations = { dicom: [dicomDestination('pacs', 'PACS', pacs.port)], dicomweb: [], hl7: [hl7Destination('ris', ris.port)] };
  const node = await runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());

  const analysis = scoredStudy();
  // The summary page and PDF as the analysis worker draws them (this fixture has no CT slices to show).
  const pictures = await renderStudyPictures(analysis, [], { ...defaultConfig().report.pictures, ringOuterMm: 5 }, true);
  const planned = await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations, { summary: 'pdf' }), pictures);
  expect(planned.newRowIds).toHaveLength(3);
  node.sender.kick();
  await waitFor('all three messages sent', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 30000);

  const files = received(pacs);
  expect(files).toHaveLength(2);
  const srFile = files.find((f) => f.startsWith('SR')) as string;
  expect(srFile).toBeDefined();
  const v = await dciodvfy(join(pacs.dir, srFile));
  expect(v.errors).toEqual([]);
  expect(v.unexplainedWarnings).toEqual([]);
  expect((await dsrdump(join(pacs.dir, srFile))).problems).toEqual([]);
  const sr = readSr(readFileSync(join(pacs.dir, srFile)));
  expect(sr.dataset.SOPInstanceUID).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
  expect(lesionScores(sr).map((l) => l.score)).toEqual([0.8731, 0.1234, null]);
  const pdfFile = files.find((f) => !f.startsWith('SR')) as string;
  expect((await dciodvfy(join(pacs.dir, pdfFile))).iod).toBe('EncapsulatedPDF');

  const [msg] = ris.received();
  expect(ris.received()).toHaveLength(1);
  expect(msg.ack).toBe('AA');
  expect(msg.control_id).toBe(oruControlId(analysis.study.studyInstanceUid, 1));
  const segs = await parseWithPythonHl7(msg.message);
  expect(segmentsNamed(segs, 'MSH')[0].fields[9]).toBe('ORU^R01^ORU_R01');
  expect(segmentsNamed(segs, 'MSH')[0].fields[5]).toBe('RIS');
  expect(segmentsNamed(segs, 'PID')[0].components[3][0]).toBe(analysis.patient.patientId);
  const score = segmentsNamed(segs, 'OBX').find((o) => o.components[3][0] === 'CD8RS' && o.fields[4] === '1');
  expect(Number(score?.fields[5])).toBe(0.8731);
  const srUid = segmentsNamed(segs, 'OBX').find((o) => o.components[3][0] === 'CD8SRUID');
  expect(srUid?.fields[5]).toBe(sr.dataset.SOPInstanceUID);

  // Same study version again: nothing new to send. A new version: a new SR naming the old one.
  expect((await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations, { summary: 'pdf' }), pictures)).newRowIds).toEqual([]);
  await enqueueStudyResults(node.outbox, nextVersion(analysis), resultSettings(destinations));
  node.sender.kick();
  await waitFor('version 2 sent', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 30000);
  const v2File = received(pacs).find((f) => f.startsWith('SR') && f !== srFile) as string;
  const v2 = readSr(readFileSync(join(pacs.dir, v2File))).dataset;
  const pred = v2.PredecessorDocumentsSequence as Array<{ ReferencedSeriesSequence: Array<{ ReferencedSOPSequence: Array<{ ReferencedSOPInstanceUID: string }> }> }>;
  expect(pred[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID).toBe(sr.dataset.SOPInstanceUID);
  expect(ris.received().map((m) => m.control_id)).toEqual([oruControlId(analysis.study.studyInstanceUid, 1), oruControlId(analysis.study.studyInstanceUid, 2)]);
  expect(received(pacs)).toHaveLength(3);
});

test('Orthanc shows the SR in the same study as the CT it received over REST', async () => {
  const orthanc = await startOrthanc({ aeTitle: 'ORTHANC', modalities: { cd8: ['CD8NODE', '127.0.0.1', 11112] } });
  cleanup.push(() => orthanc.stop());
  for (const f of readdirSync(PHANTOM_CT_DIR)) await orthanc.post('/instances', readFileSync(join(PHANTOM_CT_DIR, f)));
  await orthanc.post('/instances', readFileSync(PHANTOM_RTSTRUCT));
  const destinations = { dicom: [dicomDestination('orthanc', 'ORTHANC', orthanc.dicomPort)], dicomweb: [], hl7: [] };
  const node = await runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());

  const analysis = signatureIncompleteStudy();
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await waitFor('the SR sent to Orthanc', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 30000);

  const studies = await orthanc.get<string[]>('/studies');
  expect(studies).toHaveLength(1);
  const series = await orthanc.get<Array<{ MainDicomTags: { Modality: string; SeriesDescription?: string; SeriesInstanceUID: string }; Instances: string[] }>>(`/studies/${studies[0]}/series`);
  const byModality = Object.fromEntries(series.map((s) => [s.MainDicomTags.Modality, s]));
  expect(Object.keys(byModality).sort()).toEqual(['CT', 'RTSTRUCT', 'SR']);
  expect(byModality.CT.Instances).toHaveLength(60);
  expect(byModality.SR.MainDicomTags.SeriesDescription).toBe('CD8 radiomics');
  const tags = await orthanc.get<Record<string, string>>(`/instances/${byModality.SR.Instances[0]}/simplified-tags`);
  expect(tags.SOPInstanceUID).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
  expect(tags.StudyInstanceUID).toBe(analysis.study.studyInstanceUid);
  expect(tags.PatientID).toBe(analysis.patient.patientId);
  const study = await orthanc.get<{ PatientMainDicomTags: { PatientID: string } }>(`/studies/${studies[0]}`);
  expect(study.PatientMainDicomTags.PatientID).toBe(analysis.patient.patientId);
});

/**
 * The sender alone, at test speed: several backoff rounds in CD8_TEST_PACS_DOWN_S (default 8 s).
 * The whole node with the shipped delivery settings and the literal minute is
 * test/integration/node/pacsDownDuringProcessing.test.ts.
 */
test('PACS down while the results are queued, up later: the SR is delivered once, across a sender restart', async () => {
  const downMs = Number(process.env.CD8_TEST_PACS_DOWN_S ?? 8) * 1000;
  const port = await freePort();
  const dataDir = tempDataDir();
  const destinations = { dicom: [dicomDestination('pacs', 'PACS', port)], dicomweb: [], hl7: [] };
  const analysis = scoredStudy();
  const started = Date.now();

  let node: RunningSender = await runSender(dataDir, destinations);
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await waitFor('two refused attempts', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].attempts >= 2 ? true : undefined), 20000);
  const failing = (await node.outbox.forStudy(analysis.study.studyInstanceUid))[0];
  expect(failing.state).toBe('pending');
  expect(failing.lastError).toMatch(/connection refused by 127\.0\.0\.1:\d+/);

  // The node stops (process end: sender stopped, database closed) and starts again on the same data.
  await node.shutdown();
  node = await runSender(dataDir, destinations);
  cleanup.push(() => node.shutdown());

  await new Promise((r) => setTimeout(r, Math.max(0, downMs - (Date.now() - started))));
  const pacs = await startStorescpOn('PACS', port);
  cleanup.push(() => pacs.stop());
  await waitFor('the SR delivered', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].state === 'sent' ? true : undefined), 30000);
  const row = (await node.outbox.forStudy(analysis.study.studyInstanceUid))[0];
  expect(row.attempts).toBeGreaterThanOrEqual(3);
  expect(received(pacs)).toHaveLength(1);

  // Never twice after a success: more sender rounds and a re-enqueue change nothing.
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await new Promise((r) => setTimeout(r, 1500));
  expect(received(pacs)).toHaveLength(1);
  expect((await node.outbox.status()).counts).toEqual({ pending: 0, sending: 0, sent: 1, failed: 0 });
});

test('HL7 peer answers AE twice: the third try succeeds, across a sender restart, and nothing follows', async () => {
  const ris: Hl7Peer = await startHl7Peer({ aeFirst: 2 });
  cleanup.push(() => ris.stop());
  const dataDir = tempDataDir();
  const destinations = { dicom: [], dicomweb: [], hl7: [hl7Destination('ris', ris.port)] };
  const analysis = scoredStudy();

  let node = await runSender(dataDir, destinations);
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await waitFor('two AE answers', async () => (ris.received().length >= 2 ? true : undefined), 20000);
  await waitFor('the second failure recorded', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].attempts === 2 ? true : undefined), 5000);
  expect((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].lastError).toMatch(/answered AE: it did not accept the message \(application error\)/);
  await node.shutdown();

  node = await runSender(dataDir, destinations);
  cleanup.push(() => node.shutdown());
  await waitFor('the ORU delivered', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].state === 'sent' ? true : undefined), 20000);
  await new Promise((r) => setTimeout(r, 1000));
  const got = ris.received();
  expect(got.map((m) => m.ack)).toEqual(['AE', 'AE', 'AA']);
  expect(new Set(got.map((m) => m.control_id)).size).toBe(1);
  expect(new Set(got.map((m) => m.message)).size).toBe(1);
  expect((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].attempts).toBe(3);
});

test('after the last attempt a message is failed and visible; "cd8-node resend STUDY_UID" sends it once the peer is back', async () => {
  const port = await freePort();
  const dataDir = tempDataDir();
  const destinations = { dicom: [], dicomweb: [], hl7: [hl7Destination('ris', port)] };
  const analysis = scoredStudy();
  const node = await runSender(dataDir, destinations, { ...FAST, maxAttempts: 2 });
  cleanup.push(() => node.shutdown());
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await waitFor('the message failed', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].state === 'failed' ? true : undefined), 20000);
  const status = (await node.outbox.status());
  expect(status.counts.failed).toBe(1);
  expect(status.rows[0]).toMatchObject({ state: 'failed', attempts: 2, destination: 'ris', description: 'ORU^R01' });
  expect(status.rows[0].lastError).toMatch(/connection refused/);

  // The RIS is back, where the configuration says it is.
  const back = await startHl7Peer({ port });
  cleanup.push(() => back.stop());
  const r = await runCli(['resend', analysis.study.studyInstanceUid], { CD8_DATA_DIR: dataDir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/ORU\^R01 v1 → ris: queued again \(was failed\)/);
  await waitFor('the ORU delivered after resend', async () => ((await node.outbox.forStudy(analysis.study.studyInstanceUid))[0].state === 'sent' ? true : undefined), 20000);
  expect(back.received()).toHaveLength(1);

  const unknown = await runCli(['resend', '1.2.3.4.5'], { CD8_DATA_DIR: dataDir });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/no message for study 1\.2\.3\.4\.5/);
  const bad = await runCli(['resend', 'not-a-uid'], { CD8_DATA_DIR: dataDir });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/not a DICOM UID/);
});

test('startResultDelivery wires config, outbox and sender the way the node runs them', async () => {
  const pacs = await startStorescp('PACS');
  const ris = await startHl7Peer();
  cleanup.push(() => pacs.stop(), () => ris.stop());
  const config = defaultConfig();
  config.destinations = { dicom: [dicomDestination('pacs', 'PACS', pacs.port)], dicomweb: [], hl7: [hl7Destination('ris', ris.port)] };
  const storage = await openTestStorage(tempDataDir());
  const audit = memoryAuditLog();
  const delivery = startResultDelivery(config, { outbox: storage.outbox, audit });
  cleanup.push(async () => {
    await delivery.stop();
    await storage.close();
  });
  const analysis = signatureIncompleteStudy();
  await delivery.enqueue(analysis);
  await waitFor('both delivered', async () => ((await delivery.status()).counts.sent === 2 ? true : undefined), 30000);
  expect(received(pacs)).toHaveLength(1);
  expect(ris.received().map((m) => m.ack)).toEqual(['AA']);
  expect(audit.events.filter((e) => e.event === 'result.queued')).toHaveLength(2);
  expect(audit.events.filter((e) => e.event === 'result.sent').map((e) => e.destination).sort()).toEqual(['pacs', 'ris']);
});
