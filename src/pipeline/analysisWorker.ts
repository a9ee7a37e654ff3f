/**
 * Worker-thread entry: one study analysis off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion). The worker starts
 * before its job (runAnalysis.ts keeps one ready), loads its modules, warms up its feature code on
 * a synthetic lesion while it waits (warmUp.ts), and runs the one job it gets; then it exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyseJob, AnalysisJob, AnalysisReply, AnalysisWorkerData } from './runAnalysis';
import { loadScoringSetup } from './setup';
import { warmUpExtraction } from './warmUp';

let jobArrived = false;

parentPort!.once('message', (job: AnalysisJob) => {
  jobArrived = true;
  analyseJob(job).then(
    (analysis) => parentPort!.postMessage({ ok: true, analysis } satisfies AnalysisReply),
    (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) } satisfies AnalysisReply),
  );
});

const { warmUpConfig } = (workerData ?? {}) as AnalysisWorkerData;
if (warmUpConfig) {
  let settings;
  try {
    settings = loadScoringSetup(warmUpConfig).radiomics;
  } catch {
    // An unusable signature is reported by the job itself, with the reason.
  }
  if (settings) void warmUpExtraction(settings, () => jobArrived);
}
