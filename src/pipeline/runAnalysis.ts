/** Runs the analysis of one study version in a worker thread (inline when running from sources). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema';
import type { StudyAnalysis } from '../results/types';
import type { ScoringRun } from '../cd8/scoreStudy';
import { loadScoringSetup } from './setup';
import { analyseFiles } from './analyseFiles';

export interface AnalysisJob {
  ctFiles: string[];
  rtstructFile: string;
  config: Config;
  run: ScoringRun;
}

export type AnalysisReply = { ok: true; analysis: StudyAnalysis } | { ok: false; message: string };

export async function analyseJob(job: AnalysisJob): Promise<StudyAnalysis> {
  const setup = loadScoringSetup(job.config);
  return analyseFiles(job.ctFiles, job.rtstructFile, job.config, setup, job.run);
}

/** The compiled worker entry: beside this module in dist/, or (running from sources, in tests) in dist/ after `npm run build`. */
const WORKER_ENTRY = [join(__dirname, 'analysisWorker.js'), join(__dirname, '..', '..', 'dist', 'pipeline', 'analysisWorker.js')].find((p) => existsSync(p));

/**
 * @param timeoutMs a stuck analysis is stopped after this long and counts as a (transient) failure.
 */
export function runAnalysis(job: AnalysisJob, timeoutMs = 15 * 60_000): Promise<StudyAnalysis> {
  // Without a build (sources only) there is no worker entry: analyse inline.
  if (!WORKER_ENTRY) return analyseJob(job);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_ENTRY, { workerData: job });
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`the analysis did not finish within ${Math.round(timeoutMs / 60000)} min and was stopped`)));
      void worker.terminate();
    }, timeoutMs);
    worker.once('message', (reply: AnalysisReply) => settle(() => (reply.ok ? resolve(reply.analysis) : reject(new Error(reply.message)))));
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) => settle(() => reject(new Error(`the analysis worker stopped (exit code ${code}) before answering`))));
  });
}
