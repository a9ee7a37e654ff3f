/** The ORU^R01 read back by python-hl7: field positions, escaping, per-lesion grouping, no made-up score. */
import { buildOru, escapeHl7, oruControlId, personName, unescapeHl7 } from '../../../src/report/hl7Oru';
import { srInstanceUid } from '../../../src/report/uids';
import { awkwardIdentity, nextVersion, noLesionStudy, scoredStudy, signatureIncompleteStudy } from '../../support/studyFixtures';
import { parseWithPythonHl7, ParsedSegment, segmentsNamed } from '../../support/hl7';

const OPTIONS = { sendingApplication: 'CD8NODE', sendingFacility: 'RADIOLOGY', receivingApplication: 'RIS', receivingFacility: 'HOSPITAL', patientIdAuthority: 'HOSP' };

const obxBy = (segments: ParsedSegment[], code: string, subId?: string) =>
  segmentsNamed(segments, 'OBX').filter((o) => o.components[3][0] === code && (subId === undefined || o.fields[4] === subId));

test('escaping round-trips every delimiter', () => {
  const nasty = 'a|b^c~d\\e&f\ng';
  expect(escapeHl7(nasty)).toBe('a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\.br\\g');
  expect(unescapeHl7(escapeHl7(nasty))).toBe(nasty);
  expect(personName('DOE^JANE^M^DR^JR')).toBe('DOE^JANE^M^JR^DR');
});

test('MSH, PID and OBR are where a RIS looks for them', async () => {
  const analysis = scoredStudy();
  const oru = buildOru(analysis, OPTIONS);
  expect(oru.text.split('\r').filter(Boolean).every((s) => /^[A-Z][A-Z0-9]{2}\|/.test(s))).toBe(true);
  expect(oru.text.endsWith('\r')).toBe(true);
  expect(oru.text).not.toContain('\n');
  const segs = await parseWithPythonHl7(oru.text);
  expect(segs.map((s) => s.name).slice(0, 3)).toEqual(['MSH', 'PID', 'OBR']);
  const [msh] = segmentsNamed(segs, 'MSH');
  expect(msh.fields[3]).toBe('CD8NODE');
  expect(msh.fields[4]).toBe('RADIOLOGY');
  expect(msh.fields[5]).toBe('RIS');
  expect(msh.fields[6]).toBe('HOSPITAL');
  expect(msh.fields[7]).toBe('20240502093015+0000');
  expect(msh.fields[9]).toBe('ORU^R01^ORU_R01');
  expect(msh.fields[10]).toBe(oruControlId(analysis.study.studyInstanceUid, 1));
  expect(msh.fields[10]).toHaveLength(20);
  expect(msh.fields[11]).toBe('P');
  expect(msh.fields[12]).toBe('2.5.1');
  const [pid] = segmentsNamed(segs, 'PID');
  expect(pid.components[3]).toEqual(['1', '', '', 'HOSP', 'MR']);
  expect(pid.fields[5]).toBe('PAT1');
  const [obr] = segmentsNamed(segs, 'OBR');
  expect(obr.components[4]).toEqual(['CD8RADIOMICS', 'CD8 radiomics', '99CD8']);
  expect(obr.fields[25]).toBe('F');
  expect(obr.fields[22]).toBe('20240502093015+0000');
  // Links to the images: Study Instance UID and the SR's SOP Instance UID.
  expect(obxBy(segs, '110180')[0].fields[5]).toBe(analysis.study.studyInstanceUid);
  expect(obxBy(segs, 'CD8SRUID')[0].fields[5]).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
});

test('per lesion, grouped by OBX-4: score (NM), hot/cold (CWE), site, volume; a blocked lesion has its reason and no number', async () => {
  const segs = await parseWithPythonHl7(buildOru(scoredStudy(), OPTIONS).text);
  const obx = segmentsNamed(segs, 'OBX');
  expect(obx.map((o) => o.fields[1])).toEqual(obx.map((_o, i) => String(i + 1)));
  const [score1] = obxBy(segs, 'CD8RS', '1');
  expect(score1.fields[2]).toBe('NM');
  expect(Number(score1.fields[5])).toBe(0.8731);
  expect(score1.components[6]).toEqual(['1', 'no units', 'UCUM']);
  expect(score1.fields[11]).toBe('F');
  expect(obxBy(segs, 'CD8PHENO', '1')[0].components[5]).toEqual(['CD8HOT', 'CD8-inflamed (hot)', '99CD8']);
  expect(obxBy(segs, 'CD8PHENO', '2')[0].components[5][0]).toBe('CD8COLD');
  expect(obxBy(segs, '363698007', '2')[0].components[5]).toEqual(['10200004', 'Liver', 'SCT']);
  expect(obxBy(segs, '118565006', '1')[0].components[6][0]).toBe('ml');
  const [score3] = obxBy(segs, 'CD8RS', '3');
  expect(score3.fields[5]).toBe('');
  expect(score3.fields[11]).toBe('X');
  expect(obxBy(segs, 'CD8RSNA', '3')[0].unescaped[5]).toMatch(/^not available: blocked by quality gate small-lesion/);
  expect(obxBy(segs, 'CD8PHENO', '3')).toEqual([]);
  expect(Number(obxBy(segs, 'CD8RSMIN')[0].fields[5])).toBe(0.1234);
  expect(obxBy(segs, 'CD8CAVEAT')[0].unescaped[5]).toMatch(/research biomarker, not a diagnosis/);
});

test('signature incomplete and no lesion: the message says why, with no score', async () => {
  const inc = await parseWithPythonHl7(buildOru(signatureIncompleteStudy(), OPTIONS).text);
  expect(obxBy(inc, 'CD8RS', '1')[0].fields[11]).toBe('X');
  expect(obxBy(inc, 'CD8RSNA', '1')[0].unescaped[5]).toBe('not available: signature incomplete');
  expect(obxBy(inc, 'CD8RSSTAT', '1')[0].components[5][0]).toBe('SIGINCOMPLETE');
  expect(obxBy(inc, 'CD8RSMEAN')).toEqual([]);
  const none = await parseWithPythonHl7(buildOru(noLesionStudy(), OPTIONS).text);
  expect(obxBy(none, 'CD8LESION')).toEqual([]);
  expect(Number(obxBy(none, 'CD8NLES')[0].fields[5])).toBe(0);
  expect(obxBy(none, 'CD8PROB')[0].unescaped[5]).toMatch(/^no-lesion: /);
  expect(obxBy(none, 'CD8STUDYSTAT')[0].components[5][0]).toBe('STUDYNOTSCORED');
});

test('delimiters in DICOM values are escaped; non-ASCII declared; a later version is a correction (C)', async () => {
  const analysis = awkwardIdentity(nextVersion(scoredStudy()));
  const oru = buildOru(analysis, OPTIONS);
  const segs = await parseWithPythonHl7(oru.text);
  const [msh] = segmentsNamed(segs, 'MSH');
  expect(msh.fields[18]).toBe('UNICODE UTF-8');
  expect(msh.fields[10]).not.toBe(oruControlId(analysis.study.studyInstanceUid, 1));
  const [pid] = segmentsNamed(segs, 'PID');
  expect(pid.components[3][0]).toBe('ID|1^2~3&5');
  expect(pid.components[3][3]).toBe('HOSP&LAB');
  expect(pid.components[5].slice(0, 2)).toEqual(['MÜLLER', 'JÜRGEN']);
  expect(pid.fields[7]).toBe('19600131');
  expect(pid.fields[8]).toBe('M');
  const [obr] = segmentsNamed(segs, 'OBR');
  expect(obr.fields[25]).toBe('C');
  expect(obr.fields[3]).toBe('ACC-42');
  expect(segmentsNamed(segs, 'OBX').every((o) => o.fields[11] === 'C' || o.fields[11] === 'X')).toBe(true);
  // The same version gives the same message (a retry is the same message).
  expect(buildOru(analysis, OPTIONS).text).toBe(oru.text);
});
