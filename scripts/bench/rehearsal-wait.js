#!/usr/bin/env node
'use strict';
/*
 * What a worker's rehearsal costs a job that comes while it runs (issue 21).
 *
 * Usage (after `npm run build`): node scripts/bench/rehearsal-wait.js [--trials N] [--delays S,S,...] [--node-root DIR]
 *
 * Each trial starts an analysis runner as the node does (a spare worker that warms up with the
 * default configuration) and at once analyses the IBSI CT phantom (job A, a new node's first
 * study: the kept worker then rehearses it while it waits), waits the given delay after A's end
 * and analyses the phantom again (job B). Printed per delay: the median time from B's start to
 * its analysis ("scored"), and in how many trials A's rehearsal completed before B; the last delay
 * (default 5 s) lets the rehearsal end first. A job that comes while the rehearsal reads the
 * files ends it before the lesions; one that comes while a lesion's features are computed ends it
 * at the next feature step (jobSignal.ts); before that change it waited for the lesion. Compare
 * two builds with --node-root (another checkout's build, e.g. one made before a change).
 */
const { join, resolve } = require('node:path');
const { readdirSync } = require('node:fs');
const { loadavg, cpus } = require('node:os');

function options() {
  const o = { trials: 3, delays: [0.2, 0.5, 0.8, 1.1, 5], root: join(__dirname, '..', '..') };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--trials') o.trials = Number(a[++i]);
    else if (a[i] === '--delays') o.delays = a[++i].split(',').map(Number);
    else if (a[i] === '--node-root') o.root = resolve(a[++i]);
    else {
      console.error(`unknown option ${a[i]} (see the comment at the top of ${__filename})`);
      process.exit(2);
    }
  }
  if (!(o.trials >= 1) || o.delays.some((d) => !(d >= 0))) {
    console.error('--trials needs a positive number, --delays non-negative seconds');
    process.exit(2);
  }
  return o;
}

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];

async function main() {
  const o = options();
  const { startAnalysisRunner } = require(join(o.root, 'dist', 'pipeline', 'runAnalysis'));
  const { configSchema } = require(join(o.root, 'dist', 'config', 'schema'));
  const phantom = join(__dirname, '..', '..', '..', 'shared', 'data', 'ibsi-ct-phantom', 'dicom');
  const ctDir = join(phantom, 'image');
  const config = configSchema.defaultValue();
  const job = {
    ctFiles: readdirSync(ctDir).map((f) => join(ctDir, f)),
    rtstructFile: join(phantom, 'mask', readdirSync(join(phantom, 'mask'))[0]),
    config,
    run: { version: 1, cohortScores: [], analysedAt: new Date().toISOString() },
  };
  console.log(`rehearsal wait: ${new Date().toISOString()}, build ${o.root}, ${cpus().length} cores, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${o.trials} trial(s) per delay`);
  const results = new Map(o.delays.map((d) => [d, { ms: [], completed: 0 }]));
  for (let t = 0; t < o.trials; t++) {
    for (const delay of o.delays) {
      // The runner says at debug level how many analyses each rehearsal completed (0: given up).
      const rehearsed = [];
      const logger = { debug: (message, fields) => message.includes('rehearsed') && rehearsed.push(fields.analyses), info() {}, warn() {}, error() {} };
      const runner = startAnalysisRunner({ warmUpConfig: config, logger });
      try {
        // Job A comes while the spare still warms up (so no synthetic rehearsal), as a new node's first study.
        await runner.run(job);
        await sleep(delay);
        const start = performance.now();
        let scoredMs;
        await runner.run(job, () => (scoredMs = performance.now() - start));
        const r = results.get(delay);
        r.ms.push(scoredMs);
        if (rehearsed.includes(1)) r.completed++;
      } finally {
        await runner.stop();
      }
    }
  }
  for (const [delay, { ms, completed }] of results) {
    console.log(
      `  job B ${delay.toFixed(1)} s after job A's end: ${(median(ms) / 1000).toFixed(2)} s to "scored"   trials: ${ms.map((m) => (m / 1000).toFixed(2)).join(' ')}; A's rehearsal completed in ${completed} of ${ms.length}`,
    );
  }
  console.log(`load average at the end: ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
