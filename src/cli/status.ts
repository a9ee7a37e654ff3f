import { Command, CommandIo, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { commandIdHasher, commandStorage } from './commandStorage';
import type { IdHasher } from '../ops/idHash';
import type { Storage } from '../db/storage';
import { clock, clusterNodes, nodeStateLine, NodeStatus, stateLine, studyStatuses, StudyStatus } from '../ops/studyStatus';
import { OutboxStatus, UNSENT_STATES } from '../outbox/outbox';
import type { StudyAnalysis } from '../results/types';
import { errorText } from '../ops/errorText';

function describe(s: StudyStatus): string[] {
  const other = s.instanceCount - s.ctImageCount - s.rtstructCount;
  const parts = [`${s.ctImageCount} CT image${s.ctImageCount === 1 ? '' : 's'}`, `${s.rtstructCount} RTSTRUCT`];
  if (other > 0) parts.push(`${other} other`);
  const lines = [
    `${s.studyInstanceUid}  (version ${s.version}${s.superseded ? ', superseded' : ''})`,
    `  state:     ${stateLine(s)}`,
    `  patient:   ${s.patient} (hashed Patient ID)${s.studyDate ? `, study date ${s.studyDate}` : ''}${s.accessionNumber ? `, accession ${s.accessionNumber}` : ''}`,
    `  received:  ${s.instanceCount} instance${s.instanceCount === 1 ? '' : 's'} in ${s.seriesCount} series (${parts.join(', ')}), ${clock(s.firstReceivedAt)} – ${clock(s.lastReceivedAt)}`,
  ];
  for (const note of s.notes) lines.push(`  note:      ${note}`);
  return lines;
}

const num = (v: number | null) => (v === null ? '–' : v.toPrecision(3));

/** The lesions of an analysed version: site, volume, score and class, or why there is no score. */
function lesionLines(a: StudyAnalysis): string[] {
  const lines = a.lesions.map((l) => {
    const result = l.score !== null ? `CD8 score ${num(l.score)}${l.classification ? ` (${l.classification})` : ''}` : `no score: ${l.reason ?? l.scoreStatus}`;
    const flags = l.flags.length > 0 ? ` [${l.flags.map((f) => f.code).join(', ')}]` : '';
    return `  lesion:    ${l.trackingId}, ${l.site}, ${l.volumeMl.toFixed(1)} ml: ${result}${flags}`;
  });
  for (const p of a.problems) lines.push(`  problem:   ${p.message}`);
  return lines;
}

function outboxLines(o: OutboxStatus | undefined): string[] {
  if (!o) return ['', 'Outbox: empty (no result produced yet).'];
  const c = o.counts;
  const lines = ['', `Outbox: ${c.pending} pending, ${c.sending} sending, ${c.sent} sent, ${c.failed} failed`];
  for (const r of o.rows.filter((x) => x.state !== 'sent')) {
    const next = r.state === 'failed' ? 'gave up (cd8-node resend STUDY_UID to try again)' : `next try ${clock(new Date(r.nextAttemptAt))}`;
    lines.push(`  ${r.state.padEnd(8)} ${r.description} → ${r.destination}, study ${r.studyInstanceUid} v${r.studyVersion}, ${r.attempts} attempt(s)${r.lastError ? `, last error: ${r.lastError}` : ''}; ${next}`);
  }
  for (const state of UNSENT_STATES) {
    const shown = o.rows.filter((x) => x.state === state).length;
    if (c[state] > shown) lines.push(`  … and ${c[state] - shown} more ${state} (oldest ${shown} shown)`);
  }
  for (const r of o.rows.filter((x) => x.state === 'sent').slice(0, 5)) {
    lines.push(`  sent     ${r.description} → ${r.destination}, study ${r.studyInstanceUid} v${r.studyVersion}${r.sentAt ? ` at ${clock(new Date(r.sentAt))}` : ''}`);
  }
  return lines;
}

interface StatusSnapshot {
  dataDir: string;
  database: string;
  /** Nodes that ever wrote a heartbeat to a shared database (none listed for an embedded SQLite node). */
  nodes: NodeStatus[];
  studies: StudyStatus[];
  outbox: OutboxStatus | undefined;
}

async function snapshot(storage: Storage, dataDir: string, limit: number, all: boolean, hashId: IdHasher): Promise<StatusSnapshot> {
  const studies = await studyStatuses(storage.index, storage.results, { limit, includeSuperseded: all }, hashId);
  const outbox = await storage.outbox.status();
  const nodes = await clusterNodes(storage);
  return { dataDir, database: storage.location, nodes, studies, outbox: outbox.rows.length > 0 || outbox.counts.sent > 0 ? outbox : undefined };
}

function nodeLines(snap: StatusSnapshot): string[] {
  if (snap.nodes.length === 0) return [];
  const alive = snap.nodes.filter((n) => n.alive).length;
  const lines = ['', `Nodes (database ${snap.database}): ${alive} of ${snap.nodes.length} alive`];
  for (const n of snap.nodes) {
    lines.push(`  ${n.nodeId.padEnd(24)} ${nodeStateLine(n)}; ${n.runningJobs} job${n.runningJobs === 1 ? '' : 's'} running; host ${n.host}, DICOM port ${n.dicomPort ?? '–'}, HTTP port ${n.httpPort ?? '–'}`);
  }
  return lines;
}

function snapshotText(snap: StatusSnapshot): string {
  const lines: string[] = [];
  if (snap.studies.length === 0) lines.push(`No studies received yet (data directory ${snap.dataDir}).`);
  else lines.push(`${snap.studies.length} most recent stud${snap.studies.length === 1 ? 'y' : 'ies'} (data directory ${snap.dataDir}):`);
  for (const s of snap.studies) {
    lines.push('', ...describe(s));
    if (s.analysis) lines.push(...lesionLines(s.analysis as StudyAnalysis));
  }
  lines.push(...nodeLines(snap));
  lines.push(...outboxLines(snap.outbox));
  return lines.join('\n');
}

export const statusCommand: Command = {
  words: ['status'],
  summary: 'list recent studies and their state (receiving, waiting, ready, processing, done, failed)',
  help: `Usage: cd8-node status [--config FILE] [--limit N] [--all] [--json] [--watch [SECONDS]]

Lists the most recently active studies in the node's data directory with their
state: receiving, waiting (for contours or for the CT, with what is missing),
ready (and why: RTSTRUCT references complete, or stable age), processing, done,
or failed with the reason. Missing RTSTRUCT references and
other assembly notes are shown under each study, and for processed studies each
lesion with its site, volume and CD8 score (or why there is none). Then the
outbox: results waiting to be sent, their attempts and last error, and the last
ones sent. Reads the index while the node runs; it changes nothing.

Options:
  --config FILE   configuration of the node (for storage.dataDir; default: $CD8_CONFIG, else the defaults)
  --limit N       how many studies (default 20)
  --all           also list versions superseded by a newer one
  --json          machine-readable output
  --watch [S]     refresh every S seconds (default 2) until Ctrl-C`,
  async run(args: string[], io: CommandIo) {
    const { values, positionals } = parseCommandArgs(
      args,
      { config: { type: 'string', short: 'c' }, limit: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, watch: { type: 'boolean', short: 'w' } },
      { min: 0, max: 1 },
    );
    if (values.help) {
      io.out(statusCommand.help);
      return 0;
    }
    // `--watch 5`: the seconds come as the one positional argument.
    const watchSeconds = values.watch ? (positionals[0] === undefined ? 2 : Number(positionals[0])) : undefined;
    if (!values.watch && positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}".`);
    if (watchSeconds !== undefined && !(watchSeconds > 0)) throw new UsageError(`--watch takes a number of seconds > 0, not "${positionals[0]}".`);
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of studies ≥ 1, not "${values.limit}".`);
    const opened = await commandStorage(values.config, io, 'cd8-node status');
    if (!opened) return 1;
    const { storage, dataDir } = opened;
    try {
      const hashId = commandIdHasher(dataDir, io, 'cd8-node status');
      if (!hashId) return 1;
      const render = async () => {
        const snap = await snapshot(storage, dataDir, limit, values.all === true, hashId);
        return values.json ? JSON.stringify(snap, null, 2) : snapshotText(snap);
      };
      if (watchSeconds === undefined) {
        io.out(await render());
        return 0;
      }
      // Until Ctrl-C: clear the terminal and print the status again.
      for (;;) {
        const text = await render();
        io.out(`\x1b[2J\x1b[H${clock(new Date())}  (every ${watchSeconds} s; Ctrl-C to stop)\n\n${text}`);
        await new Promise((r) => setTimeout(r, watchSeconds * 1000));
      }
    } catch (e) {
      const message = errorText(e);
      if (/no such table/.test(message)) {
        io.err(`cd8-node status: the index in ${dataDir} has no study tables yet; the node has not finished its first start there.`);
        return 1;
      }
      throw e;
    } finally {
      await storage.close();
    }
  },
};
