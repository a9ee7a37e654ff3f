/**
 * Worker-thread entry: one study analysis off the main thread, so that the DICOM listener keeps
 * answering C-STOREs while features are computed (seconds of CPU per lesion). The worker starts
 * before its job (runAnalysis.ts keeps one ready), loads its modules, and waits for the one job
 * it runs; then it exits.
 */
import { parentPort } from 'node:worker_threads';
import { analyseJob, AnalysisJob, AnalysisReply } from './runAnalysis';

parentPort!.once('message', (job: AnalysisJob) => {
  analyseJob(job).then(
    (analysis) => parentPort!.postMessage({ ok: true, analysis } satisfies AnalysisReply),
    (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) } satisfies AnalysisReply),
  );
});
