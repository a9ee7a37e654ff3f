/**
 * The node's storage, whichever engine holds it: the repositories every stage uses (instance
 * index, studies and readiness, jobs, results, outbox, cluster), each behind its interface.
 * `database.url` empty = embedded SQLite in the data directory; postgres://… = shared server.
 */
import type { InstanceIndex, RetentionIndex } from '../store/types';
import type { StudyIndex } from '../study/studyIndex';
import type { JobQueue, QueueOptions } from '../jobs/queue';
import type { ResultStore } from '../results/resultStore';
import type { Outbox } from '../outbox/outbox';
import type { ClusterRegistry } from '../ops/cluster';
import { indexDatabasePath, openSqlite, openSqliteReadOnly, SqliteDb } from './sqlite';
import { migratePostgres, migrateSqlite, postgresSchemaState, SchemaState, SchemaTooNewError, sqliteSchemaState } from './migrate';
import { explainPostgresError, INDEX_QUERY_TIMEOUT_MS, isPostgresUrl, openPostgres, PgPool, redactUrl } from './postgres';
import { SqliteStudyIndex } from './sqlite/studyIndex';
import { SqliteJobQueue } from './sqlite/jobs';
import { SqliteResultStore } from './sqlite/results';
import { SqliteOutbox } from './sqlite/outbox';
import { SqliteClusterRegistry } from './sqlite/cluster';
import { PgStudyIndex } from './postgres/studyIndex';
import { PgJobQueue } from './postgres/jobs';
import { PgResultStore } from './postgres/results';
import { PgOutbox } from './postgres/outbox';
import { PgClusterRegistry } from './postgres/cluster';

export type Engine = 'sqlite' | 'postgres';

export interface Storage {
  engine: Engine;
  /** Where the data is, for logs and status (a URL without its password, or the SQLite file). */
  location: string;
  /** The instance index, the studies and their readiness, and what retention needs of both. */
  index: InstanceIndex & StudyIndex & RetentionIndex;
  jobs: JobQueue;
  results: ResultStore;
  outbox: Outbox;
  cluster: ClusterRegistry;
  /** Can the database take a write now? undefined when it can, else what is wrong (for /readyz). */
  check(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** database.url: '' = SQLite in dataDir. */
  url: string;
  dataDir: string;
  /** Tools beside a running node: no migration, no writes (SQLite opens read-only). */
  readOnly?: boolean;
  queue?: QueueOptions;
  /** The outbox's clock (tests). */
  now?: () => number;
}

/** The database cannot be used: unreachable, refused, or a schema this code cannot run on. The message says what to do. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

const DEFAULT_QUEUE: QueueOptions = { maxAttempts: 3, backoffMs: () => 30_000 };

export function engineOf(url: string): Engine {
  return url.trim() === '' ? 'sqlite' : 'postgres';
}

export async function openStorage(o: StorageOptions): Promise<Storage> {
  return engineOf(o.url) === 'sqlite' ? openSqliteStorage(o) : openPostgresStorage(o);
}

function openSqliteStorage(o: StorageOptions): Storage {
  const queue = o.queue ?? DEFAULT_QUEUE;
  if (o.readOnly) {
    const db = openSqliteReadOnly(o.dataDir);
    return sqliteStorage(o, db, db, queue, async () => void db.close());
  }
  // The instance index has its own connection with synchronous=NORMAL: the spool is its record
  // and reconciliation rebuilds lost rows (store/reconcile.ts). Tables whose rows are the only
  // record (jobs, results, outbox) share a connection with synchronous=FULL.
  const db = openSqlite(o.dataDir);
  try {
    migrateSqlite(db);
  } catch (e) {
    db.close();
    if (e instanceof SchemaTooNewError) throw new StorageUnavailableError(`${indexDatabasePath(o.dataDir)}: ${e.message}`);
    throw e;
  }
  const indexDb = openSqlite(o.dataDir, { synchronous: 'NORMAL' });
  return sqliteStorage(o, indexDb, db, queue, async () => {
    indexDb.close();
    db.close();
  });
}

function sqliteStorage(o: StorageOptions, indexDb: SqliteDb, db: SqliteDb, queue: QueueOptions, close: () => Promise<void>): Storage {
  return {
    engine: 'sqlite',
    location: indexDatabasePath(o.dataDir),
    index: new SqliteStudyIndex(indexDb, o.dataDir),
    jobs: new SqliteJobQueue(db, queue),
    results: new SqliteResultStore(db),
    outbox: new SqliteOutbox(db, o.now),
    cluster: new SqliteClusterRegistry(db),
    async check() {
      // A write lock, taken and given back: a locked or read-only file shows here.
      db.prepare('BEGIN IMMEDIATE').run();
      db.prepare('ROLLBACK').run();
      return undefined;
    },
    close,
  };
}

async function openPostgresStorage(o: StorageOptions): Promise<Storage> {
  if (!isPostgresUrl(o.url)) throw new StorageUnavailableError(`database.url must be empty (embedded SQLite) or a postgres:// URL, not "${redactUrl(o.url)}".`);
  const pool = openPostgres(o.url);
  try {
    await pool.query('SELECT 1');
    if (o.readOnly) {
      const state = await postgresSchemaState(pool);
      const newer = state.find((s) => s.current > s.known);
      if (newer) throw new SchemaTooNewError(`the ${newer.module} tables are at schema version ${newer.current}, newer than this cd8-node understands (${newer.known}).`);
    } else {
      await migratePostgres(pool);
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw new StorageUnavailableError(e instanceof SchemaTooNewError ? `PostgreSQL at ${redactUrl(o.url)}: ${e.message}` : explainPostgresError(e, o.url));
  }
  return postgresStorage(o, pool);
}

function postgresStorage(o: StorageOptions, pool: PgPool): Storage {
  // The index has its own pool with a short query timeout: an instance waiting on a hung server
  // is refused as "retry later" (A7xx) well before the sender gives up on the association.
  const indexPool = openPostgres(o.url, { queryTimeoutMs: INDEX_QUERY_TIMEOUT_MS });
  return {
    engine: 'postgres',
    location: redactUrl(o.url),
    index: new PgStudyIndex(indexPool, o.dataDir),
    jobs: new PgJobQueue(pool, o.queue ?? DEFAULT_QUEUE),
    results: new PgResultStore(pool),
    outbox: new PgOutbox(pool, o.now),
    cluster: new PgClusterRegistry(pool),
    async check() {
      try {
        // A write that touches nothing: fails on a read-only standby or a lost connection.
        await pool.query('BEGIN; SET TRANSACTION READ WRITE; UPDATE schema_versions SET version = version WHERE false; COMMIT');
        return undefined;
      } catch (e) {
        return explainPostgresError(e, o.url);
      }
    },
    close: async () => {
      await Promise.all([pool.end(), indexPool.end()]);
    },
  };
}

/**
 * For `config check` and `db migrate --check`: connects, and says what is wrong (unreachable,
 * authentication, missing database or privileges, a schema newer than this code). An empty list
 * means the node can run on it.
 */
export async function checkDatabase(url: string, dataDir: string): Promise<{ problems: string[]; schema: SchemaState[] }> {
  if (engineOf(url) === 'sqlite') {
    let db: SqliteDb;
    try {
      db = openSqliteReadOnly(dataDir);
    } catch {
      return { problems: [], schema: [] }; // the node creates it at its first start
    }
    try {
      const schema = sqliteSchemaState(db);
      return { problems: schema.filter((s) => s.current > s.known).map((s) => tooNewText(indexDatabasePath(dataDir), s)), schema };
    } finally {
      db.close();
    }
  }
  if (!isPostgresUrl(url)) return { problems: [`database.url must be empty (embedded SQLite) or a postgres:// URL, not "${redactUrl(url)}".`], schema: [] };
  const pool = openPostgres(url, { max: 1, connectTimeoutMs: 5_000 });
  try {
    const privileges = await pool.query<{ create_schema: boolean; tables: string[] }>(
      `SELECT has_schema_privilege(current_schema(), 'CREATE') AS create_schema,
         COALESCE(ARRAY(SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema())::oid AND c.relkind = 'r'
           AND c.relname IN ('schema_versions', 'studies', 'study_versions', 'instances', 'rtstruct_refs', 'instance_replacements', 'analyses', 'lesion_scores', 'jobs', 'outbox', 'nodes', 'schedule_runs')
           AND NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))
           ORDER BY c.relname), '{}') AS tables`,
    );
    const p = privileges.rows[0];
    const problems: string[] = [];
    if (p.tables.length > 0) {
      problems.push(`PostgreSQL at ${redactUrl(url)}: the user lacks SELECT, INSERT, UPDATE or DELETE on ${p.tables.join(', ')}; grant them (GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA … TO …).`);
    }
    // Without the right to read schema_versions the versions cannot be told.
    const schema = p.tables.includes('schema_versions') ? [] : await postgresSchemaState(pool);
    problems.push(...schema.filter((s) => s.current > s.known).map((s) => tooNewText(`PostgreSQL at ${redactUrl(url)}`, s)));
    const pending = schema.filter((s) => s.current < s.known);
    if (pending.length > 0 && !p.create_schema) {
      problems.push(`PostgreSQL at ${redactUrl(url)}: the user may not create tables in the schema (${pending.map((s) => s.module).join(', ')} need migrating); grant CREATE on the schema, or let its owner run "cd8-node db migrate".`);
    }
    return { problems, schema };
  } catch (e) {
    return { problems: [explainPostgresError(e, url)], schema: [] };
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function tooNewText(where: string, s: SchemaState): string {
  return `${where}: the ${s.module} tables are at schema version ${s.current}, newer than this cd8-node understands (${s.known}); run the newer cd8-node, or restore a backup.`;
}
