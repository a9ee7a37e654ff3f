/**
 * What a PACS controls during a retrieval is bounded: the image count it announces, the pending
 * responses it keeps sending, and (C-GET) the images it pushes, which must be of the study and
 * series asked for. (The real C-MOVE and C-GET against Orthanc: test/integration/node/retrieveFromPacs.test.ts.)
 */
import { retrieveResponses, MoveProgress } from '../../../src/dicom/moveScu';
import { retrievedImageProblem } from '../../../src/dicom/getScu';

const response = (status: number, counts: Partial<MoveProgress> = {}, comment?: string) => ({
  getStatus: () => status,
  getErrorComment: () => comment,
  getRemaining: () => counts.remaining ?? NaN,
  getCompleted: () => counts.completed ?? NaN,
  getFailures: () => counts.failed ?? NaN,
  getWarnings: () => counts.warning ?? NaN,
});

function follow(maxImages: number) {
  const progress: MoveProgress[] = [];
  const outcomes: unknown[] = [];
  const on = retrieveResponses({ maxImages, onProgress: (p) => progress.push(p) });
  return { progress, outcomes, send: (r: ReturnType<typeof response>) => on(r, (o) => outcomes.push(o), 'PACS@h:104') };
}

test('pending responses report progress; the final one settles with the last counts it left out', () => {
  const f = follow(100);
  f.send(response(0xff00, { remaining: 2, completed: 1, failed: 0, warning: 0 }));
  f.send(response(0xff00, { remaining: 1, completed: 2, failed: 0, warning: 0 }));
  f.send(response(0x0000));
  expect(f.progress.map((p) => p.completed)).toEqual([1, 2]);
  expect(f.outcomes).toEqual([{ ok: true, status: 0, progress: { remaining: 1, completed: 2, failed: 0, warning: 0 } }]);
});

test('a PACS announcing more images than the bound has the retrieval stopped at once', () => {
  const f = follow(10);
  f.send(response(0xff00, { remaining: 59, completed: 1, failed: 0, warning: 0 }));
  expect(f.progress).toEqual([]);
  expect(f.outcomes).toEqual([{ ok: false, message: expect.stringMatching(/^PACS@h:104 offers 60 images, more than the 10 images one retrieval may bring \(sources\.maxImagesPerRetrieval\)/) }]);
});

test('a PACS answering pending without end (no counts) is stopped after the bound', () => {
  const f = follow(5);
  for (let i = 0; i < 20; i++) f.send(response(0xff00));
  // One pending response per image and one before the first.
  expect(f.progress).toHaveLength(6);
  expect(f.outcomes[0]).toEqual({ ok: false, message: 'PACS@h:104 kept answering pending (7 responses), beyond the 5 images one retrieval may bring (sources.maxImagesPerRetrieval); the retrieval was stopped.' });
});

test('negative or absurd counts are read as none; a failure names the status and a bounded comment', () => {
  const f = follow(100);
  f.send(response(0xff00, { remaining: -5, completed: Infinity, failed: 0, warning: 0 }));
  expect(f.progress).toEqual([{ remaining: 0, completed: 0, failed: 0, warning: 0 }]);
  f.send(response(0xa801, {}, 'x'.repeat(5000)));
  const [failure] = f.outcomes as Array<{ ok: false; message: string; status: number }>;
  expect(failure).toMatchObject({ ok: false, status: 0xa801 });
  expect(failure.message).toMatch(/^PACS@h:104 did not send the images: .*\(0xA801\)/);
  expect(failure.message.length).toBeLessThan(400);
});

test('a C-GET image of another study or series than asked for is refused', () => {
  const query = { studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4' };
  expect(retrievedImageProblem({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4' }, query)).toBeUndefined();
  expect(retrievedImageProblem({ studyInstanceUid: '9.9', seriesInstanceUid: '1.2.3.4' }, query)).toBe('it belongs to study 9.9, not to the study asked for');
  expect(retrievedImageProblem({ studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.5' }, query)).toBe('it belongs to series 1.2.3.5, not to the series asked for');
  // A study-level retrieval takes any series of the study.
  expect(retrievedImageProblem({ studyInstanceUid: '1.2.3', seriesInstanceUid: '7' }, { studyInstanceUid: '1.2.3' })).toBeUndefined();
});
