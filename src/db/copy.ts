/**
 * Moves an embedded node's history into a shared PostgreSQL database, so that a site can grow
 * from one node to several without losing it: the instance index, studies and their versions,
 * results and lesion scores, jobs and the outbox (payloads included). Rows are copied as they
 * are, in one transaction: the target ends with all of them or none. Jobs left running by the
 * stopped node become pending again.
 */
import type { SqliteDb } from './sqlite';
import { hasTable } from './sqlite';
import { inTransaction, PgPool } from './postgres';
import { migratePostgres, sqliteSchemaState } from './migrate';

/** Tables in the order their rows may go in (studies before what names them), and whether they have an identity id. */
const TABLES: ReadonlyArray<{ name: string; identity: boolean }> = [
  { name: 'studies', identity: false },
  { name: 'study_versions', identity: false },
  { name: 'instances', identity: false },
  { name: 'rtstruct_refs', identity: false },
  { name: 'instance_replacements', identity: true },
  { name: 'analyses', identity: false },
  { name: 'lesion_scores', identity: false },
  { name: 'jobs', identity: true },
  { name: 'outbox', identity: true },
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 500;

export class CopyRefusedError extends Error {
  override readonly name = 'CopyRefusedError';
}

export interface CopyReport {
  /** Rows copied per table. */
  rows: Record<string, number>;
}

export async function copySqliteToPostgres(source: SqliteDb, target: PgPool, onTable?: (table: string, rows: number) => void): Promise<CopyReport> {
  const outdated = sqliteSchemaState(source).filter((s) => s.current !== s.known && s.module !== 'cluster');
  if (outdated.length > 0) {
    throw new CopyRefusedError(
      `the SQLite index is at an older or newer schema (${outdated.map((s) => `${s.module} ${s.current} of ${s.known}`).join(', ')}); start and stop this cd8-node once on the data directory (it migrates), then copy.`,
    );
  }
  await migratePostgres(target);
  const rows: Record<string, number> = {};
  await inTransaction(target, async (c) => {
    const busy = await c.query<{ n: number }>(`SELECT (SELECT COUNT(*) FROM studies) + (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM analyses) AS n`);
    if (Number(busy.rows[0].n) > 0) {
      throw new CopyRefusedError('the target database already holds studies, jobs, results or outbox rows; copy into an empty database (a second copy would mix two histories).');
    }
    for (const table of TABLES) {
      if (!hasTable(source, table.name)) continue;
      const pgColumns = new Set((await c.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, [table.name])).rows.map((r) => r.column_name));
      const columns = (source.prepare(`PRAGMA table_info(${table.name})`).all() as Array<{ name: string }>).map((r) => r.name).filter((n) => pgColumns.has(n));
      let batch: unknown[][] = [];
      let count = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`).join(', ')})`).join(', ');
        await c.query(`INSERT INTO ${table.name} (${columns.join(', ')}) ${table.identity ? 'OVERRIDING SYSTEM VALUE ' : ''}VALUES ${values}`, batch.flat());
        count += batch.length;
        batch = [];
      };
      for (const row of source.prepare(`SELECT ${columns.join(', ')} FROM ${table.name}`).iterate() as Iterable<Record<string, unknown>>) {
        if (table.name === 'jobs' && row.state === 'running') Object.assign(row, { state: 'pending', lease_until: null });
        batch.push(columns.map((col) => row[col]));
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      if (table.identity) await c.query(`SELECT setval(pg_get_serial_sequence('${table.name}', 'id'), GREATEST((SELECT MAX(id) FROM ${table.name}), 1))`);
      rows[table.name] = count;
      onTable?.(table.name, count);
    }
  });
  return { rows };
}
