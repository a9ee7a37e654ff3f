/** What the pictures say, in words: names as the DICOM gives them, the score and cut-off or the reason, the class. */
import { displayName, lesionCaption, pictureClass, renderStudyPictures, summaryPageModel } from '../../../src/report/pictures';
import type { KeySlice } from '../../../src/imaging/keySlice';
import { drawSummaryPage } from '../../../src/drawing/summaryPage';
import { noLesionStudy, scoredStudy, signatureIncompleteStudy } from '../../support/studyFixtures';

const window = { width: 400, level: 40 };

test('person names: every component group, the alphabetic one as "Family, Given"', () => {
  expect(displayName('DOE^JANE')).toBe('DOE, JANE');
  expect(displayName('DOE^JANE^M^DR^PHD')).toBe('DR DOE, JANE M PHD');
  expect(displayName('PAT1')).toBe('PAT1');
  expect(displayName('Wang^XiaoDong=王^小東=')).toBe('Wang, XiaoDong = 王 小東');
  expect(displayName('')).toBe('(no name)');
});

test('a scored lesion: score against the cut-off and its class; unscored: the reason, never a number', () => {
  const a = scoredStudy();
  const [hot, cold, blocked] = a.lesions;
  expect(pictureClass(hot)).toBe('hot');
  expect(pictureClass(cold)).toBe('cold');
  expect(pictureClass(blocked)).toBe('not-scored');
  const caption = lesionCaption(hot, a, { sliceIndex: 23 }, window, 5);
  expect(caption.badge).toBe('HOT (CD8-inflamed)');
  expect(caption.title).toBe('Lesion 1 GTV-1');
  expect(caption.lines.join('\n')).toMatch(/CD8 score 0\.8731 ≥ cut-off/);
  expect(caption.lines.join('\n')).toMatch(/slice 24/);
  const why = lesionCaption(blocked, a, { sliceIndex: 0 }, window, 5);
  expect(why.badge).toBe('NOT SCORED');
  expect(why.lines.join('\n')).toMatch(/No CD8 score: .*blocked by quality gate/);
  const incomplete = signatureIncompleteStudy();
  expect(lesionCaption(incomplete.lesions[0], incomplete, { sliceIndex: 0 }, window, 5).lines.join('\n')).toMatch(/No CD8 score: not available: signature incomplete/);
});

test('the summary page: a row per lesion, the chart of scored lesions with the cut-off, or the reason when none is scored', () => {
  const m = summaryPageModel(scoredStudy());
  expect(m.rows.map((r) => [r.cells[0], r.cells[3], r.cells[4], r.cls])).toEqual([
    ['1 GTV-1', '0.8731', 'hot', 'hot'],
    ['2 GTV-2 liver met', '0.1234', 'cold', 'cold'],
    ['3 GTV-3 small', '–', 'none', 'not-scored'],
  ]);
  expect(m.chart.points).toHaveLength(2);
  expect(m.chart.cutOff).toBe(scoredStudy().signature.threshold.value);
  expect(m.chartNote).toMatch(/^Patient summary: 2 of 3 lesion\(s\) scored; minimum 0\.1234/);
  expect(m.caveat).toMatch(/not a diagnosis/);
  const none = summaryPageModel(noLesionStudy());
  expect(none.chart.points).toEqual([]);
  expect(none.chartNote).toMatch(/^No lesion is scored: /);
  expect(none.notes.join(' ')).toMatch(/Problem: /);
});

test('key images are bounded per study (report.pictures.maxLesions): the first lesions get one, the summary page lists all', async () => {
  const a = scoredStudy();
  const slice = (): KeySlice => ({
    width: 8,
    height: 8,
    hu: new Float32Array(64),
    lesion: Uint8Array.from({ length: 64 }, (_, i) => (i === 27 || i === 28 ? 1 : 0)),
    ringOuter: new Uint8Array(64).fill(1),
    pixelSpacingMm: [1, 1],
    rowDirection: [1, 0, 0],
    columnDirection: [0, 1, 0],
    image: { sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '1.2.3' },
    offset: [0, 0],
    sliceIndex: 0,
  });
  const p = await renderStudyPictures(a, [slice(), slice(), slice()], { sizePx: 256, maxLesions: 2, softTissueWindow: window, lungWindow: window, ringOuterMm: 5 }, false);
  expect(p.lesions.map((l) => l.lesionIndex)).toEqual([0, 1]);
  expect(p.pdf).toBeUndefined();
  expect(summaryPageModel(a).rows).toHaveLength(3);
});

test('a summary page with a 5,000-character name and 300 lesions is still one page, drawn in bounded time', () => {
  const base = scoredStudy();
  const a = {
    ...base,
    patient: { ...base.patient, patientName: `${'Ω'.repeat(5000)}^Zoë` },
    lesions: Array.from({ length: 300 }, (_, i) => ({ ...base.lesions[i % 3], trackingId: `${i + 1} ${'GTV'.repeat(200)}` })),
  };
  const started = Date.now();
  const page = drawSummaryPage(summaryPageModel(a));
  expect([page.width, page.height]).toEqual([1264, 892]);
  expect(Date.now() - started).toBeLessThan(30000);
});
