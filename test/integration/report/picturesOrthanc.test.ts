/**
 * The pictures end to end at a real PACS: the IBSI phantom and the sarcoma studies STS_001 and
 * STS_002 are in Orthanc; each is analysed from its files as the worker does, its SR, Secondary
 * Capture series and PDF go through the outbox, and Orthanc shows them in the CT's study beside
 * the SR. DCMTK renders each lesion's Secondary Capture as Orthanc stored it: the contour is in
 * the hot or cold colour as scored with the complete test signature, in the not-scored colour
 * with the shipped (incomplete) one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import { analyseStudyFiles } from '../../../src/pipeline/analyseFiles';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { renderStudyPictures } from '../../../src/report/pictures';
import { CLASS_COLOURS } from '../../../src/drawing/palette';
import { startOrthanc, Orthanc } from '../../support/orthanc';
import { defaultConfig, dicomDestination, resultSettings, runSender, tempDataDir } from '../../support/delivery';
import { ROOT, SHARED, waitFor } from '../../support/process';
import { PHANTOM_CT_DIR, PHANTOM_RTSTRUCT } from '../../support/studyFixtures';
import { close, isGrey, probes, renderWithDcmtk } from '../../support/pictures';
import { dciodvfy, tempFile } from '../../support/dicomValidate';

jest.setTimeout(600000);

const TEST_SIGNATURE = join(ROOT, 'test', 'fixtures', 'complete-test-signature.json');
const sts = (name: string) => ({ ct: join(SHARED, 'data', 'sts', name, 'CT', 'image'), rtstruct: join(SHARED, 'data', 'sts', name, 'CT', 'mask', 'RS.dcm') });
const STUDIES = [
  { name: 'IBSI phantom', ct: PHANTOM_CT_DIR, rtstruct: PHANTOM_RTSTRUCT, signature: TEST_SIGNATURE },
  { name: 'STS_001', ...sts('STS_001'), signature: undefined },
  { name: 'STS_002', ...sts('STS_002'), signature: TEST_SIGNATURE },
];

type Series = { MainDicomTags: { Modality: string; SeriesDescription?: string }; Instances: string[] };

let orthanc: Orthanc;
beforeAll(async () => {
  // Without HTTP compression: Orthanc 1.10 closes the connection part-way through a gzipped download of a picture (~1 MB).
  orthanc = await startOrthanc({ aeTitle: 'ORTHANC', modalities: { cd8: ['CD8NODE', '127.0.0.1', 11112] }, settings: { HttpCompressionEnabled: false } });
}, 60000);
afterAll(async () => orthanc?.stop());

test.each(STUDIES)('$name: the Secondary Capture series and the PDF arrive in the CT study beside the SR, the contour in its class colour', async (s) => {
  for (const f of readdirSync(s.ct)) await orthanc.post('/instances', readFileSync(join(s.ct, f)));
  await orthanc.post('/instances', readFileSync(s.rtstruct));

  const config = defaultConfig();
  const setup = loadScoringSetup(config, s.signature);
  const { analysis, keySlices } = await analyseStudyFiles(s.ct, s.rtstruct, config, setup, { version: 1, cohortScores: [], analysedAt: new Date().toISOString() });
  const pictures = await renderStudyPictures(analysis, keySlices, { ...config.report.pictures, ringOuterMm: setup.radiomics.ring.outerMm }, true);
  expect(pictures.lesions).toHaveLength(analysis.lesions.length);
  if (s.signature) expect(analysis.lesions.some((l) => l.classification !== null)).toBe(true);
  else expect(analysis.lesions.every((l) => l.scoreStatus === 'signature-incomplete')).toBe(true);


  const destinations = { dicom: [dicomDestination('orthanc', 'ORTHANC', orthanc.dicomPort)], hl7: [] };
  const node = await runSender(tempDataDir(), destinations);
  let planned;
  try {
    planned = await enqueueStudyResults(node.outbox, analysis, resultSettings(destinations, { summary: 'both' }), pictures);
    // SR, one Secondary Capture per lesion and the summary page, the PDF.
    expect(planned.messages).toHaveLength(1 + analysis.lesions.length + 1 + 1);
    for (const o of planned.pictures) expect((await dciodvfy(tempFile('picture.dcm', o.bytes))).errors).toEqual([]);
    node.sender.kick();
    await waitFor('everything sent to Orthanc', async () => (await node.outbox.forStudy(analysis.study.studyInstanceUid)).every((r) => r.state === 'sent') || undefined, 60000);
  } finally {
    await node.shutdown();
  }


  const studies = await orthanc.get<Array<{ ID: string; MainDicomTags: { StudyInstanceUID: string } }>>('/studies?expand');
  const study = studies.find((x) => x.MainDicomTags.StudyInstanceUID === analysis.study.studyInstanceUid)!;
  expect(study).toBeDefined();
  const series = await orthanc.get<Series[]>(`/studies/${study.ID}/series?expand`);
  const byModality = Object.fromEntries(series.map((x) => [x.MainDicomTags.Modality, x]));
  expect(Object.keys(byModality).sort()).toEqual(['CT', 'DOC', 'OT', 'RTSTRUCT', 'SR']);
  expect(byModality.OT.MainDicomTags.SeriesDescription).toBe('CD8 radiomics pictures');
  expect(byModality.OT.Instances).toHaveLength(analysis.lesions.length + 1);
  expect(byModality.DOC.Instances).toHaveLength(1);

  // Each lesion's image as Orthanc stored it, rendered by DCMTK.
  for (const [i, lesion] of analysis.lesions.entries()) {
    const uid = planned.messages.find((m) => m.description === `Secondary Capture: lesion ${lesion.trackingId}`)!.messageKey;
    const [found] = await orthanc.post<Array<{ ID: string; Type: string }>>('/tools/lookup', uid, 'text/plain');
    expect(found.Type).toBe('Instance');
    const res = await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${found.ID}/file`, { headers: { connection: 'close' } });
    const shown = await renderWithDcmtk(Buffer.from(await res.arrayBuffer()));
    const { contour, far } = probes(keySlices[i]!, config.report.pictures.sizePx);
    expect(close(shown.at(...contour), CLASS_COLOURS[lesion.classification ?? 'not-scored'].rgb)).toBe(true);
    expect(isGrey(shown.at(...far))).toBe(true);
  }
});
