/**
 * Worker-thread entry: one study analysis off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyseJob, AnalysisJob, AnalysisReply } from './runAnalysis';

const job = workerData as AnalysisJob;
analyseJob(job).then(
  (analysis) => parentPort!.postMessage({ ok: true, analysis } satisfies AnalysisReply),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) } satisfies AnalysisReply),
);
