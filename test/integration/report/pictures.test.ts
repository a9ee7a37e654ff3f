/**
 * The pictures of a result as people see them: the phantom's lesion analysed with a complete test
 * signature, its Secondary Captures validated by dciodvfy and rendered by DCMTK's dcm2pnm (the
 * contour in the class colour, grey CT away from it), its PDF read back by poppler (text, fonts,
 * every page), patient names in three scripts, and `cd8-node score --pictures` with the shipped
 * (incomplete) signature.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseStudyFiles } from '../../../src/pipeline/analyseFiles';
import { loadScoringSetup } from '../../../src/pipeline/setup';
import { renderStudyPictures, displayName, PictureSettings, StudyPictures } from '../../../src/report/pictures';
import { buildPictureObjects } from '../../../src/report/pictureObjects';
import { SopClass } from '../../../src/dicom/uids';
import { readPart10 } from '../../../src/dicom/part10';
import { CLASS_COLOURS } from '../../../src/drawing/palette';
import type { KeySlice } from '../../../src/imaging/keySlice';
import type { StudyAnalysis } from '../../../src/results/types';
import { dciodvfy, tempFile } from '../../support/dicomValidate';
import { defaultConfig } from '../../support/delivery';
import { ROOT, runCli } from '../../support/process';
import { PHANTOM_CT_DIR, PHANTOM_RTSTRUCT, scoredStudy } from '../../support/studyFixtures';
import { close, decodePng, isGrey, pdfFonts, pdfText, probes, renderPdfPages, renderWithDcmtk } from '../../support/pictures';

jest.setTimeout(180000);

const TEST_SIGNATURE = join(ROOT, 'test', 'fixtures', 'complete-test-signature.json');
const config = defaultConfig();
const settings = (ringOuterMm: number): PictureSettings => ({ ...config.report.pictures, ringOuterMm });
// An SC of a result picture has no laterality: the empty Type 2C value is reported as a warning.
const unexplained = (w: string[]) => w.filter((x) => !/attribute <Laterality>/.test(x));

let analysis: StudyAnalysis;
let keySlices: Array<KeySlice | undefined>;
let pictures: StudyPictures;

beforeAll(async () => {
  const setup = loadScoringSetup(config, TEST_SIGNATURE);
  ({ analysis, keySlices } = await analyseStudyFiles(PHANTOM_CT_DIR, PHANTOM_RTSTRUCT, config, setup, { version: 1, cohortScores: [], analysedAt: '2026-12-07T06:00:00.000Z' }));
  pictures = await renderStudyPictures(analysis, keySlices, settings(setup.radiomics.ring.outerMm), true);
});

test('each Secondary Capture passes dciodvfy; dcm2pnm shows the contour in the lesion class colour and grey CT away from it', async () => {
  const [lesion] = analysis.lesions;
  expect(lesion.scoreStatus).toBe('scored');
  expect(['hot', 'cold']).toContain(lesion.classification);
  const objects = buildPictureObjects(analysis, pictures, 'secondary-capture', { seriesNumber: 9902 });
  expect(objects.map((o) => o.description)).toEqual(['Secondary Capture: lesion 1 GTV-1', 'Secondary Capture: summary page']);
  for (const o of objects) {
    expect(o.sopClassUid).toBe(SopClass.SecondaryCaptureImageStorage);
    const v = await dciodvfy(tempFile('sc.dcm', o.bytes));
    expect(v.iod).toBe('SCImage');
    expect(v.errors).toEqual([]);
    expect(unexplained(v.unexplainedWarnings)).toEqual([]);
    const ds = readPart10(o.bytes).dataset;
    expect(ds).toMatchObject({ PhotometricInterpretation: 'RGB', SamplesPerPixel: 3, BurnedInAnnotation: 'YES', StudyInstanceUID: analysis.study.studyInstanceUid, PatientID: analysis.patient.patientId });
  }
  const lesionDs = readPart10(objects[0].bytes).dataset;
  expect((lesionDs.SourceImageSequence as Array<{ ReferencedSOPInstanceUID: string }>)[0].ReferencedSOPInstanceUID).toBe(keySlices[0]!.image.sopInstanceUid);

  const shown = await renderWithDcmtk(objects[0].bytes);
  expect([shown.width, shown.height]).toEqual([pictures.lesions[0].width, pictures.lesions[0].height]);
  const { contour, far } = probes(keySlices[0]!, config.report.pictures.sizePx);
  expect(close(shown.at(...contour), CLASS_COLOURS[lesion.classification!].rgb)).toBe(true);
  const grey = shown.at(...far);
  expect(isGrey(grey)).toBe(true);
  // The summary page is mostly white paper.
  const page = await renderWithDcmtk(objects[1].bytes);
  expect(page.at(5, 5)).toEqual([255, 255, 255]);
});

test('the Encapsulated PDF passes dciodvfy; poppler finds the text, embedded fonts and renders every page', async () => {
  const [pdfObject] = buildPictureObjects(analysis, pictures, 'pdf', { seriesNumber: 9902 });
  expect(pdfObject.sopClassUid).toBe(SopClass.EncapsulatedPdfStorage);
  const v = await dciodvfy(tempFile('pdf.dcm', pdfObject.bytes));
  expect(v.iod).toBe('EncapsulatedPDF');
  expect(v.errors).toEqual([]);
  expect(v.unexplainedWarnings).toEqual([]);
  const ds = readPart10(pdfObject.bytes).dataset;
  const pdf = Buffer.from((ds.EncapsulatedDocument as ArrayBuffer[])[0]).subarray(0, Number(ds.EncapsulatedDocumentLength));
  expect(pdf.equals(pictures.pdf!)).toBe(true);
  const text = await pdfText(pdf);
  expect(text).toContain('Lesion 1 GTV-1');
  expect(text).toContain(String(Number(analysis.lesions[0].score!.toPrecision(4))));
  expect(text).toMatch(/research biomarker, not a diagnosis/);
  const fonts = await pdfFonts(pdf);
  expect(fonts.length).toBeGreaterThan(0);
  expect(fonts.filter((f) => !f.embedded)).toEqual([]);
  const { pages, pngs } = await renderPdfPages(pdf);
  expect(pages).toBe(1 + analysis.lesions.length);
  for (const png of pngs) expect((await decodePng(png)).width).toBeGreaterThan(500);
  // 'both' sends the SC images and the PDF, each once.
  expect(buildPictureObjects(analysis, pictures, 'both', { seriesNumber: 9902 })).toHaveLength(3);
  expect(buildPictureObjects(analysis, pictures, 'none', { seriesNumber: 9902 })).toEqual([]);
});

test.each([
  ['Latin with accents', 'Müller-Lüdenscheidt^Zoë Renée', 'Müller-Lüdenscheidt, Zoë Renée'],
  ['Greek', 'Παπαδόπουλος^Γιώργος', 'Παπαδόπουλος, Γιώργος'],
  ['Japanese', 'Yamada^Tarou=山田^太郎=やまだ^たろう', 'Yamada, Tarou = 山田 太郎 = やまだ たろう'],
])('a %s patient name is in the PDF text exactly, and in valid ISO_IR 192 DICOM objects', async (_, pn, shown) => {
  const base = scoredStudy();
  const a: StudyAnalysis = { ...base, patient: { ...base.patient, patientName: pn, specificCharacterSet: 'ISO_IR 192' } };
  expect(displayName(pn)).toBe(shown);
  const p = await renderStudyPictures(a, [], settings(5), true);
  const text = await pdfText(p.pdf!);
  expect(text).toContain(shown);
  expect((await pdfFonts(p.pdf!)).every((f) => f.embedded)).toBe(true);
  expect((await renderPdfPages(p.pdf!)).pages).toBe(1);
  for (const o of buildPictureObjects(a, p, 'both', { seriesNumber: 9902 })) {
    const v = await dciodvfy(tempFile('named.dcm', o.bytes));
    expect(v.errors).toEqual([]);
    const ds = readPart10(o.bytes).dataset;
    expect(ds.SpecificCharacterSet).toBe('ISO_IR 192');
    expect(JSON.stringify(ds.PatientName)).toContain(pn.split('=')[0].split('^')[0]);
  }
});

test('cd8-node score --pictures with the shipped (incomplete) signature: the lesion in the not-scored colour, the reason in the caption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-pictures-'));
  const r = await runCli(['score', '--ct', PHANTOM_CT_DIR, '--rtstruct', PHANTOM_RTSTRUCT, '--pictures', dir], {}, { timeoutMs: 150000 });
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`pictures written to ${dir}`);
  expect(readdirSync(dir).sort()).toEqual(['lesion-1.png', 'report.pdf', 'summary.png']);
  const png = await decodePng(readFileSync(join(dir, 'lesion-1.png')));
  const { contour, far } = probes(keySlices[0]!, config.report.pictures.sizePx);
  expect(close(png.at(...contour), CLASS_COLOURS['not-scored'].rgb)).toBe(true);
  expect(isGrey(png.at(...far))).toBe(true);
  const text = (await pdfText(readFileSync(join(dir, 'report.pdf')))).replace(/\s+/g, ' ');
  expect(text).toContain('Class: NOT SCORED');
  expect(text).toMatch(/No CD8 score: not available: signature incomplete/);
});
