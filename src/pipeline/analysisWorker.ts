/**
 * Worker-thread entry: one study analysis off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion). The worker starts
 * before its job (runAnalysis.ts keeps one ready), loads its modules, warms up its feature code on
 * a synthetic lesion while it waits (warmUp.ts; spares only), and runs the one job it gets; then
 * it exits.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { errorText } from '../ops/errorText';
import { analyseJob, AnalysisJob, AnalysisReply, AnalysisWorkerData } from './runAnalysis';
import { loadScoringSetup } from './setup';
import { warmUpExtraction } from './warmUp';

const port = parentPort!;
let jobStarted = false;

function runJob(job: AnalysisJob): void {
  if (jobStarted) return;
  jobStarted = true;
  port.off('message', runJob);
  analyseJob(job).then(
    (outcome) => {
      // The raw pixels (own buffers, ~1 MB a picture) move to the main thread instead of being
      // copied; the PNGs (small, possibly in Node's shared buffer pool) are copied.
      const p = outcome.pictures;
      const transfer = p ? [...p.lesions.map((l) => l.rgb.buffer), p.summary.rgb.buffer] : [];
      port.postMessage({ ok: true, ...outcome } satisfies AnalysisReply, transfer.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer));
    },
    (e: unknown) => port.postMessage({ ok: false, message: errorText(e) } satisfies AnalysisReply),
  );
}

port.on('message', runJob);

/**
 * Before each warm-up round: has the job come? A message that is already queued is taken from the
 * port at once (its 'message' event would only fire after the next round), so a job never waits
 * for a round to start.
 */
function jobHasCome(): boolean {
  if (jobStarted) return true;
  const queued = receiveMessageOnPort(port);
  if (queued) runJob(queued.message as AnalysisJob);
  return jobStarted;
}

const { warmUpConfig } = (workerData ?? {}) as AnalysisWorkerData;
if (warmUpConfig) {
  let settings;
  try {
    settings = loadScoringSetup(warmUpConfig).radiomics;
  } catch {
    // An unusable signature is reported by the job itself, with the reason.
  }
  // A warm-up that fails is only a missed optimisation: the job reports real problems.
  if (settings) warmUpExtraction(settings, jobHasCome).catch(() => undefined);
}
