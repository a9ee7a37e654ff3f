/** The optional summary objects (report.summary): Encapsulated PDF and Secondary Capture, both valid for dciodvfy. */
import { buildSummary, summaryTable } from '../../../src/report/summary';
import { SopClass } from '../../../src/dicom/uids';
import { readPart10 } from '../../../src/dicom/part10';
import { writeTablePdf } from '../../../src/report/summaryPdf';
import { glyph } from '../../../src/report/summarySc';
import { noLesionStudy, scoredStudy, signatureIncompleteStudy } from '../../support/studyFixtures';
import { dciodvfy, tempFile } from '../../support/dicomValidate';

test('the table lists each lesion with score or reason, never a number for an unscored lesion', () => {
  const t = summaryTable(scoredStudy());
  expect(t.rows.map((r) => [r[0], r[3], r[4]])).toEqual([
    ['1 GTV-1', '0.8731', 'hot'],
    ['2 GTV-2 liver met', '0.1234', 'cold'],
    ['3 GTV-3 small', '-', '-'],
  ]);
  expect(t.rows[2][5]).toMatch(/blocked by quality gate/);
  expect(summaryTable(signatureIncompleteStudy()).rows[0][5]).toBe('not available: signature incomplete');
  expect(summaryTable(noLesionStudy()).lines.join(' ')).toMatch(/Problem: the RTSTRUCT has no ROI selected/);
});

test('the PDF is well formed: header, objects at the offsets of its cross-reference table, trailer', () => {
  const pdf = writeTablePdf({ ...summaryTable(scoredStudy()), columns: [0, 150, 250, 330, 410, 470] }).toString('latin1');
  expect(pdf.startsWith('%PDF-1.4\n')).toBe(true);
  expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
  const startxref = Number(/startxref\n(\d+)\n/.exec(pdf)![1]);
  expect(pdf.slice(startxref, startxref + 4)).toBe('xref');
  const entries = [...pdf.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  entries.forEach((offset, i) => expect(pdf.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
  expect(pdf).toContain('(0.8731)');
  expect(pdf).toContain('research biomarker');
});

test('Encapsulated PDF passes dciodvfy and carries the PDF', async () => {
  const built = buildSummary(scoredStudy(), 'pdf', { seriesNumber: 9902 });
  expect(built.sopClassUid).toBe(SopClass.EncapsulatedPdfStorage);
  const v = await dciodvfy(tempFile('pdf.dcm', built.bytes));
  expect(v.iod).toBe('EncapsulatedPDF');
  expect(v.errors).toEqual([]);
  expect(v.unexplainedWarnings).toEqual([]);
  const ds = readPart10(built.bytes).dataset;
  expect(ds.MIMETypeOfEncapsulatedDocument).toBe('application/pdf');
  const doc = Buffer.from((ds.EncapsulatedDocument as ArrayBuffer[])[0]);
  expect(doc.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
  expect(ds.StudyInstanceUID).toBe(scoredStudy().study.studyInstanceUid);
  expect(buildSummary(scoredStudy(), 'pdf', { seriesNumber: 9902 }).sopInstanceUid).toBe(built.sopInstanceUid);
});

test('Secondary Capture passes dciodvfy and shows the table as text pixels', async () => {
  const built = buildSummary(scoredStudy(), 'secondary-capture', { seriesNumber: 9902 });
  expect(built.sopClassUid).toBe(SopClass.SecondaryCaptureImageStorage);
  const v = await dciodvfy(tempFile('sc.dcm', built.bytes));
  expect(v.iod).toBe('SCImage');
  expect(v.errors).toEqual([]);
  // dciodvfy reports Laterality as an error when absent and warns when empty: a table of scores
  // has no laterality, so it is empty (unknown) and this one warning is expected.
  expect(v.unexplainedWarnings.filter((w) => !/attribute <Laterality>/.test(w))).toEqual([]);
  const ds = readPart10(built.bytes).dataset;
  const pixels = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]);
  expect(pixels.length).toBe(Number(ds.Rows) * Number(ds.Columns));
  const lit = pixels.reduce((n, p) => n + (p > 0 ? 1 : 0), 0);
  expect(lit).toBeGreaterThan(1000);
  expect(lit).toBeLessThan(pixels.length / 2);
  expect(glyph('a')).toEqual(glyph('A'));
  expect(glyph('€')).toEqual(glyph('?'));
});
