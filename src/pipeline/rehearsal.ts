/**
 * A kept worker analyses its first real study once more, while it waits for the next one.
 *
 * Why: V8 settles a worker's code only after about three real analyses. The synthetic warm-up
 * (warmUp.ts) optimises the feature loops, but a real study still deoptimises and recompiles ~100
 * functions (object shapes and code paths the synthetic lesion does not have: the loader's
 * volumes, crops away from the image's origin, the series grid), so each of a worker's first
 * real analyses costs more CPU than the next (IBSI phantom, analysis runner alone, worker thread
 * to "scored": ~0.75, ~0.7, ~0.6, ~0.55 s; more synthetic rounds did not change the first two).
 * An analysis of other real data works as well as the same study's (two STS studies before the
 * phantom: 0.62–0.73 s, as its own third pass). So after its first study the worker runs that
 * study's analysis again, off the critical path, and the next study runs as a third pass would.
 *
 * A fresh spare has no real study of its own: the runner gives it the last one it ran (a worker
 * recycled after 50 studies or a large heap) or, at start, the node's last analysed study
 * (`lastAnalysedJob`), which it rehearses once after its synthetic warm-up; a restarted node's
 * first study then runs as a second pass. Given none (a new node), it rehearses a small synthetic
 * study instead (syntheticRehearsal.ts).
 *
 * The rehearsal reads the study's files again (they are in the store; a failure is ignored) and
 * discards the answer. A job that arrives while the files are read and decoded ends it there
 * (`giveUp`); one that arrives while a lesion's features are computed ends it at the next feature
 * step (the runner raises a flag in shared memory as it posts the job: jobSignal.ts), so it waits
 * for one step, at most the texture matrices of one region, instead of the lesion (~0.4 s of CPU
 * for the phantom's 367 ml lesion; a lesion on a region thread still runs to its end). A worker
 * rehearses its own first study, and the runner hands a later spare a job, only if it was scored
 * within `REHEARSE_MAX_SECONDS`; every rehearsal also gives up at its next step once it has run
 * that long (the node's last study, given at start, may be a large one).
 */
import { analyseStudyFiles } from './analyseFiles';
import type { AnalysisJob } from './runAnalysis';
import type { RegionThread } from './regionThread';
import { loadScoringSetup } from './setup';
import { chooseInputs } from './studyInputs';
import type { Config } from '../config/schema';
import type { StudyCatalog } from '../study/types';

/** Rehearsals after a worker's first study, and a fresh spare's of the study the runner gives it. */
export const REHEARSALS = 1;

/**
 * Only a study scored within this many seconds of its job's start is rehearsed: a large one (the
 * 1,000-slice study takes 5–7 s) would hold the worker too long, and its own run has optimised
 * the code. The phantom takes 0.6–1.5 s, depending on the machine's load.
 */
export const REHEARSE_MAX_SECONDS = 3;

/** Whether a study scored `scoredAfterS` after its job started is small enough to rehearse (by its own worker, or a later spare). */
export const scoredSoonEnough = (scoredAfterS: number, maxSeconds = REHEARSE_MAX_SECONDS): boolean => scoredAfterS <= maxSeconds;

/**
 * Whether a worker rehearses the job it has just answered: when it was its first real analysis
 * (`realPasses`, rehearsals included, is 1) and it was scored soon enough.
 */
export const shouldRehearse = (realPasses: number, scoredAfterS: number, maxSeconds = REHEARSE_MAX_SECONDS): boolean => realPasses === 1 && scoredSoonEnough(scoredAfterS, maxSeconds);

/**
 * The node's most recently analysed study as a job to rehearse (undefined when there is none or
 * its files cannot be analysed). With a shared database it may be another node's study, whose
 * files are not here: the rehearsal then fails quietly.
 */
export async function lastAnalysedJob(catalog: Pick<StudyCatalog, 'listStudies' | 'listInstances'>, config: Config): Promise<AnalysisJob | undefined> {
  const [last] = await catalog.listStudies({ limit: 1, states: ['done'] });
  if (!last) return undefined;
  const choice = chooseInputs(await catalog.listInstances(last.studyInstanceUid, last.version));
  if (!choice.ok) return undefined;
  return { ctFiles: choice.inputs.ctFiles, rtstructFile: choice.inputs.rtstructFile, config, run: { version: last.version, cohortScores: [], analysedAt: new Date().toISOString() } };
}

/**
 * Analyses `job`'s study up to `times` times and drops the answers, until `jobWaiting()` says a job
 * is waiting or `maxSeconds` have gone by (checked before each volume's lesions and between their
 * feature steps); never rejects (a rehearsal is only an optimisation). Returns the analyses completed.
 */
export async function rehearse(job: AnalysisJob, jobWaiting: () => boolean = () => false, regionThread?: RegionThread, times = REHEARSALS, maxSeconds = REHEARSE_MAX_SECONDS): Promise<number> {
  const deadline = performance.now() + maxSeconds * 1000;
  const giveUp = () => jobWaiting() || performance.now() > deadline;
  let done = 0;
  try {
    const setup = loadScoringSetup(job.config);
    for (; done < times && !giveUp(); done++) await analyseStudyFiles(job.ctFiles, job.rtstructFile, job.config, setup, job.run, regionThread, giveUp);
  } catch {
    // Given up for a job, or the files have gone (housekeeping), or the study is not usable: the next job tells.
  }
  return done;
}
