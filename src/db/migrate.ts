/**
 * Brings the tables of every module (db/schema.ts) up to date, on either engine. Each step runs
 * in its own transaction together with its version bump in `schema_versions`, so a crash never
 * leaves a half-migrated schema. A database newer than this code is refused with a clear message
 * (SchemaTooNewError), never written to.
 */
import type { Pool, PoolClient } from 'pg';
import type { SqliteDb } from './sqlite';
import { hasTable } from './sqlite';
import { ModuleSchema, SCHEMA } from './schema';

export class SchemaTooNewError extends Error {
  override readonly name = 'SchemaTooNewError';
}

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_versions (
    module TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  )`;

/** What a database holds against what this code knows, per module. */
export interface SchemaState {
  module: string;
  current: number;
  known: number;
}

function tooNew(module: string, current: number, known: number): SchemaTooNewError {
  return new SchemaTooNewError(
    `the ${module} tables in the database are at schema version ${current}, newer than this cd8-node understands (${known}); run the newer cd8-node, or restore a backup of the database.`,
  );
}

/** The version a module last migrated to (0 = none of its tables exist yet), SQLite. */
export function sqliteSchemaVersion(db: SqliteDb, module: string): number {
  if (!hasTable(db, 'schema_versions')) return 0;
  const row = db.prepare('SELECT version FROM schema_versions WHERE module = ?').get(module) as { version: number } | undefined;
  return row?.version ?? 0;
}

/** Migrates one module's steps on SQLite (exported for tests of the mechanism itself). */
export function migrateSqliteModule(db: SqliteDb, schema: { module: string; steps: readonly string[] }): number {
  const { module, steps } = schema;
  const current = sqliteSchemaVersion(db, module);
  if (current > steps.length) throw tooNew(module, current, steps.length);
  if (current < steps.length) db.exec(VERSIONS_TABLE);
  for (let v = current; v < steps.length; v++) {
    db.transaction(() => {
      db.exec(steps[v]);
      db.prepare(
        `INSERT INTO schema_versions (module, version, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(module) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
      ).run(module, v + 1, new Date().toISOString());
    })();
  }
  return steps.length - current;
}

/** Migrates every module on SQLite; returns the steps applied. */
export function migrateSqlite(db: SqliteDb, modules: readonly ModuleSchema[] = SCHEMA): number {
  let applied = 0;
  for (const m of modules) applied += migrateSqliteModule(db, { module: m.module, steps: m.steps.map((s) => s.sqlite) });
  return applied;
}

export function sqliteSchemaState(db: SqliteDb, modules: readonly ModuleSchema[] = SCHEMA): SchemaState[] {
  return modules.map((m) => ({ module: m.module, current: sqliteSchemaVersion(db, m.module), known: m.steps.length }));
}

/** An arbitrary constant: the advisory lock every node takes while it migrates. */
const MIGRATION_LOCK = 0x00cd8001;

async function pgVersions(client: Pool | PoolClient): Promise<Map<string, number>> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_versions')::text AS t`);
  if (!exists.rows[0].t) return new Map();
  const rows = await client.query<{ module: string; version: number }>('SELECT module, version FROM schema_versions');
  return new Map(rows.rows.map((r) => [r.module, r.version]));
}

export async function postgresSchemaState(pool: Pool, modules: readonly ModuleSchema[] = SCHEMA): Promise<SchemaState[]> {
  const versions = await pgVersions(pool);
  return modules.map((m) => ({ module: m.module, current: versions.get(m.module) ?? 0, known: m.steps.length }));
}

/**
 * Migrates every module on PostgreSQL. Nodes starting together queue on an advisory lock, so one
 * migrates and the others find the work done. Returns the steps applied.
 */
export async function migratePostgres(pool: Pool, modules: readonly ModuleSchema[] = SCHEMA): Promise<number> {
  const client = await pool.connect();
  let applied = 0;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(VERSIONS_TABLE);
      const versions = await pgVersions(client);
      for (const m of modules) {
        const current = versions.get(m.module) ?? 0;
        if (current > m.steps.length) throw tooNew(m.module, current, m.steps.length);
        for (let v = current; v < m.steps.length; v++) {
          await client.query('BEGIN');
          try {
            await client.query(m.steps[v].postgres);
            await client.query(
              `INSERT INTO schema_versions (module, version, updated_at) VALUES ($1, $2, $3)
               ON CONFLICT (module) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at`,
              [m.module, v + 1, new Date().toISOString()],
            );
            await client.query('COMMIT');
            applied++;
          } catch (e) {
            await client.query('ROLLBACK');
            throw e;
          }
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
  return applied;
}
