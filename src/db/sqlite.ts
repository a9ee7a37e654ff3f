/**
 * The embedded engine: one SQLite file, `<dataDir>/index.sqlite`, holding every table (instance
 * index, studies, jobs, results, outbox, cluster). The default: `npm start` needs no server.
 *
 * Settings: WAL (readers such as `cd8-node status` never block the listener), a busy timeout so
 * a second process waits instead of failing, foreign keys on, and synchronous=FULL by default:
 * a committed transaction survives a power cut. The instance index, whose rows can be rebuilt
 * from the spool, has its own connection with NORMAL (survives a process crash; a power cut may
 * lose the last commits, which start-up reconciliation restores).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The one name of an open SQLite database in this code base. */
export type SqliteDb = Database.Database;

export const INDEX_FILE_NAME = 'index.sqlite';

export function indexDatabasePath(dataDir: string): string {
  return join(dataDir, INDEX_FILE_NAME);
}

export class DatabaseMissingError extends Error {
  override readonly name = 'DatabaseMissingError';
}

/** Opens (creating when needed) the database of a data directory for the running node. Tables are created by migrateSqlite (db/migrate.ts). */
export function openSqlite(dataDir: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): SqliteDb {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(indexDatabasePath(dataDir));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * Opens the database of a data directory for reading only (CLI tools beside a running node).
 * Throws DatabaseMissingError when the node never ran there.
 */
export function openSqliteReadOnly(dataDir: string): SqliteDb {
  const path = indexDatabasePath(dataDir);
  if (!existsSync(path)) {
    throw new DatabaseMissingError(`no index in ${dataDir} (${INDEX_FILE_NAME} is missing): the node has not run with this data directory yet, or storage.dataDir points elsewhere.`);
  }
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Is there a table of this name? (read-only tools on a database an older node made) */
export function hasTable(db: SqliteDb, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Prepared statements made once per SQL text (better-sqlite3 prepares synchronously; a repeat costs a map lookup). */
export function statementCache(db: SqliteDb): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let st = cache.get(sql);
    if (!st) {
      st = db.prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
}
