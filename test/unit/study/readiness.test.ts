/** The readiness rules: know when you can (RTSTRUCT references complete), else wait for the stable age. */
import { decideReadiness, ReadinessFacts, REPORT_ALWAYS, RtStructFacts } from '../../../src/study/readiness';

const FRAME = '1.2.9';
const ctSeries = { seriesInstanceUid: '1.2.10', isCt: true, frameOfReferenceUid: FRAME, instanceCount: 60 };
const rtSeries = { seriesInstanceUid: '1.2.20', isCt: false, instanceCount: 1 };
const rt = (over: Partial<RtStructFacts> = {}): RtStructFacts => ({
  sopInstanceUid: '1.2.20.1',
  frameOfReferenceUids: [FRAME],
  referencedImageCount: 60,
  missingImageCount: 0,
  missingImageExamples: [],
  ...over,
});
const facts = (over: Partial<ReadinessFacts> = {}): ReadinessFacts => ({ series: [ctSeries, rtSeries], rtstructs: [rt()], lastReceivedAt: 10_000, ...over });
const STABLE = 30_000;

describe('decideReadiness', () => {
  it('is ready at once when every image the RTSTRUCT lists has arrived and its frame matches a CT series', () => {
    expect(decideReadiness(facts(), 10_001, STABLE)).toEqual({ ready: true, reason: 'references-complete', notes: [], missingReferences: [] });
  });

  it('waits for the stable age while listed images are missing, then reports them', () => {
    const missing = facts({ rtstructs: [rt({ missingImageCount: 2, missingImageExamples: ['1.2.10.7', '1.2.10.8'] })] });
    expect(decideReadiness(missing, 20_000, STABLE)).toEqual({ ready: false, checkAt: 40_000 });
    expect(decideReadiness(missing, 40_000, STABLE)).toEqual({
      ready: true,
      reason: 'stable-age',
      notes: ['RTSTRUCT 1.2.20.1 lists 60 contour images; 2 of them were not received (e.g. 1.2.10.7, 1.2.10.8).'],
      missingReferences: [{ rtstructSopInstanceUid: '1.2.20.1', referenced: 60, missing: 2, examples: ['1.2.10.7', '1.2.10.8'] }],
    });
  });

  it('cannot know without an image list: ready after the stable age, saying why', () => {
    const noList = facts({ rtstructs: [rt({ referencedImageCount: 0 })] });
    expect(decideReadiness(noList, 39_999, STABLE).ready).toBe(false);
    expect(decideReadiness(noList, 40_000, STABLE)).toMatchObject({
      ready: true,
      reason: 'stable-age',
      notes: ['RTSTRUCT 1.2.20.1 lists no contour images, so completeness was judged by the stable age.'],
    });
  });

  it('waits for every RTSTRUCT of the study, not just the first complete one', () => {
    const two = facts({ rtstructs: [rt(), rt({ sopInstanceUid: '1.2.20.2', missingImageCount: 5, missingImageExamples: ['1.2.10.1'] })] });
    expect(decideReadiness(two, 10_001, STABLE).ready).toBe(false);
  });

  it('with withoutContours/withoutImages = report: names a frame-of-reference mismatch, a missing CT and a missing RTSTRUCT in its notes', () => {
    const otherFrame = facts({ rtstructs: [rt({ frameOfReferenceUids: ['1.2.99'] })] });
    expect(decideReadiness(otherFrame, 10_001, STABLE, REPORT_ALWAYS).ready).toBe(false);
    expect(decideReadiness(otherFrame, 40_000, STABLE, REPORT_ALWAYS)).toMatchObject({
      notes: ['RTSTRUCT 1.2.20.1 references frame of reference 1.2.99, but no CT series with that frame was received.'],
    });
    expect(decideReadiness(facts({ series: [rtSeries] }), 40_000, STABLE, REPORT_ALWAYS)).toMatchObject({ ready: true, notes: ['no CT image series was received.'] });
    expect(decideReadiness(facts({ series: [ctSeries], rtstructs: [] }), 40_000, STABLE, REPORT_ALWAYS)).toMatchObject({ ready: true, notes: ['no RTSTRUCT was received.'] });
  });

  it('by default lets a CT without contours wait after the stable age instead of making it ready', () => {
    const ctOnly = facts({ series: [ctSeries], rtstructs: [] });
    expect(decideReadiness(ctOnly, 39_999, STABLE)).toEqual({ ready: false, checkAt: 40_000 });
    expect(decideReadiness(ctOnly, 40_000, STABLE)).toEqual({
      ready: false,
      waitingFor: 'contours',
      reason: 'waiting for contours: a CT series arrived but no RTSTRUCT; it is processed when one arrives.',
      notes: ['no RTSTRUCT was received.'],
    });
  });

  it('by default lets an RTSTRUCT wait for its CT: none at all, or none in its frame of reference', () => {
    expect(decideReadiness(facts({ series: [rtSeries] }), 40_000, STABLE)).toMatchObject({
      ready: false,
      waitingFor: 'images',
      reason: 'waiting for images: an RTSTRUCT arrived but no CT series; it is processed when the CT arrives.',
    });
    expect(decideReadiness(facts({ rtstructs: [rt({ frameOfReferenceUids: ['1.2.99'] })] }), 40_000, STABLE)).toMatchObject({
      ready: false,
      waitingFor: 'images',
      reason: 'waiting for images: no CT series in the frame of reference its RTSTRUCT references; it is processed when the CT arrives.',
    });
    // The CT is here but some listed images are not (e.g. re-identified data): processed with notes, as before.
    expect(decideReadiness(facts({ rtstructs: [rt({ missingImageCount: 2, missingImageExamples: ['1.2.10.7'] })] }), 40_000, STABLE)).toMatchObject({ ready: true });
  });
});
