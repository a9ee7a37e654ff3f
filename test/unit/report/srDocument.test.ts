/**
 * The SR of each fixture study: valid for dciodvfy (no error, only explained warnings), parsed by
 * dsrdump, and read back row by row (what validators do not check).
 */
import { buildSr } from '../../../src/report/srDocument';
import { SopClass } from '../../../src/dicom/uids';
import { CD8, DCM, SCT } from '../../../src/report/codes';
import { child, children, lesionScores, measurementGroups, patientSummaryGroup, readSr, SrNode } from '../../../src/report/srRead';
import { RESEARCH_CAVEAT } from '../../../src/report/srContent';
import { srInstanceUid } from '../../../src/report/uids';
import { awkwardIdentity, nextVersion, noLesionStudy, scoredStudy, signatureIncompleteStudy } from '../../support/studyFixtures';
import { dciodvfy, dsrdump, tempFile } from '../../support/dicomValidate';

const OPTIONS = { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' };

const fixtures = {
  'scored (hot, cold, blocked)': scoredStudy,
  'signature incomplete': signatureIncompleteStudy,
  'no lesion at all': noLesionStudy,
  'version 2 with non-ASCII name and HL7 delimiters': () => awkwardIdentity(nextVersion(scoredStudy())),
  // STS_001's scanner wrote a 17-character Study ID; SH allows 16.
  'overlong Study ID from the scanner': () => {
    const a = scoredStudy();
    return { ...a, study: { ...a.study, studyId: 'IBSI_1_STS_001_CT' } };
  },
};

describe.each(Object.entries(fixtures))('SR of the %s study', (_name, make) => {
  test('passes dciodvfy with no error and dsrdump parses it', async () => {
    const file = tempFile('sr.dcm', buildSr(make(), OPTIONS).bytes);
    const v = await dciodvfy(file);
    expect(v.iod).toBe('Comprehensive3DSR');
    expect(v.errors).toEqual([]);
    expect(v.unexplainedWarnings).toEqual([]);
    const dump = await dsrdump(file);
    expect(dump.code).toBe(0);
    expect(dump.problems).toEqual([]);
    expect(dump.warnings.filter((w) => !/VR checker does not support this Specific Character Set: ISO_IR 192/.test(w))).toEqual([]);
    expect(dump.text).toContain('Comprehensive 3D SR Document');
  });
});

test('a Study ID that fits SH is copied; an overlong one is left empty rather than made invalid', () => {
  const a = scoredStudy();
  expect(readSr(buildSr({ ...a, study: { ...a.study, studyId: '12345' } }, OPTIONS).bytes).dataset.StudyID).toBe('12345');
  expect(readSr(buildSr({ ...a, study: { ...a.study, studyId: 'IBSI_1_STS_001_CT' } }, OPTIONS).bytes).dataset.StudyID ?? '').toBe('');
});

const group = (lesions: SrNode[], id: string) => lesions.find((g) => child(g, { name: DCM.trackingIdentifier })?.text === id) as SrNode;

describe('round trip of the scored study', () => {
  const analysis = scoredStudy();
  const sr = readSr(buildSr(analysis, OPTIONS).bytes);
  const groups = measurementGroups(sr);
  const lesions = groups.filter((g) => g.templateId === '1411');

  test('document identity: same patient and study, our series, flags, evidence', () => {
    const ds = sr.dataset;
    expect(ds.SOPClassUID).toBe(SopClass.Comprehensive3dSrStorage);
    expect(ds.SOPInstanceUID).toBe(srInstanceUid(analysis.study.studyInstanceUid, 1));
    expect(ds.StudyInstanceUID).toBe(analysis.study.studyInstanceUid);
    expect(ds.PatientID).toBe(analysis.patient.patientId);
    expect(ds.Modality).toBe('SR');
    expect(ds.SeriesNumber).toBe(9901);
    expect(ds.SeriesDescription).toBe('CD8 radiomics');
    expect(ds.SeriesInstanceUID).not.toBe(analysis.evidence!.ct.seriesInstanceUid);
    expect(ds.CompletionFlag).toBe('COMPLETE');
    expect(ds.VerificationFlag).toBe('UNVERIFIED');
    expect(ds.ContentDate).toBe('20240502');
    expect(ds.ContentTime).toBe('093015.250');
    expect(ds.PredecessorDocumentsSequence).toBeUndefined();
    const evidence = (ds.CurrentRequestedProcedureEvidenceSequence as Array<{ ReferencedSeriesSequence: Array<{ SeriesInstanceUID: string; ReferencedSOPSequence: unknown[] }> }>)[0];
    const series = Object.fromEntries(evidence.ReferencedSeriesSequence.map((s) => [s.SeriesInstanceUID, s.ReferencedSOPSequence.length]));
    expect(series).toEqual({ [analysis.evidence!.ct.seriesInstanceUid]: 60, [analysis.evidence!.rtstruct.seriesInstanceUid]: 1 });
    const schemes = ds.CodingSchemeIdentificationSequence as Array<{ CodingSchemeDesignator: string }>;
    expect(schemes.map((s) => s.CodingSchemeDesignator)).toContain('99CD8');
  });

  test('TID 1500 root: language, device observer, procedure, image library, measurements', () => {
    const root = sr.root;
    expect(root.templateId).toBe('1500');
    expect(root.name?.value).toBe('126000');
    expect(child(root, { name: DCM.languageOfContent, relationship: 'HAS CONCEPT MOD' })?.code?.value).toBe('en-US');
    expect(child(root, { name: DCM.observerType, relationship: 'HAS OBS CONTEXT' })?.code?.value).toBe('121007');
    expect(child(root, { name: DCM.deviceObserverName, relationship: 'HAS OBS CONTEXT' })?.text).toBe('cd8-node');
    expect(child(root, { name: DCM.deviceObserverUid, relationship: 'HAS OBS CONTEXT' })?.uid).toMatch(/^2\.25\.\d+$/);
    expect(child(root, { name: DCM.procedureReported })?.code).toEqual({ value: '77477000', scheme: 'SCT', meaning: 'Computed tomography' });
    const library = child(root, { name: DCM.imageLibrary, valueType: 'CONTAINER', relationship: 'CONTAINS' }) as SrNode;
    const libGroup = child(library, { name: DCM.imageLibraryGroup }) as SrNode;
    expect(child(libGroup, { name: DCM.seriesInstanceUid, relationship: 'HAS ACQ CONTEXT' })?.uid).toBe(analysis.evidence!.ct.seriesInstanceUid);
    expect(children(libGroup, { valueType: 'IMAGE', relationship: 'CONTAINS' })).toHaveLength(60);
    expect(lesions).toHaveLength(3);
    // Patient summary + one per site with a scored lesion (lung, liver).
    expect(groups.filter((g) => g.templateId === '1501')).toHaveLength(3);
  });

  test('a scored lesion: tracking, image region on the CT slice, site, score, class, volume, features', () => {
    const lesion = analysis.lesions[0];
    const g = group(lesions, '1 GTV-1');
    expect(child(g, { name: DCM.trackingIdentifier })?.relationship).toBe('HAS OBS CONTEXT');
    expect(child(g, { name: DCM.trackingUniqueIdentifier, relationship: 'HAS OBS CONTEXT' })?.uid).toBe(lesion.trackingUid);
    expect(child(g, { name: DCM.finding, relationship: 'CONTAINS' })?.code?.value).toBe('52988006');

    const region = child(g, { name: DCM.imageRegion, valueType: 'SCOORD', relationship: 'CONTAINS' }) as SrNode;
    expect(region.graphicType).toBe('POLYLINE');
    expect(region.points![0]).toEqual(region.points![region.points!.length - 1]);
    expect(region.points!.slice(0, lesion.outline!.pixelPoints.length).map((p) => p.map((v) => Math.round(v * 1000) / 1000))).toEqual(lesion.outline!.pixelPoints);
    const image = region.children[0];
    expect(image.relationship).toBe('SELECTED FROM');
    expect(image.reference).toEqual(lesion.outline!.image);
    expect(analysis.evidence!.ct.instances.map((i) => i.sopInstanceUid)).toContain(image.reference!.sopInstanceUid);
    expect(child(g, { name: SCT.source, valueType: 'COMPOSITE' })?.reference?.sopInstanceUid).toBe(analysis.evidence!.rtstruct.instances[0].sopInstanceUid);
    expect(child(g, { name: DCM.referencedRoiIdentifier })?.text).toBe('1');

    expect(child(g, { name: SCT.findingSite, relationship: 'HAS CONCEPT MOD' })?.code).toEqual({ value: '39607008', scheme: 'SCT', meaning: 'Lung' });
    expect(child(g, { name: DCM.algorithmName, relationship: 'HAS CONCEPT MOD' })?.text).toBe('cd8-node');
    expect(child(g, { name: DCM.algorithmVersion, relationship: 'HAS CONCEPT MOD' })?.text).toBe('0.1.0');

    const score = child(g, { name: CD8.score, valueType: 'NUM', relationship: 'CONTAINS' }) as SrNode;
    expect(score.name).toEqual({ value: 'CD8RS', scheme: '99CD8', meaning: 'CD8 radiomic score' });
    expect(score.num).toEqual({ value: 0.8731, unit: { value: '1', scheme: 'UCUM', meaning: 'no units' } });
    expect(child(score, { name: DCM.algorithmName })?.text).toBe('cd8-node');
    expect(child(g, { name: CD8.phenotype, valueType: 'CODE', relationship: 'CONTAINS' })?.code?.value).toBe('CD8HOT');
    expect(child(g, { name: CD8.scoreStatus })?.code?.value).toBe('SCORED');
    expect(child(g, { name: CD8.reasonNotAvailable })).toBeUndefined();

    expect(child(g, { name: SCT.volume, valueType: 'NUM' })?.num).toEqual({ value: lesion.volumeMl, unit: { value: 'ml', scheme: 'UCUM', meaning: 'milliliter' } });

    const featureTerms = lesion.terms.filter((t) => t.kind === 'feature');
    const features = g.children.filter((c) => c.valueType === 'NUM' && c.name?.scheme === 'IBSI');
    expect(features.map((f) => [f.name!.value, f.name!.meaning])).toEqual(featureTerms.map((t) => [t.ibsiCode, t.ibsiName]));
    features.forEach((f, i) => {
      expect(f.relationship).toBe('CONTAINS');
      expect(f.num?.value).toBe(featureTerms[i].value);
      expect(child(f, { name: CD8.region })?.code?.value).toBe(featureTerms[i].region === 'ring' ? 'RING' : 'TUMOUR');
      expect(child(f, { name: DCM.algorithmName })?.text).toBe('cd8-node');
    });
    const contrast = features.find((f) => f.name!.value === 'ACUI') as SrNode;
    expect(child(contrast, { name: CD8.aggregation })?.code).toEqual({ value: 'IAZD', scheme: 'IBSI', meaning: '3D merged' });
    expect(features.find((f) => f.name!.value === 'Q4LE')?.num).toMatchObject({ unit: { value: "[hnsf'U]" } });
    expect(children(g, { name: CD8.covariate }).map((c) => c.text)).toEqual([expect.stringMatching(/^kvp_120 = 1; from default 120: KVP missing/), expect.stringMatching(/^site_liver = 0/)]);
    expect(children(g, { name: CD8.qualityFlag }).map((c) => c.text)).toEqual(['flag: missing-kvp: KVP (0018,0060) is missing; 120 kV assumed.']);
  });

  test('a liver lesion scored cold, and a blocked lesion with its reason and no number', () => {
    const liver = group(lesions, '2 GTV-2 liver met');
    expect(child(liver, { name: SCT.findingSite })?.code?.meaning).toBe('Liver');
    expect(child(liver, { name: CD8.phenotype })?.code?.value).toBe('CD8COLD');

    const blocked = group(lesions, '3 GTV-3 small');
    const score = child(blocked, { name: CD8.score }) as SrNode;
    expect(score.num).toEqual({ value: null, qualifier: { value: '114007', scheme: 'DCM', meaning: 'Measurement not attempted' } });
    expect(child(blocked, { name: CD8.phenotype })).toBeUndefined();
    expect(child(blocked, { name: CD8.scoreStatus })?.code?.value).toBe('BLOCKED');
    expect(child(blocked, { name: CD8.reasonNotAvailable })?.text).toMatch(/blocked by quality gate small-lesion/);
    expect(children(blocked, { name: CD8.qualityFlag }).map((c) => c.text)).toContain('blocks the score: small-lesion: lesion volume 0.42 ml is below the minimum of 1 ml.');
    // Unknown site: no finding site code, never a guess.
    expect(child(blocked, { name: SCT.findingSite })).toBeUndefined();
  });

  test('the patient summary group: counts, mean and spread, caveat, signature', () => {
    const s = patientSummaryGroup(sr) as SrNode;
    expect(child(s, { name: CD8.lesionCount })?.num).toMatchObject({ value: 3 });
    expect(child(s, { name: CD8.scoredCount })?.num).toMatchObject({ value: 2 });
    const byDerivation = (d: { value: string }) => children(s, { name: CD8.score }).find((n) => child(n, { name: DCM.derivation })?.code?.value === d.value)?.num;
    expect(byDerivation(SCT.mean)).toMatchObject({ value: 0.49825 });
    expect(byDerivation(SCT.standardDeviation)).toMatchObject({ value: 0.5301 });
    expect(byDerivation(SCT.minimum)).toMatchObject({ value: 0.1234 });
    expect(byDerivation(CD8.range)).toMatchObject({ value: 0.7497 });
    expect(child(s, { name: CD8.fractionHot })?.num).toMatchObject({ value: 0.5 });
    expect(child(s, { name: CD8.researchCaveat, valueType: 'TEXT' })?.text).toBe(RESEARCH_CAVEAT);
    expect(child(s, { name: CD8.signature })?.text).toMatch(/^cd8-test-signature 0.0-test/);
    expect(child(s, { name: CD8.analysisStatus })?.code?.value).toBe('STUDYSCORED');
    expect(lesionScores(sr).map((l) => l.score)).toEqual([0.8731, 0.1234, null]);
  });
});

test('signature incomplete: every lesion says "not available: signature incomplete", features still reported', () => {
  const sr = readSr(buildSr(signatureIncompleteStudy(), OPTIONS).bytes);
  const [lesion] = lesionScores(sr);
  expect(lesion.score).toBeNull();
  expect(lesion.status?.value).toBe('SIGINCOMPLETE');
  expect(lesion.reason).toBe('not available: signature incomplete');
  const g = measurementGroups(sr)[0];
  expect(g.children.filter((c) => c.name?.scheme === 'IBSI' && c.valueType === 'NUM')).toHaveLength(5);
  const summary = patientSummaryGroup(sr) as SrNode;
  expect(children(summary, { name: CD8.score })).toEqual([]);
  expect(child(summary, { name: CD8.studyProblem })?.text).toMatch(/^signature-incomplete: /);
});

test('a study with no lesion is still answered: summary with the reason, no lesion group', () => {
  const sr = readSr(buildSr(noLesionStudy(), OPTIONS).bytes);
  expect(measurementGroups(sr).filter((g) => g.templateId === '1411')).toEqual([]);
  const summary = patientSummaryGroup(sr) as SrNode;
  expect(child(summary, { name: CD8.lesionCount })?.num).toMatchObject({ value: 0 });
  expect(child(summary, { name: CD8.analysisStatus })?.code?.value).toBe('STUDYNOTSCORED');
  expect(child(summary, { name: CD8.studyProblem })?.text).toMatch(/^no-lesion: the RTSTRUCT has no ROI selected/);
});

test('same study version → same SOP Instance UID and bytes; a new version references the old one', () => {
  const a = buildSr(scoredStudy(), OPTIONS);
  const b = buildSr(scoredStudy(), OPTIONS);
  expect(b.sopInstanceUid).toBe(a.sopInstanceUid);
  expect(b.bytes.equals(a.bytes)).toBe(true);
  const v2 = buildSr(nextVersion(scoredStudy()), OPTIONS);
  expect(v2.sopInstanceUid).not.toBe(a.sopInstanceUid);
  expect(v2.seriesInstanceUid).toBe(a.seriesInstanceUid);
  const ds = readSr(v2.bytes).dataset;
  expect(ds.InstanceNumber).toBe(2);
  const pred = (ds.PredecessorDocumentsSequence as Array<{ ReferencedSeriesSequence: Array<{ ReferencedSOPSequence: Array<{ ReferencedSOPInstanceUID: string }> }> }>)[0];
  expect(pred.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID).toBe(a.sopInstanceUid);
});

test('non-ASCII names are written as UTF-8 and declared ISO_IR 192', () => {
  const sr = readSr(buildSr(awkwardIdentity(scoredStudy()), OPTIONS).bytes);
  expect(sr.dataset.SpecificCharacterSet).toBe('ISO_IR 192');
  const name = sr.dataset.PatientName as Array<{ Alphabetic: string }>;
  expect(name[0].Alphabetic).toBe('MÜLLER^JÜRGEN');
  expect(readSr(buildSr(scoredStudy(), OPTIONS).bytes).dataset.SpecificCharacterSet).toBeUndefined();
});
