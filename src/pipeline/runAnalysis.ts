/**
 * Runs the analysis of one study version in a worker thread (inline when running from sources).
 * The node keeps one worker started ahead of the next job: a new thread needs ~0.25 s to load its
 * modules, and its feature code runs ~1.6x slower until V8 has optimised it; both would otherwise
 * add to every study's time to answer. A fresh spare loads its modules and warms up on a synthetic
 * lesion (warmUp.ts) while it waits; after its job the worker becomes the spare again, its code
 * optimised by a real study, unless it has served `maxJobsPerWorker` studies or its heap stayed
 * large (`recycleHeapMb`): then it exits, its memory goes back to the system, and a fresh spare
 * starts once it has gone (two studies' memory never overlap). The idle spare costs ~35 MB of
 * memory fresh, ~60 MB once warmed up, and ~30 MB more for the region thread it keeps with
 * jobs.lesionThreads 2 (regionThread.ts: each lesion's tumour and ring on two cores).
 *
 * A job answers twice: the scored analysis as soon as it exists (the SR and ORU need nothing
 * more), then the pictures, drawn afterwards; `run(job, onScored)` hands the first to `onScored`.
 */
import { errorText } from '../ops/errorText';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema';
import type { Logger } from '../ops/logger';
import type { StudyAnalysis } from '../results/types';
import type { ScoringRun } from '../cd8/scoreStudy';
import { loadScoringSetup } from './setup';
import { analyseStudyFiles } from './analyseFiles';
import { renderStudyPictures, StudyPictures } from '../report/pictures';
import type { RegionThread } from './regionThread';
import { REHEARSE_MAX_SECONDS, scoredSoonEnough } from './rehearsal';
import { makeSyntheticStudyDir } from './syntheticRehearsal';
import { JobSignal } from './jobSignal';

export interface AnalysisJob {
  ctFiles: string[];
  rtstructFile: string;
  config: Config;
  run: ScoringRun;
}

/** An analysis and its pictures (drawn in the worker, while nothing else needs its CPU). */
export interface AnalysisOutcome {
  analysis: StudyAnalysis;
  pictures?: StudyPictures;
  /** Why there are no pictures, when drawing them failed (the analysis stands). */
  picturesError?: string;
}

/** What the runner sends a worker: a job, or a study to rehearse before its first job (rehearsal.ts). */
export type AnalysisRequest = AnalysisJob | { rehearse: AnalysisJob };

/** The worker's messages for one job: `scored` first (unless it fails before), then `done` or `failed`. */
export type AnalysisReply =
  | { kind: 'scored'; analysis: StudyAnalysis }
  | ({ kind: 'done'; heap: WorkerHeap; rehearsals?: number } & AnalysisOutcome)
  | { kind: 'failed'; message: string; heap?: WorkerHeap }
  /**
   * Between jobs: a rehearsal (rehearsal.ts) ended, with the analyses it completed; `synthetic`
   * when it was the synthetic study of a spare given nothing to rehearse (syntheticRehearsal.ts).
   */
  | { kind: 'rehearsed'; analyses: number; synthetic?: boolean };

/** The worker's V8 heap and the array buffers it holds after a job (MiB), for the recycling decision. */
export interface WorkerHeap {
  totalMb: number;
  usedMb: number;
}

/** Called once per job with the scored analysis, before the pictures are drawn. */
export type OnScored = (analysis: StudyAnalysis) => void;

/** Given to each worker when it starts. */
export interface AnalysisWorkerData {
  /** The node's configuration: the worker warms up its feature code with the signature's radiomics settings. */
  warmUpConfig?: Config;
  /**
   * An empty private directory where a spare given nothing to rehearse writes a synthetic study
   * after its warm-up (syntheticRehearsal.ts); removed when the worker exits, if not before.
   */
  syntheticStudyDir?: string;
  /** JobSignal's shared flag: set by the runner as it posts a job, so that a rehearsal stops mid-lesion. */
  jobSignal?: SharedArrayBuffer;
  /** Seconds one analysis of a rehearsal may run; also the time to a score under which a study is rehearsed (rehearsal.ts; default REHEARSE_MAX_SECONDS). */
  rehearseMaxSeconds?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Analyses a study, hands the scored analysis to `onScored`, then draws its pictures. The pictures
 * come after the SR and ORU are built and queued: they take a few hundred ms (fonts, PNG, PDF),
 * and the SR does not reference them.
 */
export async function analyseJob(job: AnalysisJob, onScored?: OnScored, regionThread?: RegionThread): Promise<AnalysisOutcome> {
  const setup = loadScoringSetup(job.config);
  const { analysis, keySlices } = await analyseStudyFiles(job.ctFiles, job.rtstructFile, job.config, setup, job.run, regionThread);
  if (onScored) {
    onScored(analysis);
    // Inline (no worker), the caller's queueing of the SR starts before the drawing takes the thread.
    await nextTurn();
  }
  const { summary, pictures } = job.config.report;
  try {
    const drawn = await renderStudyPictures(analysis, keySlices, { ...pictures, ringOuterMm: setup.radiomics.ring.outerMm }, summary === 'pdf' || summary === 'both');
    return { analysis, pictures: drawn };
  } catch (e) {
    return { analysis, picturesError: `the pictures could not be drawn: ${errorText(e)}` };
  }
}

/** The compiled worker entry: beside this module in dist/, or (running from sources, in tests) in dist/ after `npm run build`. */
const WORKER_ENTRY = [join(__dirname, 'analysisWorker.js'), join(__dirname, '..', '..', 'dist', 'pipeline', 'analysisWorker.js')].find((p) => existsSync(p));

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** The runner was stopped while this analysis ran: nothing is wrong with the study. */
export class AnalysisStoppedError extends Error {
  override readonly name = 'AnalysisStoppedError';
  constructor() {
    super('the analysis was stopped because the node is stopping');
    this.name = 'AnalysisStoppedError';
  }
}

export interface AnalysisRunner {
  /** Analyses one study version in a worker (the spare); `onScored` gets the analysis before the pictures are drawn. */
  run(job: AnalysisJob, onScored?: OnScored): Promise<AnalysisOutcome>;
  /**
   * A study (the node's last analysed, at start) that a fresh spare analyses once after its
   * warm-up and before its first job, so that its first job runs on code settled by real data
   * (rehearsal.ts). Later fresh spares (after a recycle) rehearse the last job run.
   */
  rehearseWith(job: AnalysisJob): void;
  /**
   * Ends the idle spare worker and any analysis still running (its promise rejects with
   * AnalysisStoppedError). The node calls it after the job workers' shutdown grace, which has
   * handed such jobs back to the queue: a worker left running would keep the process alive for
   * up to the analysis time limit after "stopped".
   */
  stop(): Promise<void>;
}

export interface AnalysisRunnerOptions {
  /** A stuck analysis is stopped after this long and counts as a (transient) failure. */
  timeoutMs?: number;
  /** Keep a worker started ahead of the next job (default true). */
  spare?: boolean;
  /** The node's configuration: a worker waiting for its job warms up with its radiomics settings. */
  warmUpConfig?: Config;
  /** A worker is replaced by a fresh one after this many studies (default 50). */
  maxJobsPerWorker?: number;
  /** A worker whose heap (V8 heap and array buffers, MiB) is larger than this after a job is replaced (default 192). */
  recycleHeapMb?: number;
  /** Says at debug level whether a worker is kept or replaced after a job, and why. */
  logger?: Logger;
  /** Where a spare given nothing to rehearse makes its synthetic study's private directory (default: os.tmpdir()). */
  syntheticStudyParent?: string;
  /**
   * Seconds one analysis of a rehearsal may run; also the time to a score under which a study is
   * rehearsed (a worker's own first study: FIRST_STUDY_COLD_FACTOR times it; default
   * REHEARSE_MAX_SECONDS). Tests raise it so that a loaded machine does not decide their outcome.
   */
  rehearseMaxSeconds?: number;
}

export const DEFAULT_MAX_JOBS_PER_WORKER = 50;
export const DEFAULT_RECYCLE_HEAP_MB = 192;

/** A started worker waiting for its job; unref'd, so an idle spare never keeps a process alive. */
interface StartedWorker {
  worker: Worker;
  exited: Promise<void>;
  failed: () => boolean;
  /** Jobs this worker has run (or is running). */
  jobs: number;
  /** Raised with each job posted (JobSignal). */
  signal: JobSignal;
}

function startWorker(entry: string, data: AnalysisWorkerData, logger?: Logger): StartedWorker {
  const signal = new JobSignal();
  const worker = new Worker(entry, { workerData: { ...data, jobSignal: signal.buffer } satisfies AnalysisWorkerData });
  const dir = data.syntheticStudyDir;
  if (dir)
    worker.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Left in the temporary directory: the system's cleaner removes it.
      }
    });
  let failed = false;
  worker.on('message', (reply: AnalysisReply) => {
    if (reply.kind === 'rehearsed') logger?.debug('analysis worker rehearsed a study while waiting', { analyses: reply.analyses, study: reply.synthetic ? 'synthetic' : 'real' });
  });
  // Until a job takes it, a failing spare is only noted: the job that takes it starts a fresh one.
  worker.on('error', () => (failed = true));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => (failed = true));
  worker.unref();
  return { worker, exited, failed: () => failed, jobs: 0, signal };
}

interface RunningAnalysis {
  worker: Worker;
  /** Rejects the analysis with AnalysisStoppedError (the caller terminates the worker). */
  abandon(): void;
}

/** A job's end as the worker reported it: whether the worker may take another job. */
type JobEnd = { reusable: boolean; heap?: WorkerHeap; rehearsals?: number };

function runIn(
  started: StartedWorker,
  job: AnalysisJob,
  onScored: OnScored | undefined,
  timeoutMs: number,
  running: Set<RunningAnalysis>,
  ended: (end: JobEnd) => void,
): Promise<AnalysisOutcome> {
  const { worker } = started;
  started.jobs++;
  worker.ref();
  return new Promise((resolve, reject) => {
    let settled = false;
    const entry: RunningAnalysis = { worker, abandon: () => settle({ reusable: false }, () => reject(new AnalysisStoppedError())) };
    running.add(entry);
    const onMessage = (reply: AnalysisReply) => {
      if (settled || reply.kind === 'rehearsed') return;
      if (reply.kind === 'scored') {
        // The caller's failure to queue is its own: it must not look like the worker's.
        try {
          onScored?.(reply.analysis);
        } catch {
          // onScored only starts work (the processor awaits it separately).
        }
        return;
      }
      if (reply.kind === 'done') settle({ reusable: true, heap: reply.heap, rehearsals: reply.rehearsals }, () => resolve(outcomeOf(reply)));
      else settle({ reusable: true, heap: reply.heap }, () => reject(new Error(reply.message)));
    };
    const onError = (e: Error) => settle({ reusable: false }, () => reject(e));
    const onExit = (code: number) => settle({ reusable: false }, () => reject(new Error(`the analysis worker stopped (exit code ${code}) before answering`)));
    const settle = (end: JobEnd, f: () => void) => {
      if (settled) return;
      settled = true;
      running.delete(entry);
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      worker.unref();
      ended(end);
      f();
    };
    const timer = setTimeout(() => {
      settle({ reusable: false }, () => reject(new Error(`the analysis did not finish within ${Math.round(timeoutMs / 60000)} min and was stopped`)));
      void worker.terminate();
    }, timeoutMs);
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    started.signal.post();
    worker.postMessage(job satisfies AnalysisRequest);
  });
}

/** Structured clone turns Buffers into Uint8Arrays: the PNG and PDF bytes become Buffers again. */
function outcomeOf(reply: AnalysisOutcome): AnalysisOutcome {
  const { analysis, pictures, picturesError } = reply;
  const buffer = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    analysis,
    ...(picturesError ? { picturesError } : {}),
    ...(pictures
      ? {
          pictures: {
            lesions: pictures.lesions.map((p) => ({ ...p, png: buffer(p.png) })),
            summary: { ...pictures.summary, png: buffer(pictures.summary.png) },
            ...(pictures.pdf ? { pdf: buffer(pictures.pdf) } : {}),
          },
        }
      : {}),
  };
}

export function startAnalysisRunner(options: AnalysisRunnerOptions = {}): AnalysisRunner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxJobs = options.maxJobsPerWorker ?? DEFAULT_MAX_JOBS_PER_WORKER;
  const recycleHeapMb = options.recycleHeapMb ?? DEFAULT_RECYCLE_HEAP_MB;
  const keepSpare = (options.spare ?? true) && WORKER_ENTRY !== undefined;
  const rehearseMaxSeconds = options.rehearseMaxSeconds ?? REHEARSE_MAX_SECONDS;
  /** What every worker is told, spare or not. */
  const everyWorker: AnalysisWorkerData = { rehearseMaxSeconds };
  let spare: StartedWorker | undefined;
  const running = new Set<RunningAnalysis>();
  let stopped = false;
  // Only a spare warms up; a worker started for a job that is waiting goes straight to it.
  const spareData: AnalysisWorkerData = { ...everyWorker, warmUpConfig: options.warmUpConfig };
  /** The study a fresh spare rehearses: the last job run, or the one given by rehearseWith. */
  let lastJob: AnalysisJob | undefined;
  let jobsRun = 0;
  const askToRehearse = (w: StartedWorker) => {
    if (lastJob && w.jobs === 0) w.worker.postMessage({ rehearse: lastJob } satisfies AnalysisRequest);
  };
  /** A spare with nothing to rehearse gets a directory for a synthetic study (syntheticRehearsal.ts). */
  const syntheticStudy = (): Pick<AnalysisWorkerData, 'syntheticStudyDir'> => {
    if (lastJob || !options.warmUpConfig) return {};
    try {
      return { syntheticStudyDir: makeSyntheticStudyDir(options.syntheticStudyParent) };
    } catch {
      // No temporary directory (full or read-only disk): the spare only warms up.
      return {};
    }
  };
  const refill = () => {
    if (keepSpare && !stopped && !spare) {
      spare = startWorker(WORKER_ENTRY!, { ...spareData, ...syntheticStudy() }, options.logger);
      askToRehearse(spare);
    }
  };
  refill();
  /** After a job: the worker waits for the next one (its code optimised), or makes way for a fresh spare. */
  const afterJob = (started: StartedWorker, end: JobEnd) => {
    const heapMb = end.heap?.totalMb ?? Infinity;
    const keep = end.reusable && keepSpare && !stopped && !spare && !started.failed() && started.jobs < maxJobs && heapMb <= recycleHeapMb;
    const facts = { studies: started.jobs, rehearsals: end.rehearsals ?? 0, heapMb: Number(heapMb.toFixed(0)), usedHeapMb: Number((end.heap?.usedMb ?? NaN).toFixed(0)) };
    if (keep) {
      options.logger?.debug('analysis worker kept for the next study', facts);
      spare = started;
      return;
    }
    options.logger?.debug('analysis worker replaced by a fresh one', facts);
    // The next spare starts once this worker has exited, so that two studies' memory never overlap.
    void started.exited.then(refill);
    void started.worker.terminate();
  };
  return {
    run(job, onScored) {
      // Without a build (sources only) there is no worker entry: analyse inline.
      if (!WORKER_ENTRY) return analyseJob(job, onScored);
      jobsRun++;
      // Only a study scored within the rehearsal limit is handed to a later fresh spare (rehearsal.ts).
      const startedAt = performance.now();
      const scored: OnScored = (analysis) => {
        if (scoredSoonEnough((performance.now() - startedAt) / 1000, rehearseMaxSeconds)) lastJob = job;
        onScored?.(analysis);
      };
      let started = spare;
      spare = undefined;
      if (!started || started.failed()) started = startWorker(WORKER_ENTRY, everyWorker, options.logger);
      const worker = started;
      return runIn(worker, job, scored, timeoutMs, running, (end) => afterJob(worker, end));
    },
    rehearseWith(job) {
      if (lastJob || jobsRun > 0) return;
      lastJob = job;
      if (spare) askToRehearse(spare);
    },
    async stop() {
      stopped = true;
      const idle = spare;
      spare = undefined;
      const busy = [...running];
      for (const r of busy) r.abandon();
      await Promise.all([idle, ...busy].map((w) => w?.worker.terminate()));
    },
  };
}
