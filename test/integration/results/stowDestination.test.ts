/**
 * A DICOMweb archive as destination: Orthanc with its DICOMweb plugin (Debian orthanc-dicomweb),
 * HTTP basic authentication on, receives the SR (and the summary object) by STOW-RS through the
 * outbox, once per study version; wrong credentials and a dead URL are failures with the reason,
 * delivered later when fixed.
 */
import { startOrthanc, Orthanc } from '../../support/orthanc';
import { freePort, waitFor } from '../../support/process';
import { defaultConfig, resultSettings, runSender, tempDataDir } from '../../support/delivery';
import { renderStudyPictures } from '../../../src/report/pictures';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import { srInstanceUid } from '../../../src/report/uids';
import { signatureIncompleteStudy } from '../../support/studyFixtures';
import { stowRs } from '../../../src/dicom/stowRs';
import { buildSr } from '../../../src/report/srDocument';
import type { Config } from '../../../src/config/schema';

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
  const node = runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());
  const analysis = signatureIncompleteStudy();
  const settings = resultSettings(destinations, { summary: 'pdf' });
  // The summary page and PDF as the analysis worker draws them (this fixture has no CT slices).
  const pictures = await renderStudyPictures(analysis, [], { ...defaultConfig().report.pictures, ringOuterMm: 5 }, true);
  const planned = enqueueStudyResults(node.outbox, analysis, settings, pictures);
  expect(planned.messages.map((m) => [m.kind, m.destination, m.description])).toEqual([
    ['dicom', 'archive', 'Comprehensive 3D SR'],
    ['dicom', 'archive', 'Encapsulated PDF report'],
  ]);
  node.sender.kick();
  await waitFor('both objects sent', () => node.outbox.forStudy(analysis.study.studyInstanceUid).every((r) => r.state === 'sent') || undefined, 30000);

  // The same version again: nothing new in the outbox, nothing sent twice.
  expect(enqueueStudyResults(node.outbox, analysis, settings, pictures).newRowIds).toEqual([]);
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
  const node = runSender(tempDataDir(), destinations);
  cleanup.push(() => node.shutdown());
  const analysis = signatureIncompleteStudy();
  enqueueStudyResults(node.outbox, analysis, resultSettings(destinations));
  node.sender.kick();
  const row = await waitFor('a failed attempt', () => node.outbox.forStudy(analysis.study.studyInstanceUid).find((r) => r.attempts > 0 && r.lastError), 20000);
  expect(row.state).toBe('pending');
  expect(row.lastError).toMatch(/not authorised/);
});
