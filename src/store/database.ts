/**
 * The node's one SQLite file, `<dataDir>/index.sqlite`, shared by every module that keeps state:
 * the instance/study index, the results, the job queue and the outbox. None touches another's
 * tables. The index and the results record their schema version with `migrate()`; the job queue
 * and the outbox create their tables with `CREATE TABLE IF NOT EXISTS`.
 *
 * Settings: WAL (readers such as `cd8-node status` never block the listener), a busy timeout so
 * a second process waits instead of failing, foreign keys on, and synchronous=FULL by default:
 * a committed transaction survives a power cut. A module whose rows can be rebuilt from files
 * (the instance index: the spool is its record) may open its own connection with NORMAL, which
 * survives a process crash but may lose the last commits in a power cut.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type SqliteDatabase = Database.Database;

export const INDEX_FILE_NAME = 'index.sqlite';

export function indexDatabasePath(dataDir: string): string {
  return join(dataDir, INDEX_FILE_NAME);
}

export class DatabaseMissingError extends Error {

  override readonly name = 'DatabaseMissingError';

}

/** Opens (creating when needed) the index database of a data directory for the running node. */
export function openIndexDatabase(dataDir: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(indexDatabasePath(dataDir));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    ensureSchemaVersions(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * Opens the index of a data directory for reading only (CLI tools beside a running node).
 * Throws DatabaseMissingError when the node never ran there.
 */
export function openIndexDatabaseReadOnly(dataDir: string): SqliteDatabase {
  const path = indexDatabasePath(dataDir);
  if (!existsSync(path)) {
    throw new DatabaseMissingError(`no index in ${dataDir} (${INDEX_FILE_NAME} is missing): the node has not run with this data directory yet, or storage.dataDir points elsewhere.`);
  }
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

function ensureSchemaVersions(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_versions (
    module TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  )`);
}

/** The schema version a module last migrated to (0 = none of its tables exist yet). */
export function schemaVersion(db: SqliteDatabase, module: string): number {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").get();
  if (!hasTable) return 0;
  const row = db.prepare('SELECT version FROM schema_versions WHERE module = ?').get(module) as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Brings a module's tables up to date. `steps[i]` is the SQL taking the schema from version i to
 * i + 1; each step runs in its own transaction together with the version bump, so a crash never
 * leaves a half-migrated schema. A database newer than this code is refused with a clear message.
 */
export function migrate(db: SqliteDatabase, module: string, steps: readonly string[]): void {
  const current = schemaVersion(db, module);
  if (current < steps.length) ensureSchemaVersions(db);
  if (current > steps.length) {
    throw new Error(
      `the ${module} tables in the index are at schema version ${current}, newer than this cd8-node understands (${steps.length}); run the newer cd8-node, or restore a backup of the data directory.`,
    );
  }
  for (let v = current; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]);
      db.prepare(
        `INSERT INTO schema_versions (module, version, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(module) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      ).run(module, v + 1, new Date().toISOString());
    })();
  }
}
