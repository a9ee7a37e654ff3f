import { resolve } from 'node:path';
import { Command, CommandIo, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { formatIssues, loadConfig } from '../config/load';
import { DatabaseMissingError, openIndexDatabaseReadOnly } from '../store/database';
import { SqliteStudyIndex } from '../store/sqliteIndex';
import { StudyVersionSummary } from '../study/types';
import { hashedId } from '../ops/logger';

function clock(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function stateLine(s: StudyVersionSummary): string {
  switch (s.state) {
    case 'receiving':
      return `receiving (last instance ${clock(s.lastReceivedAt)})`;
    case 'ready': {
      const why = s.readyReason === 'references-complete' ? 'every image its RTSTRUCT references has arrived' : 'nothing new arrived for the stable age';
      return `ready since ${s.readyAt ? clock(s.readyAt) : '?'} (${why})`;
    }
    case 'processing':
      return `processing since ${clock(s.updatedAt)}`;
    case 'done':
      return `done ${clock(s.updatedAt)}${s.reason ? `: ${s.reason}` : ''}`;
    case 'failed':
      return `failed ${clock(s.updatedAt)}: ${s.reason ?? 'no reason recorded'}`;
  }
}

function describe(s: StudyVersionSummary): string[] {
  const other = s.instanceCount - s.ctImageCount - s.rtstructCount;
  const parts = [`${s.ctImageCount} CT image${s.ctImageCount === 1 ? '' : 's'}`, `${s.rtstructCount} RTSTRUCT`];
  if (other > 0) parts.push(`${other} other`);
  const lines = [
    `${s.studyInstanceUid}  (version ${s.version}${s.superseded ? ', superseded' : ''})`,
    `  state:     ${stateLine(s)}`,
    `  patient:   ${hashedId(s.patientId)} (hashed Patient ID)${s.studyDate ? `, study date ${s.studyDate}` : ''}${s.accessionNumber ? `, accession ${s.accessionNumber}` : ''}`,
    `  received:  ${s.instanceCount} instance${s.instanceCount === 1 ? '' : 's'} in ${s.seriesCount} series (${parts.join(', ')}), ${clock(s.firstReceivedAt)} – ${clock(s.lastReceivedAt)}`,
  ];
  for (const note of s.notes) lines.push(`  note:      ${note}`);
  return lines;
}

export const statusCommand: Command = {
  words: ['status'],
  summary: 'list recent studies and their state (receiving, ready, processing, done, failed)',
  help: `Usage: cd8-node status [--config FILE] [--limit N] [--all] [--json]

Lists the most recently active studies in the node's data directory with their
state: receiving, ready (and why: RTSTRUCT references complete, or stable age),
processing, done, or failed with the reason. Missing RTSTRUCT references and
other assembly notes are shown under each study. Reads the index while the node
runs; it changes nothing.

Options:
  --config FILE   configuration of the node (for storage.dataDir; default: $CD8_CONFIG, else the defaults)
  --limit N       how many studies (default 20)
  --all           also list versions superseded by a newer one
  --json          machine-readable output`,
  async run(args: string[], io: CommandIo) {
    const { values } = parseCommandArgs(
      args,
      { config: { type: 'string', short: 'c' }, limit: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } },
      { min: 0, max: 0 },
    );
    if (values.help) {
      io.out(statusCommand.help);
      return 0;
    }
    const limit = values.limit === undefined ? 20 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of studies ≥ 1, not "${values.limit}".`);
    const file = values.config ?? io.env.CD8_CONFIG ?? null;
    const loaded = loadConfig(file, io.env);
    if (!loaded.config) {
      io.err(formatIssues(loaded.issues.filter((i) => i.severity === 'error')));
      io.err('cd8-node status: the configuration has errors; fix them first (cd8-node config check).');
      return 1;
    }
    const dataDir = resolve(loaded.config.storage.dataDir);
    let db;
    try {
      db = openIndexDatabaseReadOnly(dataDir);
    } catch (e) {
      if (e instanceof DatabaseMissingError) {
        io.err(`cd8-node status: ${e.message}`);
        return 1;
      }
      throw e;
    }
    try {
      const index = new SqliteStudyIndex(db, dataDir, { readOnly: true });
      const studies = await index.listStudies({ limit, includeSuperseded: values.all === true });
      if (values.json) {
        io.out(JSON.stringify({ dataDir, studies }, null, 2));
        return 0;
      }
      if (studies.length === 0) {
        io.out(`No studies received yet (data directory ${dataDir}).`);
        return 0;
      }
      io.out(`${studies.length} most recent stud${studies.length === 1 ? 'y' : 'ies'} (data directory ${dataDir}):`);
      for (const s of studies) io.out(['', ...describe(s)].join('\n'));
      return 0;
    } catch (e) {
      const message = (e as Error).message;
      if (/no such table/.test(message)) {
        io.err(`cd8-node status: the index in ${dataDir} has no study tables yet; the node has not finished its first start there.`);
        return 1;
      }
      throw e;
    } finally {
      db.close();
    }
  },
};
