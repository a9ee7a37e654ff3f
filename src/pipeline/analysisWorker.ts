/**
 * Worker-thread entry: study analyses off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion). The worker starts
 * before its first job (runAnalysis.ts keeps one ready), loads its modules, warms up its feature
 * code on a synthetic lesion while it waits (warmUp.ts; fresh spares only), and runs the jobs it
 * gets one at a time, until the runner ends it. A spare also starts its region thread, which
 * computes each lesion's peritumoral ring while this one computes the tumour (regionThread.ts).
 * After its first study the worker analyses that study once more while it waits (rehearsal.ts).
 */
import { availableParallelism } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { errorText } from '../ops/errorText';
import { analyseJob, AnalysisJob, AnalysisReply, AnalysisWorkerData, WorkerHeap } from './runAnalysis';
import type { StudyAnalysis } from '../results/types';
import { loadScoringSetup } from './setup';
import { untilWorkComes, warmUpExtraction } from './warmUp';
import { RegionThread, startRegionThread } from './regionThread';
import { rehearse, shouldRehearse } from './rehearsal';

const port = parentPort!;
/** Set at the first job: the warm-up stops. */
let jobStarted = false;

const MB = 1024 * 1024;
/** The isolate's heap and the array buffers it holds (the CT volumes), for the runner's recycling decision. */
function heap(): WorkerHeap {
  const h = getHeapStatistics();
  return { totalMb: (h.total_heap_size + h.external_memory) / MB, usedMb: (h.used_heap_size + h.external_memory) / MB };
}

/** Jobs this worker has answered. */
let jobsDone = 0;
/** The rehearsal under way (rehearsal.ts), if any: a job that comes meanwhile ends it or waits for its lesions. */
let rehearsal: Promise<unknown> = Promise.resolve();
let jobWaiting = false;

function runJob(job: AnalysisJob): void {
  jobStarted = true;
  jobWaiting = true;
  void rehearsal.then(() => {
    jobWaiting = false;
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
      port.postMessage({ kind: 'done', ...outcome, heap: heap() } satisfies AnalysisReply);
      if (shouldRehearse(++jobsDone, scoredAfterS)) rehearsal = rehearse(job, () => jobWaiting, regionThread);
    },
    (e: unknown) => {
      jobsDone++;
      port.postMessage({ kind: 'failed', message: errorText(e), heap: heap() } satisfies AnalysisReply);
    },
  );
}

port.on('message', runJob);

const jobHasCome = untilWorkComes(port, runJob, () => jobStarted);

const { warmUpConfig } = (workerData ?? {}) as AnalysisWorkerData;
let settings;
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
if (settings) warmUpExtraction(settings, jobHasCome).catch(() => undefined);
