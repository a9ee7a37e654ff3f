import { chooseInputs } from '../../../src/pipeline/studyInputs';
import { SopClass } from '../../../src/dicom/uids';
import type { StudyInstance } from '../../../src/study/types';

let n = 0;
const instance = (sopClassUid: string, over: Partial<StudyInstance> = {}): StudyInstance => ({
  sopInstanceUid: `1.2.${++n}`,
  sopClassUid,
  seriesInstanceUid: '1.2.100',
  transferSyntaxUid: '1.2.840.10008.1.2',
  path: `/spool/${n}.dcm`,
  size: 1000,
  datasetOffset: 132,
  receivedAt: new Date(1_700_000_000_000 + n * 1000),
  callingAeTitle: 'PACS',
  frameOfReferenceUid: '1.2.999',
  ...over,
});
const ct = (over: Partial<StudyInstance> = {}) => instance(SopClass.CtImageStorage, over);
const rt = (frame: string, over: Partial<StudyInstance> = {}) =>
  instance(SopClass.RtStructureSetStorage, { frameOfReferenceUid: undefined, rtstruct: { frameOfReferenceUids: [frame], seriesUids: [], imageUids: [] }, ...over });

describe('choosing the files of a study version', () => {
  it('takes every CT image and the RTSTRUCT', () => {
    const cts = [ct(), ct(), ct()];
    const rs = rt('1.2.999');
    const choice = chooseInputs([...cts, rs]);
    expect(choice).toEqual({ ok: true, inputs: { ctFiles: cts.map((c) => c.path), rtstructFile: rs.path, notes: [] } });
  });

  it('prefers the newest RTSTRUCT drawn on the received CT, and notes the others', () => {
    const older = rt('1.2.999');
    const matching = rt('1.2.999');
    const foreign = rt('1.2.555');
    const choice = chooseInputs([ct(), older, matching, foreign]);
    expect(choice.ok && choice.inputs.rtstructFile).toBe(matching.path);
    expect(choice.ok && choice.inputs.notes).toEqual([
      expect.stringMatching(new RegExp(`^RTSTRUCT ${foreign.sopInstanceUid} was not analysed`)),
      expect.stringMatching(new RegExp(`^RTSTRUCT ${older.sopInstanceUid} was not analysed`)),
    ]);
  });

  it('takes Enhanced and Legacy Converted Enhanced CT objects as CT (the loader splits them into frames)', () => {
    const enhanced = instance(SopClass.EnhancedCtImageStorage);
    const legacy = instance(SopClass.LegacyConvertedEnhancedCtImageStorage);
    const rs = rt('1.2.999');
    expect(chooseInputs([enhanced, legacy, rs])).toEqual({ ok: true, inputs: { ctFiles: [enhanced.path, legacy.path], rtstructFile: rs.path, notes: [] } });
  });

  it.each([
    ['no RTSTRUCT', () => [ct(), ct()], ['no-rtstruct']],
    ['no CT', () => [rt('1.2.999')], ['no-ct']],
  ])('explains a study with %s, and says which file identifies it', (_what, make, codes) => {
    const instances = make();
    const choice = chooseInputs(instances);
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.problems.map((p) => p.code)).toEqual(codes);
    expect(choice.problems[0].message).toMatch(/send|multi-frame/);
    expect(choice.anyFile).toBeDefined();
  });
});
