/**
 * A DICOMweb archive as destination: Orthanc with its DICOMweb plugin (Debian orthanc-dicomweb),
 * HTTP basic authentication on, receives the SR (and the summary object) by STOW-RS through the
 * outbox, once per study version; wrong credentials and a dead URL are failures with the reason,
 * delivered later when fixed. Over https (HAProxy terminating TLS in front of Orthanc) the
 * archive's certificate is checked against the configured CA.
 */
import { startOrthanc, Orthanc } from '../../support/orthanc';
import { freePort, startDaemon, waitFor } from '../../support/process';
import { defaultConfig, resultSettings, runSender, tempDataDir } from '../../support/delivery';
import { renderStudyPictures } from '../../../src/report/pictures';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import { srInstanceUid } from '../../../src/report/uids';
import { signatureIncompleteStudy } from '../../support/studyFixtures';
import { stowRs } from '../../../src/dicom/stowRs';
import { buildSr } from '../../../src/report/srDocument';
import type { Config } from '../../../src/config/schema';
import { loadTlsOptions } from '../../../src/net/tlsFiles';
import { makeTestPki, TestPki } from '../../support/tls';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Web = Config['destinations']['dicomweb'][number];
const web = (name: string, url: string, over: Partial<Web> = {}): Web => ({
  name,
  url,
  bearerToken: null,
  username: null,
  password: null,
  tls: { enabled: false, caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true },
  ...over,
});

let orthanc: Orthanc;
const cleanup: Array<() => unknown> = [];
beforeAll(async () => {
  orthanc = await startOrthanc({ dicomweb: true, credentials: ['cd8', 'secret-pw'] });
}, 60000);
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await orthanc?.stop();
});

test('Orthanc (DICOMweb plugin, basic auth) receives the SR and the summary by STOW-RS, once per version', async () => {
  const destinations = { dicom: [], dicomweb: [web('archive', `${orthanc.url}/dicom-web/`, { username: 'cd8', password: 'secret-pw' })], hl7: [] };
  const node = await runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());
  const analysis = signatureIncompleteStudy();
  const settings = resultSettings(destinations, { summary: 'pdf' });
  // The summary page and PDF as the analysis worker draws them (this fixture has no CT slices).
  const pictures = await renderStudyPictures(analysis, [], { ...defaultConfig().report.pictures, ringOuterMm: 5 }, true);
  const planned = await enqueueStudyResults(node.outbox, analysis, settings, pictures);
  expect(planned.messages.map((m) => [m.kind, m.destination, m.description])).toEqual([
    ['dicom', 'archive', 'Comprehensive 3D SR'],
    ['dicom', 'archive', 'Encapsulated PDF report'],
  ]);
  node.sender.kick();
  await waitFor('both objects sent', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 30000);

  // The same version again: nothing new in the outbox, nothing sent twice.
  expect((await enqueueStudyResults(node.outbox, analysis, settings, pictures)).newRowIds).toEqual([]);
  const instances = await orthanc.get<Array<{ MainDicomTags: { SOPInstanceUID: string } }>>('/instances?expand');
  expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual([srInstanceUid(analysis.study.studyInstanceUid, 1), ...planned.pictures.map((p) => p.sopInstanceUid)].sort());
  // Orthanc's DICOMweb answers QIDO for what STOW stored.
  const qido = await orthanc.get<Array<Record<string, { Value: string[] }>>>(`/dicom-web/studies/${analysis.study.studyInstanceUid}/instances`);
  expect(qido).toHaveLength(2);
});

test('wrong credentials and an unreachable archive fail with the reason; the outbox tries again', async () => {
  const sr = buildSr(signatureIncompleteStudy(), { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' });
  const wrong = await stowRs({ url: `${orthanc.url}/dicom-web`, auth: { username: 'cd8', password: 'nope' }, timeoutMs: 10000 }, [sr.bytes]);
  expect(wrong).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/dicom-web\/studies answered 401 .*not authorised; check destinations\.dicomweb\[\]\.bearerToken or username\/password/) });
  const dead = await stowRs({ url: `http://127.0.0.1:${await freePort()}/dicom-web`, timeoutMs: 5000 }, [sr.bytes]);
  expect(dead).toMatchObject({ ok: false, message: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies: connection refused/) });

  const destinations = { dicom: [], dicomweb: [web('archive', `${orthanc.url}/dicom-web`, { username: 'cd8', password: 'nope' })], hl7: [] };
  const node = await runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());
  const analysis = signatureIncompleteStudy();
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  const row = await waitFor('a failed attempt', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).find((r) => r.attempts > 0 && r.lastError), 20000);
  expect(row.state).toBe('pending');
  expect(row.lastError).toMatch(/not authorised/);
});

/** HAProxy terminating TLS in front of Orthanc's DICOMweb, as a hospital would put an archive behind a proxy. (Debian's Orthanc 1.10 crashes serving HTTPS itself.) */
async function tlsProxy(pki: TestPki, backendPort: number): Promise<{ url: string; stop(): Promise<unknown> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cd8-haproxy-'));
  writeFileSync(join(dir, 'server.pem'), readFileSync(pki.serverCertFile, 'utf8') + readFileSync(pki.serverKeyFile, 'utf8'));
  const config = [
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend https',
    `  bind 127.0.0.1:${port} ssl crt ${join(dir, 'server.pem')}`,
    '  default_backend orthanc',
    'backend orthanc',
    `  server orthanc 127.0.0.1:${backendPort}`,
  ].join('\n');
  writeFileSync(join(dir, 'haproxy.cfg'), `${config}\n`);
  const daemon = startDaemon('/usr/sbin/haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]);
  await waitFor('HAProxy to listen', () => (daemon.child.exitCode !== null ? Promise.reject(new Error(`haproxy exited: ${daemon.output()}`)) : isListening(port)), 15000, 100);
  return { url: `https://127.0.0.1:${port}`, stop: () => daemon.stop() };
}

function isListening(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(undefined));
  });
}

test("over https: the archive's certificate checked against destinations.dicomweb[].tls.caFile; a wrong CA is a TLS failure that names the setting", async () => {
  const pki = await makeTestPki();
  const plain = await startOrthanc({ dicomweb: true });
  cleanup.push(() => plain.stop());
  const proxy = await tlsProxy(pki, plain.httpPort);
  cleanup.push(() => proxy.stop());
  const sr = buildSr(signatureIncompleteStudy(), { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' });
  const url = `${proxy.url}/dicom-web`;
  const wrongCa = await stowRs(
    { url, timeoutMs: 10000, tls: loadTlsOptions({ enabled: true, caFile: pki.otherCaFile, certFile: null, keyFile: null, rejectUnauthorized: true }, 'destinations.dicomweb[0].tls'), settingsKey: 'destinations.dicomweb[0]' },
    [sr.bytes],
  );
  expect(wrongCa).toMatchObject({ ok: false, message: expect.stringMatching(/^cannot reach https:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies: TLS failed \(.*\); check destinations\.dicomweb\[0\]\.tls\.caFile\.$/) });

  // Through the outbox with the right CA: delivered once.
  const destinations = { dicom: [], dicomweb: [web('secure', url, { tls: { enabled: false, caFile: pki.caFile, certFile: null, keyFile: null, rejectUnauthorized: true } })], hl7: [] };
  const node = await runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());
  const analysis = signatureIncompleteStudy();
  await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  await waitFor('the SR sent over https', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 30000);
  const instances = await plain.get<Array<{ MainDicomTags: { SOPInstanceUID: string } }>>('/instances?expand');
  expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID)).toEqual([srInstanceUid(analysis.study.studyInstanceUid, 1)]);
}, 90000);
