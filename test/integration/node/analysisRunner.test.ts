/**
 * The analysis runner of the node: studies in a worker thread (the compiled
 * dist/pipeline/analysisWorker.js), one worker started (and warmed up) ahead of the next job and
 * kept for the next one while it stays small. Its answers equal the analysis run inline, the
 * scored analysis comes before the pictures; a stuck analysis is stopped.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticStudy } from '../../support/syntheticStudy';
import { configSchema } from '../../../src/config/schema';
import { analyseJob, AnalysisJob, AnalysisStoppedError, startAnalysisRunner } from '../../../src/pipeline/runAnalysis';
import type { Logger } from '../../../src/ops/logger';
import type { StudyAnalysis } from '../../../src/results/types';
import { UNHURRIED_REHEARSAL_S } from '../../support/rehearsal';
import { REHEARSALS } from '../../../src/pipeline/rehearsal';

const dir = mkdtempSync(join(tmpdir(), 'cd8-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const study = (name: string, value: number) =>
  writeSyntheticStudy(join(dir, name), {
    dims: [24, 24, 24],
    background: 40,
    kvp: 120,
    lesions: [{ roiNumber: 1, name: 'GTV liver', interpretedType: 'GTV', centre: [12, 12, 12], radiusMm: 5, value }],
  });
const jobOf = (s: ReturnType<typeof study>): AnalysisJob => ({
  ctFiles: readdirSync(s.ctDir).map((f) => join(s.ctDir, f)),
  rtstructFile: s.rtstruct,
  config: configSchema.defaultValue(),
  run: { version: 1, cohortScores: [], analysedAt: '2024-01-02T10:15:00Z' },
});

const REHEARSED = 'analysis worker rehearsed a study while waiting';

describe('the analysis runner', () => {
  // A generous limit: each of the four analyses also draws its pictures, and the machine may be busy.
  it('answers one study after another from the same worker, as the inline analysis does, the scored analysis first', async () => {
    // The first job reaches the spare while it loads or warms up; the second, the same worker, kept warm.
    const said: Array<[string, unknown]> = [];
    const logger = { debug: (message: string, facts: unknown) => said.push([message, facts]) } as unknown as Logger;
    const runner = startAnalysisRunner({ warmUpConfig: configSchema.defaultValue(), logger });
    try {
      for (const [name, value] of [['a', 100], ['b', 150]] as const) {
        const job = jobOf(study(name, value));
        const scored: StudyAnalysis[] = [];
        const fromWorker = await runner.run(job, (a) => scored.push(a));
        expect(fromWorker.analysis.lesions[0].features!.tumour.stat_mean).toBe(value);
        expect(scored).toEqual([fromWorker.analysis]);
        expect(fromWorker.pictures?.summary.png.length).toBeGreaterThan(0);
        expect(fromWorker).toEqual(await analyseJob(job));
      }
      // (Rehearsals between the jobs, timed by the machine's load, are the next test's subject.)
      expect(said.filter(([m]) => m !== REHEARSED)).toEqual([
        ['analysis worker kept for the next study', expect.objectContaining({ studies: 1 })],
        ['analysis worker kept for the next study', expect.objectContaining({ studies: 2 })],
      ]);
    } finally {
      await runner.stop();
    }
  }, 300000);

  it('replaces a worker by a fresh one after its last study (maxJobsPerWorker) or when its heap stayed large', async () => {
    const said: string[] = [];
    const logger = { debug: (message: string) => said.push(message) } as unknown as Logger;
    for (const limits of [{ maxJobsPerWorker: 1 }, { recycleHeapMb: 1 }]) {
      const runner = startAnalysisRunner({ ...limits, logger });
      try {
        const job = jobOf(study('e', 120));
        expect((await runner.run(job)).analysis.lesions[0].features!.tumour.stat_mean).toBe(120);
        expect((await runner.run(job)).analysis.lesions[0].features!.tumour.stat_mean).toBe(120);
      } finally {
        await runner.stop();
      }
    }
    expect(said.filter((m) => m !== REHEARSED)).toEqual(Array(4).fill('analysis worker replaced by a fresh one'));
  }, 300000);

  it('has a worker rehearse a real study while it waits: a fresh spare the one it is given, a worker its first job, a recycled worker\'s successor the last job', async () => {
    const said: Array<[string, Record<string, unknown>]> = [];
    const logger = { debug: (message: string, facts: Record<string, unknown>) => said.push([message, facts]) } as unknown as Logger;
    const rehearsed = () => said.filter(([m]) => m === REHEARSED).length;
    const waitForRehearsals = async (n: number) => {
      for (const deadline = Date.now() + 120_000; rehearsed() < n; await new Promise((r) => setTimeout(r, 50)))
        if (Date.now() > deadline) throw new Error(`no rehearsal ${n} within 120 s: ${JSON.stringify(said)}`);
    };
    const runner = startAnalysisRunner({ warmUpConfig: configSchema.defaultValue(), logger, maxJobsPerWorker: 2, rehearseMaxSeconds: UNHURRIED_REHEARSAL_S });
    try {
      // At start the node hands over its last analysed study: the spare rehearses it after its warm-up.
      runner.rehearseWith(jobOf(study('f', 90)));
      await waitForRehearsals(1);
      const job = jobOf(study('g', 110));
      const first = await runner.run(job);
      expect(first.analysis.lesions[0].features!.tumour.stat_mean).toBe(110);
      // Those analyses counted as the worker's first real ones: it does not rehearse its first job.
      expect(said.find(([m]) => m === REHEARSED)?.[1]).toEqual({ analyses: REHEARSALS, study: 'real' });
      expect(said.find(([m]) => m === 'analysis worker kept for the next study')?.[1]).toMatchObject({ studies: 1, rehearsals: REHEARSALS });
      // Its second job is its last (maxJobsPerWorker 2): the fresh spare that replaces it rehearses that job.
      const second = await runner.run(job);
      expect(second).toEqual(first);
      await waitForRehearsals(2);
      expect((await runner.run(job)).analysis).toEqual(first.analysis);
      expect(said.filter(([m]) => m === 'analysis worker replaced by a fresh one')).toHaveLength(1);
      expect(said.filter(([m]) => m !== REHEARSED).map(([m, f]) => [m, f.studies, f.rehearsals])).toEqual([
        ['analysis worker kept for the next study', 1, REHEARSALS],
        ['analysis worker replaced by a fresh one', 2, REHEARSALS],
        ['analysis worker kept for the next study', 1, REHEARSALS],
      ]);
    } finally {
      await runner.stop();
    }
  }, 300000);

  it('has a fresh spare given nothing to rehearse (a new node) rehearse a synthetic study in a private temporary directory, removed afterwards; a job that comes meanwhile ends it or, during the warm-up, forestalls it', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const said: Array<[string, Record<string, unknown>]> = [];
    const logger = { debug: (message: string, facts: Record<string, unknown>) => said.push([message, facts]) } as unknown as Logger;
    const startRunner = () => startAnalysisRunner({ warmUpConfig: configSchema.defaultValue(), logger, syntheticStudyParent: tmp, rehearseMaxSeconds: UNHURRIED_REHEARSAL_S });
    const until = async (what: string, done: () => boolean) => {
      for (const deadline = Date.now() + 120_000; !done(); await new Promise((r) => setTimeout(r, 2)))
        if (Date.now() > deadline) throw new Error(`${what} not within 120 s: ${JSON.stringify(said)}`);
    };
    const synthetic = () => said.filter(([m, f]) => m === REHEARSED && f.study === 'synthetic').map(([, f]) => f.analyses);
    const job = jobOf(study('h', 130));

    // Nothing waits: after its warm-up the spare writes, rehearses and removes the synthetic study.
    let runner = startRunner();
    try {
      expect(readdirSync(tmp)).toEqual([expect.stringMatching(/^cd8-rehearsal-/)]);
      await until('the synthetic rehearsal', () => synthetic().length === 1);
      expect(synthetic()).toEqual([1]);
      expect(readdirSync(tmp)).toEqual([]);
      expect((await runner.run(job)).analysis.lesions[0].features!.tumour.stat_mean).toBe(130);
      expect(said.find(([m]) => m === 'analysis worker kept for the next study')?.[1]).toMatchObject({ studies: 1, rehearsals: 1 });
      // The synthetic study is not a real one: the worker's first job is rehearsed as any worker's is.
      await until('the first job rehearsed', () => said.some(([m, f]) => m === REHEARSED && f.study === 'real'));
      expect(said.find(([m, f]) => m === REHEARSED && f.study === 'real')?.[1]).toEqual({ analyses: REHEARSALS, study: 'real' });
    } finally {
      await runner.stop();
    }

    // A job comes while the synthetic study is written: the rehearsal gives up and the job runs.
    said.length = 0;
    runner = startRunner();
    try {
      const [studyDir] = readdirSync(tmp);
      await until('the synthetic study written', () => existsSync(join(tmp, studyDir)) && readdirSync(join(tmp, studyDir)).length > 0);
      expect((await runner.run(job)).analysis.lesions[0].features!.tumour.stat_mean).toBe(130);
      expect(synthetic()).toEqual([0]);
      expect(said.find(([m]) => m === 'analysis worker kept for the next study')?.[1]).toMatchObject({ studies: 1, rehearsals: 0 });
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await runner.stop();
    }

    // A job that comes during the warm-up: no synthetic study is written, and its directory goes with the job.
    said.length = 0;
    runner = startRunner();
    try {
      expect(readdirSync(tmp)).toHaveLength(1);
      expect((await runner.run(job)).analysis.lesions[0].features!.tumour.stat_mean).toBe(130);
      await until('the unused directory removed', () => readdirSync(tmp).length === 0);
    } finally {
      await runner.stop();
    }
    expect(readdirSync(tmp)).toEqual([]);
  }, 300000);

  it('stops an analysis that takes longer than its time limit and reports it', async () => {
    const runner = startAnalysisRunner({ timeoutMs: 50, spare: false });
    await expect(runner.run(jobOf(study('c', 100)))).rejects.toThrow(/did not finish within .* and was stopped/);
    await runner.stop();
  });

  it('ends a running analysis when it is stopped (shutdown), so no worker keeps the process alive', async () => {
    const runner = startAnalysisRunner({ spare: false });
    const running = runner.run(jobOf(study('d', 100)));
    const outcome = running.then(
      () => 'answered',
      (e: Error) => e,
    );
    // Stopped at once: the worker is still loading its modules or computing (either way, no answer yet).
    const began = Date.now();
    await runner.stop();
    expect(Date.now() - began).toBeLessThan(2000);
    const e = await outcome;
    expect(e).toBeInstanceOf(AnalysisStoppedError);
    expect((e as Error).message).toBe('the analysis was stopped because the node is stopping');
  });
});
