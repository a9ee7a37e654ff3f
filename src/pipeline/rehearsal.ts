/**
 * A kept worker analyses its first real study again, up to REHEARSALS times, while it waits for
 * the next one.
 *
 * Why: V8 settles a worker's code only after several real analyses. The synthetic warm-up
 * (warmUp.ts) optimises the feature loops, but a real study still deoptimises and recompiles ~100
 * functions (object shapes and code paths the synthetic lesion does not have: the loader's
 * volumes, crops away from the image's origin, the series grid), so each of a worker's first
 * real analyses costs more CPU than the next (IBSI phantom, analysis runner alone, worker thread
 * to "scored": ~0.75, ~0.7, ~0.6, ~0.55 s; more synthetic rounds did not change the first two;
 * the GTV-1 features alone in one process: 1.9, 1.1, 1.05, 0.85, 0.8, then ~0.7 s from the
 * sixth). An analysis of other real data works as well as the same study's (two STS studies
 * before the phantom: 0.62–0.73 s, as its own third pass). So after its first study the worker
 * runs that study's analysis again, off the critical path, and the next study runs on settled
 * code: with one rehearsal it ran as a third pass, ~1.0–1.3 s of worker CPU for the phantom on
 * a slow machine; with five, 0.56–0.92 s (README, End-to-end performance, 2026-12-08).
 *
 * A fresh spare has no real study of its own: the runner gives it the last one it ran (a worker
 * recycled after 50 studies or a large heap) or, at start, the node's last analysed study
 * (`lastAnalysedJob`), which it rehearses REHEARSALS times after its synthetic warm-up; a
 * restarted node's first study then runs on settled code. Given none (a new node), it rehearses a
 * small synthetic study once instead (syntheticRehearsal.ts), which is not a real pass: its first
 * real study is then rehearsed too.
 *
 * The rehearsal reads the study's files again (they are in the store; a failure is ignored) and
 * discards the answer. A job that arrives while the files are read and decoded ends it there
 * (`giveUp`); one that arrives while a lesion's features are computed ends it at the next feature
 * step (the runner raises a flag in shared memory as it posts the job: jobSignal.ts), so it waits
 * for one step, at most the texture matrices of one region, instead of the lesion (~0.4 s of CPU
 * for the phantom's 367 ml lesion; a ring on the region thread stops at its next step too). A
 * worker rehearses its own first study, and the runner hands a later spare a job, only if it was
 * scored within `REHEARSE_MAX_SECONDS` (twice that for the worker's own first study, on cold
 * code); a rehearsal also gives up at its next step once one analysis has run that long (the
 * node's last study, given at start, may be a large one), so a worker spends at most
 * REHEARSALS × REHEARSE_MAX_SECONDS rehearsing, once.
 */
import { analyseStudyFiles } from './analyseFiles';
import type { AnalysisJob } from './runAnalysis';
import type { RegionThread } from './regionThread';
import { loadScoringSetup } from './setup';
import { chooseInputs } from './studyInputs';
import type { Config } from '../config/schema';
import type { StudyCatalog } from '../study/types';

/**
 * Rehearsals after a worker's first study, and a fresh spare's of the study the runner gives it:
 * ~0.6–1 s of CPU each for the phantom, once per worker (it is kept for 50 studies), and a job
 * that comes ends them.
 */
export const REHEARSALS = 5;

/**
 * Only a study scored within this many seconds of its job's start is rehearsed (twice this for a
 * worker's first, cold, study): a large one (the 1,000-slice study takes 5–7 s) would hold the
 * worker too long, and its own run has optimised the code. The phantom takes 0.6–1.5 s, depending
 * on the machine's load. Each analysis of a rehearsal is also given up once it has run this long.
 */
export const REHEARSE_MAX_SECONDS = 3;

/** Whether a study scored `scoredAfterS` after its job started (by a worker whose code has settled) is small enough to rehearse, by a later spare. */
export const scoredSoonEnough = (scoredAfterS: number, maxSeconds = REHEARSE_MAX_SECONDS): boolean => scoredAfterS <= maxSeconds;

/**
 * A worker's first real study runs on cold code, two to three times slower than the same study
 * later (GTV-1's features: 1.9 s, then ~0.7 s from the sixth analysis): it is rehearsed when it
 * was scored within this many times the limit. With the limit alone, the phantom's first study on
 * a busy machine (2.5–3.5 s) was often not rehearsed, and the next study ran on unsettled code.
 */
export const FIRST_STUDY_COLD_FACTOR = 2;

/**
 * Whether a worker rehearses the job it has just answered: when it was its first real analysis
 * (`realPasses`, rehearsals of real studies included, is 1) and it was scored soon enough for
 * cold code (FIRST_STUDY_COLD_FACTOR).
 */
export const shouldRehearse = (realPasses: number, scoredAfterS: number, maxSeconds = REHEARSE_MAX_SECONDS): boolean =>
  realPasses === 1 && scoredSoonEnough(scoredAfterS, FIRST_STUDY_COLD_FACTOR * maxSeconds);

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
 * is waiting or an analysis has run for `maxSeconds` (checked before each volume's lesions and
 * between their feature steps; a study that slow is not analysed again); never rejects (a
 * rehearsal is only an optimisation). Returns the analyses completed.
 */
export async function rehearse(job: AnalysisJob, jobWaiting: () => boolean = () => false, regionThread?: RegionThread, times = REHEARSALS, maxSeconds = REHEARSE_MAX_SECONDS): Promise<number> {
  let done = 0;
  try {
    const setup = loadScoringSetup(job.config);
    for (; done < times && !jobWaiting(); done++) {
      const deadline = performance.now() + maxSeconds * 1000;
      const giveUp = () => jobWaiting() || performance.now() > deadline;
      await analyseStudyFiles(job.ctFiles, job.rtstructFile, job.config, setup, job.run, regionThread, giveUp);
    }
  } catch {
    // Given up for a job, or the files have gone (housekeeping), or the study is not usable: the next job tells.
  }
  return done;
}
