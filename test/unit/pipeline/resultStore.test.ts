import { outcomeLine, signatureKey } from '../../../src/results/resultStore';
import { scoredStudy, signatureIncompleteStudy, nextVersion } from '../../support/studyFixtures';
import { ENGINES, testStorages } from '../../support/storage';

const storages = testStorages();

describe.each(ENGINES)('result store on %s', (engine) => {
  it('keeps each analysed version and gives the cohort of latest scores, without the study at hand', async () => {
    const store = (await storages.open(engine)).results;
    const a = scoredStudy();
    await store.save(a);
    const scores = a.lesions.filter((l) => l.score !== null).map((l) => l.score);
    const sig = signatureKey(a.signature);
    expect((await store.cohortScores(sig)).sort()).toEqual([...scores].sort());
    expect(await store.cohortScores(sig, a.study.studyInstanceUid)).toEqual([]);
    // A new version replaces the old one's scores in the cohort.
    const v2 = nextVersion(a);
    v2.lesions = v2.lesions.map((l) => (l.score === null ? l : { ...l, score: l.score + 100 }));
    await store.save(v2);
    expect((await store.cohortScores(sig)).sort()).toEqual(scores.map((s) => s! + 100).sort());
    expect(await store.get(a.study.studyInstanceUid, 1)).toEqual(a);
    expect(await store.get(a.study.studyInstanceUid, 3)).toBeUndefined();
    expect(await store.counts(0)).toEqual({ analysed: 2, scored: 2, notScored: 0 });
    // Saving the same version again replaces it.
    await store.save(v2);
    expect(await store.counts(0)).toEqual({ analysed: 2, scored: 2, notScored: 0 });
  });

  it('keeps the scores of another signature (or another version of it) out of the cohort', async () => {
    const store = (await storages.open(engine)).results;
    const a = scoredStudy();
    await store.save(a);
    const other = { ...scoredStudy(), study: { ...a.study, studyInstanceUid: `${a.study.studyInstanceUid}.2` }, signature: { ...a.signature, version: `${a.signature.version}-corrected` } };
    await store.save(other);
    const scored = a.lesions.filter((l) => l.score !== null).length;
    expect(await store.cohortScores(signatureKey(a.signature))).toHaveLength(scored);
    expect(await store.cohortScores(signatureKey(other.signature))).toHaveLength(scored);
    expect(await store.cohortScores('another signature 1')).toEqual([]);
  });
});

it('says in one line what came out', () => {
  expect(outcomeLine(scoredStudy())).toMatch(/^\d+ lesions?, \d+ scored: CD8 score mean -?[\d.]+, min -?[\d.]+, max -?[\d.]+, \d+ hot \/ \d+ cold$/);
  expect(outcomeLine(signatureIncompleteStudy())).toMatch(/^not scored \(1 lesion\): /);
});
