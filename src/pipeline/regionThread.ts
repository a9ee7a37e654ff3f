/**
 * A lesion's tumour and peritumoral ring on two cores at once. Their features are most of a
 * study's analysis (~0.9 of ~1.2 s of CPU for the IBSI phantom's 367 ml lesion), and the two
 * regions share only the interpolation of image and mask: the analysis worker interpolates once
 * (prepareLesion), hands a copy of the interpolated box (~15 MB for that lesion) to a second
 * worker thread it keeps beside it (regionWorker.ts), and computes the tumour's features while
 * that thread computes the ring's. The features are those of the one-thread path bit for bit: the
 * same prepared arrays go through the same extractFromPrepared (only the local-intensity sphere
 * means, which depend on the image alone, are computed by each thread instead of once).
 *
 * Memory: two threads hold their working sets at once (~50 MB more for that lesion), so the
 * part's HU volume and masks, which only the interpolation, the ring-outside-body fraction and the
 * key slice read, are let go before the features (a 1,000-slice 512 × 512 study keeps its peak).
 * If the region thread has died, the analysis worker computes the ring itself: same answer, later.
 *
 * A rehearsal's ring can be stopped (rehearsal.ts: a job has come): the region thread asks, between
 * feature steps, an Int32 in memory shared with the analysis worker that names the last request
 * its sender gave up, and answers ExtractionStopped, free for the job's lesion a step later.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExtractionStopped, extractFromPrepared } from '../radiomics';
import type { ExtractionResult, PreparedImage, RadiomicsSettings, Region, StopCheck } from '../radiomics';
import type { ImagingStudy } from '../imaging/study';
import { featureFailure, lesionRingOutsideBody, LesionMeasures, LesionRegions, measureLesion, prepareLesion } from '../cd8/scoreStudy';
import { collectGarbage } from './threadMemory';

/**
 * Lesions smaller than this are measured on one thread: their two regions take a few
 * milliseconds each, less than handing one over and waking the other thread.
 */
export const TWO_THREADS_MIN_ML = 1;

/** One region of a prepared lesion, for the region thread (PreparedImage without its per-thread cache). */
export interface RegionRequest {
  id: number;
  prepared: Omit<PreparedImage, 'shared'>;
  settings: RadiomicsSettings;
  region: Region;
  /** Its sender may give it up (a rehearsal's): the thread then asks the shared stop slot between steps. */
  stoppable: boolean;
}

export type RegionReply = { id: number; result: ExtractionResult } | { id: number; error: string } | { id: number; stopped: true };

/** Given to the region thread when it starts. */
export interface RegionWorkerData {
  /** Warm the ring's feature code up with these settings while waiting for the first lesion. */
  warmUpSettings?: RadiomicsSettings;
  /** One Int32 shared with the analysis worker: the highest request id given up (see stopSlot). */
  stopSlot?: SharedArrayBuffer;
}

/**
 * The region thread's side of the stop slot: whether the stoppable request `id` has been given up.
 * Request ids only grow and the region thread answers them in order, so "id ≤ the slot" covers
 * every request given up before it, without a slot per request.
 */
export function givenUp(slot: Int32Array | undefined, request: Pick<RegionRequest, 'id' | 'stoppable'>): StopCheck | undefined {
  if (!slot || !request.stoppable) return undefined;
  return () => Atomics.load(slot, 0) >= request.id;
}

/** How often a pending stoppable request's stop check is asked while the analysis worker waits for it (ms). */
const STOP_POLL_MS = 10;

/** The region thread stopped (crashed, or was ended) before it answered. */
export class RegionThreadLostError extends Error {
  override readonly name = 'RegionThreadLostError';
}

export interface RegionThread {
  /**
   * The features of `region` of a prepared lesion, computed on the region thread. With
   * `shouldStop`, it is given up (rejects with ExtractionStopped) once that says so: asked while
   * this thread waits for the answer, and at once by `giveUp()`.
   */
  extract(prepared: PreparedImage, settings: RadiomicsSettings, region: Region, shouldStop?: StopCheck): Promise<ExtractionResult>;
  /** Gives up every pending request made with a stop check (this thread stopped needing them while it computed). */
  giveUp(): void;
  /** Whether it can still take requests. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** The compiled entry: beside this module in dist/, or (running from sources, in tests) in dist/ after `npm run build`. */
const ENTRY = [join(__dirname, 'regionWorker.js'), join(__dirname, '..', '..', 'dist', 'pipeline', 'regionWorker.js')].find((p) => existsSync(p));

/** Starts the region thread (undefined without a build to run it from). */
export function startRegionThread(data: RegionWorkerData = {}): RegionThread | undefined {
  if (!ENTRY) return undefined;
  const stopSlot = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const stopped = new Int32Array(stopSlot);
  const worker = new Worker(ENTRY, { workerData: { ...data, stopSlot } satisfies RegionWorkerData });
  type Pending = { resolve: (r: ExtractionResult) => void; reject: (e: Error) => void; poll?: NodeJS.Timeout };
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let gone = false;
  const settle = (id: number): Pending | undefined => {
    const p = pending.get(id);
    if (!p) return undefined;
    pending.delete(id);
    clearInterval(p.poll);
    if (pending.size === 0) worker.unref();
    return p;
  };
  const markGivenUp = (id: number) => Atomics.store(stopped, 0, Math.max(Atomics.load(stopped, 0), id));
  const lose = (why: string) => {
    gone = true;
    for (const id of [...pending.keys()]) settle(id)?.reject(new RegionThreadLostError(`the region thread ${why}`));
  };
  worker.on('error', (e) => lose(`failed: ${e.message}`));
  worker.on('exit', (code) => lose(`stopped (exit code ${code})`));
  worker.on('message', (reply: RegionReply) => {
    const p = settle(reply.id);
    if (!p) return;
    if ('result' in reply) p.resolve(reply.result);
    else if ('stopped' in reply) p.reject(new ExtractionStopped());
    // The extraction's own error, as the one-thread path would have thrown it.
    else p.reject(new Error(reply.error));
  });
  // Idle, it keeps nothing alive; with a request out, its answer is awaited.
  worker.unref();
  return {
    extract(prepared, settings, region, shouldStop) {
      if (gone) return Promise.reject(new RegionThreadLostError('has stopped'));
      const { shared: _perThread, ...plain } = prepared;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const p: Pending = { resolve, reject };
        // While this thread waits (its tumour done), nothing else would ask: a timer does.
        if (shouldStop) p.poll = setInterval(() => shouldStop() && markGivenUp(id), STOP_POLL_MS).unref();
        pending.set(id, p);
        worker.ref();
        try {
          // Copied (structured clone), not transferred: a transfer detaches the buffers, which costs
          // the sender's optimised typed-array code (see analysisWorker.ts).
          worker.postMessage({ id, prepared: plain, settings, region, stoppable: shouldStop !== undefined } satisfies RegionRequest);
        } catch (e) {
          // Not sent (e.g. a value that cannot be cloned): no timer nor reference may stay behind.
          settle(id)?.reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    },
    giveUp() {
      for (const [id, p] of pending) if (p.poll) markGivenUp(id);
    },
    alive: () => !gone,
    async stop() {
      await worker.terminate();
    },
  };
}

/** A lesion ready for its features: its interpolated box and its ring-outside-body fraction (or the error it gave). */
type StagedLesion = { failure: string } | { prepared: PreparedImage; twoThreads: boolean; outside: { value: number } | { error: unknown } };

/** The ring asked of the region thread; awaited later, so a rejection must not count as unhandled until then. */
function askRing(thread: RegionThread, prepared: PreparedImage, settings: RadiomicsSettings, shouldStop?: StopCheck): Promise<ExtractionResult> {
  const ring = thread.extract(prepared, settings, 'ring', shouldStop);
  ring.catch(() => undefined);
  return ring;
}

/** The ring from the region thread, or computed here if the thread has stopped. */
async function ringFrom(asked: Promise<ExtractionResult>, prepared: PreparedImage, settings: RadiomicsSettings, shouldStop?: StopCheck): Promise<ExtractionResult> {
  try {
    return await asked;
  } catch (e) {
    if (!(e instanceof RegionThreadLostError)) throw e;
    return extractFromPrepared(prepared, settings, 'ring', shouldStop);
  }
}

/**
 * `shouldStop` that stays true once it has said so: the job that ended a rehearsal lowers the
 * signal when it starts, before the region thread's pending ring is given up.
 */
function latched(shouldStop: StopCheck | undefined): StopCheck | undefined {
  if (!shouldStop) return undefined;
  let said = false;
  return () => (said ||= shouldStop());
}

/**
 * The measures of each lesion of `study` (in its order), the same as measureLesion's. With a live
 * region thread: first everything that needs the pixels (each lesion's interpolated box and
 * ring-outside-body fraction; the first large lesion's ring is asked of the region thread as soon
 * as its box exists), then `releasePixels` (the caller lets go of the part's HU volume and masks,
 * tens of MB for a 512 × 512 CT, before two threads hold their working sets), then each lesion's
 * features: the tumour here, the ring on the region thread for lesions of at least
 * TWO_THREADS_MIN_ML. Without one, measureLesion for each lesion (the pixels are kept).
 * `shouldStop` (a rehearsal's) ends it between feature steps with ExtractionStopped, on both
 * threads: the region thread's ring is given up too.
 */
export async function measureLesions(
  study: ImagingStudy,
  settings: RadiomicsSettings,
  thread: RegionThread | undefined,
  releasePixels: () => void,
  shouldStop?: StopCheck,
): Promise<LesionMeasures[]> {
  if (!thread?.alive()) return study.lesions.map((lesion) => measureLesion(study, lesion, settings, shouldStop));
  const stop = latched(shouldStop);
  try {
    return await measureOnTwoThreads(study, settings, thread, releasePixels, stop);
  } catch (e) {
    if (e instanceof ExtractionStopped) thread.giveUp();
    throw e;
  }
}

async function measureOnTwoThreads(study: ImagingStudy, settings: RadiomicsSettings, thread: RegionThread, releasePixels: () => void, shouldStop: StopCheck | undefined): Promise<LesionMeasures[]> {
  const asked = new Map<StagedLesion, Promise<ExtractionResult>>();
  const staged = study.lesions.map((lesion): StagedLesion => {
    let prepared: PreparedImage;
    try {
      prepared = prepareLesion(study, lesion, settings);
    } catch (e) {
      return { failure: featureFailure(e) };
    }
    const twoThreads = lesion.summary.volumeMl >= TWO_THREADS_MIN_ML;
    const ring = twoThreads && asked.size === 0 ? askRing(thread, prepared, settings, shouldStop) : undefined;
    // The one-thread path computes the fraction only once the features exist: an error here
    // counts only if they do.
    let outside: { value: number } | { error: unknown };
    try {
      outside = { value: lesionRingOutsideBody(lesion, settings) };
    } catch (error) {
      outside = { error };
    }
    const s = { prepared, twoThreads, outside };
    if (ring) asked.set(s, ring);
    return s;
  });
  releasePixels();
  // The pixels' memory goes back at once, while the region thread has its first ring.
  if (asked.size > 0) collectGarbage();
  const measures: LesionMeasures[] = [];
  for (const s of staged) {
    if ('failure' in s) {
      measures.push(s);
      continue;
    }
    let regions: LesionRegions;
    try {
      if (s.twoThreads) {
        const ring = asked.get(s) ?? askRing(thread, s.prepared, settings, shouldStop);
        regions = { roi: extractFromPrepared(s.prepared, settings, 'roi', shouldStop), ring: await ringFrom(ring, s.prepared, settings, shouldStop) };
      } else {
        // In this order the ring reuses the tumour's local-intensity sphere means, as in extractRegions.
        regions = { roi: extractFromPrepared(s.prepared, settings, 'roi', shouldStop), ring: extractFromPrepared(s.prepared, settings, 'ring', shouldStop) };
      }
    } catch (e) {
      if (e instanceof ExtractionStopped) throw e; // not the lesion's failure: nobody needs the answer
      measures.push({ failure: featureFailure(e) });
      continue;
    }
    if ('error' in s.outside) throw s.outside.error;
    measures.push({ regions, ringOutsideBodyFraction: s.outside.value });
  }
  return measures;
}
