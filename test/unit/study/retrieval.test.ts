/**
 * The retrieval's states as status shows them: progress from the PACS's pending responses,
 * a failed attempt tried again after the backoff, the last reason once the attempts are spent.
 * (The sources here are scripted; the real C-MOVE/C-GET against Orthanc is
 * test/integration/node/retrieveFromPacs.test.ts.)
 */
import { Retrieval, RetrievalSource } from '../../../src/study/retrieval';
import { memoryAuditLog } from '../../../src/ops/audit';
import { silentLogger } from '../../../src/ops/logger';
import type { MoveOutcome, MoveProgress } from '../../../src/dicom/moveScu';

const missing = { seriesUids: ['1.2.3.10'], referenced: 267, missing: 267 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(sources: RetrievalSource[], maxAttempts = 2) {
  const audit = memoryAuditLog();
  const changes: string[] = [];
  const retrieval = new Retrieval(sources, { maxAttempts, backoffMs: () => 30, logger: silentLogger(), audit, onChange: (s) => changes.push(s), progressEveryMs: 0 });
  return { retrieval, audit, changes };
}

test('shows "retrieving 40 of 267 images from pacs" while the PACS reports progress, and finishes', async () => {
  let release!: (o: MoveOutcome) => void;
  const source: RetrievalSource = {
    name: 'pacs',
    move: (_q, onProgress: (p: MoveProgress) => void) => {
      // The PACS's first pending response comes a moment after the request.
      setImmediate(() => onProgress({ remaining: 227, completed: 40, failed: 0, warning: 0 }));
      return new Promise((r) => (release = r));
    },
  };
  const { retrieval, audit, changes } = setup([source]);
  expect(retrieval.start('1.2.3', 1, missing)).toEqual({ kind: 'running', reason: 'retrieving 267 missing images from pacs (retrieval requested)' });
  await sleep(5);
  expect(retrieval.state('1.2.3', 1)).toEqual({ kind: 'running', reason: 'retrieving 40 of 267 images from pacs' });
  expect(retrieval.counts()).toEqual({ running: 1, retry: 0, finished: 0, 'gave-up': 0 });
  expect(changes).toContain('1.2.3');
  // Started once per version.
  expect(retrieval.start('1.2.3', 1, missing)).toEqual({ kind: 'running', reason: 'retrieving 40 of 267 images from pacs' });
  release({ ok: true, status: 0, elapsedMs: 5, progress: { remaining: 0, completed: 267, failed: 0, warning: 0 } });
  await sleep(5);
  expect(retrieval.state('1.2.3', 1)).toEqual({ kind: 'finished', source: 'pacs' });
  expect(retrieval.counts()).toMatchObject({ running: 0, finished: 1 });
  expect(audit.events).toContainEqual(expect.objectContaining({ event: 'retrieval.done', studyInstanceUid: '1.2.3', destination: 'pacs', count: 267 }));
  retrieval.stop();
});

test('tries the next source, then again after the backoff, then gives up with the last reason', async () => {
  let calls = 0;
  const refusing = (name: string): RetrievalSource => ({
    name,
    move: async () => {
      calls++;
      return { ok: false, status: 0xa801, elapsedMs: 1, message: `${name.toUpperCase()}@h:104 did not send the images: it does not know the move destination (0xA801)` };
    },
  });
  const { retrieval, audit } = setup([refusing('a'), refusing('b')], 2);
  retrieval.start('1.2.4', 1, missing);
  await sleep(5);
  expect(retrieval.state('1.2.4', 1)).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/^waiting for images: retrieval attempt 1 of 2 failed \(A@h:104 did not send .*; B@h:104 did not send .*\); next at \d\d:\d\d:\d\d UTC$/) });
  await sleep(100);
  expect(calls).toBe(4);
  expect(retrieval.state('1.2.4', 1)).toEqual({ kind: 'gave-up', reason: expect.stringMatching(/^waiting for images: the retrieval failed 2 times; last: A@h:104 .*0xA801\); B@h:104 .*0xA801\)$/) });
  expect(audit.events.filter((e) => e.event === 'retrieval.failed')).toHaveLength(4);
  retrieval.stop();
});

test('runs at most maxConcurrent retrievals at once; the others wait their turn and all finish', async () => {
  let inFlight = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const source: RetrievalSource = {
    name: 'pacs',
    move: () => {
      most = Math.max(most, ++inFlight);
      return new Promise((r) =>
        releases.push(() => {
          inFlight--;
          r({ ok: true, status: 0, elapsedMs: 1, progress: { remaining: 0, completed: 1, failed: 0, warning: 0 } });
        }),
      );
    },
  };
  const audit = memoryAuditLog();
  const retrieval = new Retrieval([source], { maxAttempts: 1, backoffMs: () => 30, logger: silentLogger(), audit, onChange: () => undefined, maxConcurrent: 2 });
  // A restart judging many waiting studies at once.
  for (let i = 0; i < 7; i++) retrieval.start(`1.2.${i}`, 1, missing);
  await sleep(5);
  expect(inFlight).toBe(2);
  for (let n = 0; n < 100 && audit.events.filter((e) => e.event === 'retrieval.done').length < 7; n++) {
    releases.shift()?.();
    await sleep(2);
  }
  expect(most).toBe(2);
  expect(retrieval.counts()).toMatchObject({ running: 0, finished: 7 });
  retrieval.stop();
});
