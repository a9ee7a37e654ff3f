/** The pictures kept for the web page: found by study UID, version and lesion; nothing else can be named. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLesionPicture, readReportPdf, readSummaryPicture, removeStudyPictures, savePictures } from '../../../src/results/pictureFiles';
import type { StudyPictures } from '../../../src/report/pictures';

const UID = '1.2.826.0.1.3680043.8.498.1';
const picture = (tag: string) => ({ width: 2, height: 2, rgb: new Uint8Array(12), png: Buffer.from(`\x89PNG ${tag}`, 'latin1') });
const pictures: StudyPictures = {
  lesions: [{ ...picture('lesion 0'), lesionIndex: 0, trackingUid: '2.25.1', source: { sopClassUid: '1.2', sopInstanceUid: '1.3' }, caption: { badge: 'HOT', title: 'Lesion', lines: [] } }],
  summary: picture('summary'),
};

test('saved per study version, read back by lesion index; absent ones are undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-pictures-'));
  savePictures(dir, UID, 2, pictures);
  expect(readLesionPicture(dir, UID, 2, 0)?.toString('latin1')).toBe('\x89PNG lesion 0');
  expect(readSummaryPicture(dir, UID, 2)?.toString('latin1')).toBe('\x89PNG summary');
  expect(readLesionPicture(dir, UID, 2, 1)).toBeUndefined();
  expect(readLesionPicture(dir, UID, 1, 0)).toBeUndefined();
  expect(readReportPdf(dir, UID, 2)).toBeUndefined();
  expect(readdirSync(join(dir, 'pictures', UID, '2')).sort()).toEqual(['lesion-0.png', 'summary.png']);
  removeStudyPictures(dir, UID);
  expect(readSummaryPicture(dir, UID, 2)).toBeUndefined();
});

test('a study UID, version or lesion index that cannot be one is refused, so a web request cannot name another file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-pictures-'));
  for (const bad of ['../../etc', '1.2/../3', '', '1.2.', 'a.b', '1'.repeat(65)]) expect(() => readSummaryPicture(dir, bad, 1)).toThrow(RangeError);
  expect(() => readSummaryPicture(dir, UID, 0)).toThrow(RangeError);
  expect(() => readSummaryPicture(dir, UID, 1.5)).toThrow(RangeError);
  expect(() => readLesionPicture(dir, UID, 1, -1)).toThrow(RangeError);
  expect(() => readLesionPicture(dir, UID, 1, Number.NaN)).toThrow(RangeError);
});
