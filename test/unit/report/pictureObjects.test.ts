/**
 * The pictures as DICOM objects across versions of a study: one series per kind that every version
 * lands in, new instances per version that say which version they replace, queued exactly once.
 */
import { buildPictureObjects } from '../../../src/report/pictureObjects';
import { renderStudyPictures, StudyPictures } from '../../../src/report/pictures';
import { readPart10 } from '../../../src/dicom/part10';
import { openTestStorage, tempDataDir } from '../../support/delivery';
import { enqueueStudyResults } from '../../../src/outbox/plan';
import { defaultConfig, dicomDestination, resultSettings } from '../../support/delivery';
import { nextVersion, scoredStudy } from '../../support/studyFixtures';

const settings = { ...defaultConfig().report.pictures, ringOuterMm: 5 };
let pictures: StudyPictures;
beforeAll(async () => {
  pictures = await renderStudyPictures(scoredStudy(), [], settings, true);
});

test('a new version: new instances in the same series, numbered after the earlier ones, saying what they replace', () => {
  const v1 = scoredStudy();
  const v2 = nextVersion(v1);
  const [sc1, pdf1] = buildPictureObjects(v1, pictures, 'both', { seriesNumber: 9902 }).map((o) => readPart10(o.bytes).dataset);
  const [sc2, pdf2] = buildPictureObjects(v2, pictures, 'both', { seriesNumber: 9902 }).map((o) => readPart10(o.bytes).dataset);
  expect(sc2.SeriesInstanceUID).toBe(sc1.SeriesInstanceUID);
  expect(sc2.SOPInstanceUID).not.toBe(sc1.SOPInstanceUID);
  expect([sc1.InstanceNumber, sc2.InstanceNumber]).toEqual([1001, 2001]);
  expect(sc2.ImageComments).toMatch(/Result version 2\. It replaces the images of version 1 in this series\./);
  expect(sc1.SeriesNumber).toBe(9902);
  expect(pdf1.SeriesNumber).toBe(9903);
  expect(pdf2.SeriesInstanceUID).toBe(pdf1.SeriesInstanceUID);
  expect(pdf2.SOPInstanceUID).not.toBe(pdf1.SOPInstanceUID);
  expect(pdf1.SeriesInstanceUID).not.toBe(sc1.SeriesInstanceUID);
});

test('the outbox takes each picture object once per study version and destination', async () => {
  const storage = await openTestStorage(tempDataDir());
  const outbox = storage.outbox;
  const destinations = { dicom: [dicomDestination('pacs', 'PACS', 104)], hl7: [] };
  const a = scoredStudy();
  const first = await enqueueStudyResults(outbox, a, resultSettings(destinations, { summary: 'both' }), pictures);
  // SR, the summary page's Secondary Capture (this fixture has no key slices), the PDF.
  expect(first.newRowIds).toHaveLength(3);
  expect((await outbox.forStudy(a.study.studyInstanceUid)).map((r) => r.description)).toEqual(['Comprehensive 3D SR', 'Secondary Capture: summary page', 'Encapsulated PDF report']);
  expect((await enqueueStudyResults(outbox, a, resultSettings(destinations, { summary: 'both' }), pictures)).newRowIds).toEqual([]);
  expect((await enqueueStudyResults(outbox, nextVersion(a), resultSettings(destinations, { summary: 'both' }), pictures)).newRowIds).toHaveLength(3);
  expect((await enqueueStudyResults(outbox, a, resultSettings(destinations, { summary: 'none' }), pictures)).newRowIds).toEqual([]);
  await storage.close();
});
