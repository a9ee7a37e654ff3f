/** `cd8-node db migrate` and `cd8-node db copy`: the node's database, by hand. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { commandConfig } from './commandConfig';
import { checkDatabase, engineOf, openStorage, StorageUnavailableError } from '../db/storage';
import { openSqliteReadOnly, indexDatabasePath } from '../db/sqlite';
import { explainPostgresError, isPostgresUrl, openPostgres, redactUrl } from '../db/postgres';
import { copySqliteToPostgres, CopyRefusedError } from '../db/copy';
import { errorText } from '../ops/errorText';

export const dbMigrateCommand: Command = {
  words: ['db', 'migrate'],
  summary: "bring the database's tables up to this version (the node also does it at start)",
  help: `Usage: cd8-node db migrate [--config FILE] [--check]

Creates or updates every table of the node's database (database.url, env
CD8_DATABASE_URL; empty = the SQLite index in storage.dataDir) to the schema
this cd8-node knows, one versioned step at a time. Nodes do the same when they
start; run it by hand when the node's database user may not create tables
(run it as the owner), or before starting several nodes of a new version.

Options:
  --config FILE   configuration (default: $CD8_CONFIG, else the defaults)
  --check         only say what would be migrated, and what is wrong`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, check: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) {
      io.out(dbMigrateCommand.help);
      return 0;
    }
    const loaded = commandConfig(values.config, io, 'cd8-node db migrate');
    if (!loaded) return 1;
    const { url } = loaded.config.database;
    const dataDir = resolve(loaded.config.storage.dataDir);
    const where = engineOf(url) === 'sqlite' ? indexDatabasePath(dataDir) : redactUrl(url);
    const before = await checkDatabase(url, dataDir);
    for (const p of before.problems) io.err(`cd8-node db migrate: ${p}`);
    if (before.problems.length > 0) return 1;
    const pending = before.schema.filter((s) => s.current < s.known);
    if (values.check) {
      io.out(
        before.schema.length === 0 && engineOf(url) === 'sqlite'
          ? `${where}: no database yet; the node creates it at its first start.`
          : pending.length === 0
            ? `${where}: up to date (${before.schema.map((s) => `${s.module} v${s.current}`).join(', ')}).`
            : `${where}: to migrate: ${pending.map((s) => `${s.module} v${s.current} → v${s.known}`).join(', ')}.`,
      );
      return 0;
    }
    try {
      const storage = await openStorage({ url, dataDir });
      await storage.close();
    } catch (e) {
      if (e instanceof StorageUnavailableError) {
        io.err(`cd8-node db migrate: ${e.message}`);
        return 1;
      }
      throw e;
    }
    const after = await checkDatabase(url, dataDir);
    io.out(`${where}: ${pending.length === 0 ? 'already up to date' : `migrated ${pending.map((s) => s.module).join(', ')}`} (${after.schema.map((s) => `${s.module} v${s.current}`).join(', ')}).`);
    return 0;
  },
};

export const dbCopyCommand: Command = {
  words: ['db', 'copy'],
  summary: "copy an embedded node's index, results and outbox into PostgreSQL (to grow into a cluster)",
  help: `Usage: cd8-node db copy --to postgres://USER:PASSWORD@HOST:PORT/DB [--config FILE]

Copies everything the node's SQLite index in storage.dataDir holds (instance
index, studies and versions, results and lesion scores, jobs, the outbox with
its payloads) into an empty PostgreSQL database, in one transaction. Stop the
node first. Then set database.url (CD8_DATABASE_URL) to the same URL, keep the
same storage.dataDir (on the shared file system for several nodes), and start
the nodes: they find the history where they left it. The SQLite file is left
as it was.

Options:
  --to URL        the PostgreSQL database (empty; the tables are created)
  --config FILE   configuration of the node (for storage.dataDir)`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { config: { type: 'string', short: 'c' }, to: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) {
      io.out(dbCopyCommand.help);
      return 0;
    }
    if (!values.to || !isPostgresUrl(values.to)) throw new UsageError('--to must be a postgres://… URL of the target database.');
    const loaded = commandConfig(values.config, io, 'cd8-node db copy');
    if (!loaded) return 1;
    const dataDir = resolve(loaded.config.storage.dataDir);
    if (existsSync(join(dataDir, 'spool', '.in-use'))) {
      io.err(`cd8-node db copy: the node on ${dataDir} is running, or did not stop cleanly. Stop it (or start it once and stop it cleanly, so it reconciles its spool) before copying.`);
      return 1;
    }
    let source;
    try {
      source = openSqliteReadOnly(dataDir);
    } catch (e) {
      io.err(`cd8-node db copy: ${errorText(e)}`);
      return 1;
    }
    const target = openPostgres(values.to, { max: 2 });
    try {
      const report = await copySqliteToPostgres(source, target, (table, n) => io.out(`  ${table}: ${n} row${n === 1 ? '' : 's'}`));
      const total = Object.values(report.rows).reduce((a, b) => a + b, 0);
      io.out(`copied ${total} rows from ${indexDatabasePath(dataDir)} to ${redactUrl(values.to)}. Set database.url (CD8_DATABASE_URL) to it and start the node(s).`);
      return 0;
    } catch (e) {
      io.err(`cd8-node db copy: ${e instanceof CopyRefusedError ? e.message : explainPostgresError(e, values.to)} Nothing was copied.`);
      return 1;
    } finally {
      source.close();
      await target.end();
    }
  },
};
