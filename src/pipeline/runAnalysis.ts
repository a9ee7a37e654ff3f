/**
 * Runs the analysis of one study version in a worker thread (inline when running from sources).
 * Each worker analyses one study and exits, so a study's memory goes back to the system when it is
 * done. The node keeps one worker started ahead of the next job: a new thread needs ~0.25 s to load
 * its modules, and its feature code runs ~1.6x slower until V8 has optimised it; both would
 * otherwise add to every study's time to answer. The spare loads its modules and warms up on a
 * synthetic lesion (warmUp.ts) while it waits (the idle spare costs ~35 MB of memory, ~60 MB
 * once warmed up).
 */
import { errorText } from '../ops/errorText';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema';
import type { StudyAnalysis } from '../results/types';
import type { ScoringRun } from '../cd8/scoreStudy';
import { loadScoringSetup } from './setup';
import { analyseStudyFiles } from './analyseFiles';
import { renderStudyPictures, StudyPictures } from '../report/pictures';

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

export type AnalysisReply = ({ ok: true } & AnalysisOutcome) | { ok: false; message: string };

/** Given to each worker when it starts. */
export interface AnalysisWorkerData {
  /** The node's configuration: the worker warms up its feature code with the signature's radiomics settings. */
  warmUpConfig?: Config;
}

export async function analyseJob(job: AnalysisJob): Promise<AnalysisOutcome> {
  const setup = loadScoringSetup(job.config);
  const { analysis, keySlices } = await analyseStudyFiles(job.ctFiles, job.rtstructFile, job.config, setup, job.run);
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
  /** Analyses one study version in a worker of its own. */
  run(job: AnalysisJob): Promise<AnalysisOutcome>;
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
}

/** A started worker waiting for its job; unref'd, so an idle spare never keeps a process alive. */
function startWorker(entry: string, data: AnalysisWorkerData): { worker: Worker; exited: Promise<void>; failed: () => boolean } {
  const worker = new Worker(entry, { workerData: data });
  let failed = false;
  // Until a job takes it, a failing spare is only noted: the job that takes it starts a fresh one.
  worker.on('error', () => (failed = true));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => (failed = true));
  worker.unref();
  return { worker, exited, failed: () => failed };
}

interface RunningAnalysis {
  worker: Worker;
  /** Rejects the analysis with AnalysisStoppedError (the caller terminates the worker). */
  abandon(): void;
}

function runIn(started: ReturnType<typeof startWorker>, job: AnalysisJob, timeoutMs: number, running: Set<RunningAnalysis>): Promise<AnalysisOutcome> {
  const { worker } = started;
  worker.ref();
  return new Promise((resolve, reject) => {
    let settled = false;
    const entry: RunningAnalysis = { worker, abandon: () => settle(() => reject(new AnalysisStoppedError())) };
    running.add(entry);
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      running.delete(entry);
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`the analysis did not finish within ${Math.round(timeoutMs / 60000)} min and was stopped`)));
      void worker.terminate();
    }, timeoutMs);
    worker.once('message', (reply: AnalysisReply) => settle(() => (reply.ok ? resolve(outcomeOf(reply)) : reject(new Error(reply.message)))));
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the analysis worker stopped (exit code ${code}) before answering`))));
    worker.postMessage(job);
  });
}

/** Structured clone turns Buffers into Uint8Arrays: the PNG and PDF bytes become Buffers again. */
function outcomeOf(reply: { ok: true } & AnalysisOutcome): AnalysisOutcome {
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
  const keepSpare = (options.spare ?? true) && WORKER_ENTRY !== undefined;
  let spare: ReturnType<typeof startWorker> | undefined;
  const running = new Set<RunningAnalysis>();
  let stopped = false;
  // Only a spare warms up; a worker started for a job that is waiting goes straight to it.
  const spareData: AnalysisWorkerData = { warmUpConfig: options.warmUpConfig };
  const refill = () => {
    if (keepSpare && !stopped && !spare) spare = startWorker(WORKER_ENTRY!, spareData);
  };
  refill();
  return {
    run(job) {
      // Without a build (sources only) there is no worker entry: analyse inline.
      if (!WORKER_ENTRY) return analyseJob(job);
      let started = spare;
      spare = undefined;
      if (!started || started.failed()) started = startWorker(WORKER_ENTRY, {});
      // The next spare starts once this worker has exited, so that two studies' memory never overlap.
      void started.exited.then(refill);
      return runIn(started, job, timeoutMs, running);
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
