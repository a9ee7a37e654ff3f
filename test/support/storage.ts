/**
 * Storage-layer tests run on both engines: embedded SQLite in a temporary data directory, and a
 * real PostgreSQL server started for the test file (one server, a new database per storage).
 * CD8_TEST_ENGINES=sqlite (or postgres) restricts a run to one engine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, Storage, StorageOptions } from '../../src/db/storage';
import { startPostgres, TestPostgres } from './postgres';
import { openSqlite, SqliteDb } from '../../src/db/sqlite';
import { migrateSqlite } from '../../src/db/migrate';
import { SqliteStudyIndex } from '../../src/db/sqlite/studyIndex';

export type EngineName = 'sqlite' | 'postgres';

export const ENGINES: EngineName[] = (process.env.CD8_TEST_ENGINES ?? 'sqlite,postgres').split(',').filter((e): e is EngineName => e === 'sqlite' || e === 'postgres');

export interface TestStorages {
  /** A new, empty, migrated storage of that engine (closed after the file's tests). */
  open(engine: EngineName, options?: Partial<StorageOptions>): Promise<Storage & { dataDir: string; url: string }>;
  /** A database URL of that engine for a node process ('' = SQLite in its data directory). */
  newUrl(engine: EngineName): Promise<string>;
  /** The PostgreSQL server of this file (started on first use). */
  postgres(): Promise<TestPostgres>;
}

/** Call at the top of a test file: registers the clean-up. */
export function testStorages(): TestStorages {
  let server: Promise<TestPostgres> | undefined;
  const opened: Storage[] = [];
  const postgres = () => (server ??= startPostgres());
  const newUrl = async (engine: EngineName) => (engine === 'sqlite' ? '' : (await postgres()).createDatabase());
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    if (server) await (await server).stop();
  }, 60_000);
  return {
    postgres,
    newUrl,
    async open(engine, options = {}) {
      const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `cd8-${engine}-`));
      const url = options.url ?? (await newUrl(engine));
      const storage = await openStorage({ ...options, url, dataDir });
      opened.push(storage);
      return Object.assign(storage, { dataDir, url });
    },
  };
}

/** The SQLite index of a new (or given) data directory, migrated, with its connection for tests that look at rows. */
export function sqliteIndex(dataDir = mkdtempSync(join(tmpdir(), 'cd8-index-')), synchronous: 'FULL' | 'NORMAL' = 'FULL'): { dataDir: string; db: SqliteDb; index: SqliteStudyIndex } {
  const db = openSqlite(dataDir, { synchronous });
  migrateSqlite(db);
  return { dataDir, db, index: new SqliteStudyIndex(db, dataDir) };
}
