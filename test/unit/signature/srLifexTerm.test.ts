/**
 * A term named by a LIFEx name that denotes a function of the IBSI value (log10 entropy) is not
 * reported under the IBSI feature's code: the SR names it as written, with its relation to IBSI.
 */
import { buildSr } from '../../../src/report/srDocument';
import { child, children, measurementGroups, readSr } from '../../../src/report/srRead';
import { DCM } from '../../../src/report/codes';
import { scoredStudy } from '../../support/studyFixtures';
import { dciodvfy, tempFile } from '../../support/dicomValidate';
import type { StudyAnalysis } from '../../../src/results/types';

function withLifexTerms(): StudyAnalysis {
  const a = scoredStudy();
  const l = a.lesions[0];
  const terms = [
    { kind: 'feature' as const, name: 'cm_joint_entr', writtenAs: 'GLCM_Entropy_log10', transform: '0.30103 * cm_joint_entr', aggregation: '3D averaged', region: 'tumour' as const, value: 0.96, coefficient: 2, contribution: 1.92 },
    { kind: 'feature' as const, name: 'ngt_busyness', writtenAs: 'NGLDM_Busyness', ibsiCode: 'NQ30', ibsiName: 'Busyness', aggregation: '3D', region: 'ring' as const, value: 4.6, coefficient: -0.2, contribution: -0.92 },
    ...l.terms.filter((t) => t.kind !== 'feature'),
  ];
  return { ...a, lesions: [{ ...l, terms }, ...a.lesions.slice(1)] };
}

test('the transformed term gets a private code named as written; the identity-mapped one keeps its IBSI code; dciodvfy finds no error', async () => {
  const bytes = buildSr(withLifexTerms(), { seriesNumber: 9901, seriesDescription: 'CD8 radiomics' }).bytes;
  const v = await dciodvfy(tempFile('sr-lifex.dcm', bytes));
  expect(v.errors).toEqual([]);
  const sr = readSr(bytes);
  const lesion = measurementGroups(sr).filter((g) => g.templateId === '1411')[0];
  const names = children(lesion, { valueType: 'NUM' }).map((n) => n.name);
  const entropy = names.find((c) => c?.meaning.startsWith('GLCM_Entropy_log10'));
  expect(entropy).toMatchObject({ scheme: '99CD8', meaning: 'GLCM_Entropy_log10 = 0.30103 * cm_joint_entr' });
  expect(names.find((c) => c?.value === 'NQ30')).toMatchObject({ scheme: 'IBSI', meaning: 'Busyness' });
  expect(child(lesion, { name: DCM.trackingIdentifier })?.text).toBe('1 GTV-1');
}, 60000);
