/**
 * Worker-thread entry: study analyses off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion). The worker starts
 * before its first job (runAnalysis.ts keeps one ready), loads its modules, warms up its feature
 * code on a synthetic lesion while it waits (warmUp.ts; fresh spares only), and runs the jobs it
 * gets one at a time, until the runner ends it. A spare also starts its region thread, which
 * computes each lesion's peritumoral ring while this one computes the tumour (regionThread.ts).
 * After its first study the worker analyses that study again while it waits (rehearsal.ts);
 * a fresh spare rehearses the study the runner gives it (the node's last one) after its warm-up,
 * or, given none (a new node), a small synthetic study written to a temporary directory
 * (syntheticRehearsal.ts).
 */
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { errorText } from '../ops/errorText';
import { analyseJob, AnalysisJob, AnalysisReply, AnalysisRequest, AnalysisWorkerData, WorkerHeap } from './runAnalysis';
import type { StudyAnalysis } from '../results/types';
import type { Config } from '../config/schema';
import type { RadiomicsSettings } from '../radiomics';
import { loadScoringSetup } from './setup';
import { untilWorkComes, warmUpExtraction } from './warmUp';
import { RegionThread, startRegionThread } from './regionThread';
import { rehearse, REHEARSALS, REHEARSE_MAX_SECONDS, shouldRehearse } from './rehearsal';
import { rehearseSyntheticStudy } from './syntheticRehearsal';
import { JobSignal } from './jobSignal';

const port = parentPort!;
/** Set at the first job: the warm-up stops. */
let jobStarted = false;

const MB = 1024 * 1024;
/** The isolate's heap and the array buffers it holds (the CT volumes), for the runner's recycling decision. */
function heap(): WorkerHeap {
  const h = getHeapStatistics();
  return { totalMb: (h.total_heap_size + h.external_memory) / MB, usedMb: (h.used_heap_size + h.external_memory) / MB };
}

/**
 * Real analyses this worker has completed: its jobs and its rehearsals of real studies
 * (rehearsal.ts). The synthetic study's does not count: a new node's first study is rehearsed too.
 */
let realPasses = 0;
/** Rehearsals completed, reported with each job's end (the runner logs them at debug level). */
let rehearsals = 0;
/** The rehearsal under way, if any: a job that comes meanwhile ends it (before its lesions, or at their next feature step). */
let rehearsal: Promise<unknown> = Promise.resolve();
/**
 * A job is waiting: raised by the runner as it posts one (and here when its message comes), lowered
 * when it starts; a rehearsal asks it before the lesions and between their feature steps.
 */
const jobSignal = new JobSignal((workerData as AnalysisWorkerData | undefined)?.jobSignal);
/** A rehearsal's time limit, and the time to a score under which a first job is rehearsed. */
const rehearseMaxSeconds = (workerData as AnalysisWorkerData | undefined)?.rehearseMaxSeconds ?? REHEARSE_MAX_SECONDS;
/** The warm-up is over (or there is none): a rehearsal the runner asked for may start. */
let warmedUp = false;
/** A study the runner asked this spare to rehearse before its first job (the node's last one). */
let askedRehearsal: AnalysisJob | undefined;
/** The synthetic study's directory has been removed (or asked to be). */
let syntheticStudyDirDropped = false;

/** A rehearsal under way: a real study's analyses count as real passes, and the runner hears when it ends. */
function track(run: Promise<number>, synthetic: boolean): void {
  rehearsal = run.then((analyses) => {
    if (!synthetic) realPasses += analyses;
    rehearsals += analyses;
    port.postMessage({ kind: 'rehearsed', analyses, ...(synthetic ? { synthetic } : {}) } satisfies AnalysisReply);
  });
}

function startRehearsal(job: AnalysisJob, times: number): void {
  track(rehearse(job, () => jobSignal.waiting, regionThread, times, rehearseMaxSeconds), false);
}

/**
 * A spare given nothing to rehearse after its warm-up rehearses a synthetic study; a real study the
 * runner asks for meanwhile (the node's last one, found a little later) ends it and is rehearsed next.
 */
function startSyntheticRehearsal(config: Config, dir: string): void {
  track(rehearseSyntheticStudy(config, dir, () => jobSignal.waiting || askedRehearsal !== undefined, regionThread, rehearseMaxSeconds), true);
}

function onMessage(message: AnalysisRequest): void {
  if ('rehearse' in message) {
    // Only a spare that has not started a job rehearses: its first job is what the rehearsal is for.
    if (jobStarted) return;
    askedRehearsal = message.rehearse;
    if (warmedUp) void rehearsal.then(rehearseAsked);
  } else runJob(message);
}

function rehearseAsked(): void {
  const job = askedRehearsal;
  askedRehearsal = undefined;
  if (job && !jobStarted) {
    dropSyntheticStudyDir();
    startRehearsal(job, REHEARSALS);
  }
}

/**
 * The synthetic study's directory is no longer needed once a real study is rehearsed or a job has
 * come (the runner would remove it only when this worker exits, maybe 50 studies later).
 */
function dropSyntheticStudyDir(): void {
  if (!syntheticStudyDir || syntheticStudyDirDropped) return;
  syntheticStudyDirDropped = true;
  void rm(syntheticStudyDir, { recursive: true, force: true }).catch(() => undefined);
}

function runJob(job: AnalysisJob): void {
  jobStarted = true;
  jobSignal.post();
  void rehearsal.then(() => {
    jobSignal.take();
    dropSyntheticStudyDir();
    analyse(job);
  });
}

function analyse(job: AnalysisJob): void {
  const started = performance.now();
  let scoredAfterS = Infinity;
  const onScored = (analysis: StudyAnalysis) => {
    scoredAfterS = (performance.now() - started) / 1000;
    port.postMessage({ kind: 'scored', analysis } satisfies AnalysisReply);
  };
  analyseJob(job, onScored, regionThread).then(
    (outcome) => {
      // Copied, not transferred: detaching an ArrayBuffer (a transfer) invalidates V8's
      // "no buffer was ever detached" protector once per thread, which throws away the optimised
      // code of every typed-array loop and makes the next study run ~1.5x slower (measured with
      // --trace-protector-invalidation and --trace-deopt); copying ~1 MB a picture costs ~1 ms.
      port.postMessage({ kind: 'done', ...outcome, heap: heap(), rehearsals } satisfies AnalysisReply);
      if (shouldRehearse(++realPasses, scoredAfterS, rehearseMaxSeconds)) startRehearsal(job, REHEARSALS);
    },
    (e: unknown) => port.postMessage({ kind: 'failed', message: errorText(e), heap: heap() } satisfies AnalysisReply),
  );
}

port.on('message', onMessage);

const jobHasCome = untilWorkComes(port, onMessage, () => jobStarted);

const { warmUpConfig, syntheticStudyDir } = (workerData ?? {}) as AnalysisWorkerData;
let settings: RadiomicsSettings | undefined;
if (warmUpConfig) {
  try {
    settings = loadScoringSetup(warmUpConfig).radiomics;
  } catch {
    // An unusable signature is reported by the job itself, with the reason.
  }
}
/**
 * A spare of a node set to jobs.lesionThreads 2 on a machine with two cores or more keeps a region
 * thread (regionThread.ts), started now so that it loads and warms up beside this one; it ends
 * with this worker.
 */
const regionThread: RegionThread | undefined =
  warmUpConfig && warmUpConfig.jobs.lesionThreads >= 2 && availableParallelism() >= 2 ? startRegionThread({ warmUpSettings: settings }) : undefined;
// A warm-up that fails is only a missed optimisation: the job reports real problems.
void (settings ? warmUpExtraction(settings, jobHasCome).catch(() => undefined) : Promise.resolve()).then(() => {
  warmedUp = true;
  if (askedRehearsal) rehearseAsked();
  else if (settings && warmUpConfig && syntheticStudyDir && !jobStarted) startSyntheticRehearsal(warmUpConfig, syntheticStudyDir);
});
