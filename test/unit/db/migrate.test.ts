/** The db/ layer: one connection setup, versioned migrations of every table, on both engines. */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseMissingError, openSqlite, openSqliteReadOnly } from '../../../src/db/sqlite';
import { migratePostgres, migrateSqlite, migrateSqliteModule, postgresSchemaState, sqliteSchemaState, sqliteSchemaVersion } from '../../../src/db/migrate';
import { SCHEMA } from '../../../src/db/schema';
import { openStorage, StorageUnavailableError } from '../../../src/db/storage';
import { openPostgres } from '../../../src/db/postgres';
import { ENGINES, testStorages } from '../../support/storage';

const storages = testStorages();
const dir = () => mkdtempSync(join(tmpdir(), 'cd8-db-'));
const LATEST = Object.fromEntries(SCHEMA.map((m) => [m.module, m.steps.length]));

describe('SQLite connection', () => {
  it('opens <dataDir>/index.sqlite in WAL mode, synchronous FULL, with a busy timeout', () => {
    const db = openSqlite(dir());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('opens read-only for tools, and explains when the node never ran there', () => {
    const d = dir();
    expect(() => openSqliteReadOnly(d)).toThrow(DatabaseMissingError);
    expect(() => openSqliteReadOnly(d)).toThrow(/the node has not run with this data directory yet/);
    openSqlite(d).close();
    const ro = openSqliteReadOnly(d);
    expect(() => ro.exec('CREATE TABLE x (a INTEGER)')).toThrow(/readonly/);
    ro.close();
  });
});

describe('migrations', () => {
  it('migrate each module on its own and only once; a schema newer than the code is refused', () => {
    const db = openSqlite(dir());
    const steps = ['CREATE TABLE jobs_a (id INTEGER)', 'ALTER TABLE jobs_a ADD COLUMN state TEXT'];
    expect(migrateSqliteModule(db, { module: 'a', steps })).toBe(2);
    expect(migrateSqliteModule(db, { module: 'a', steps })).toBe(0);
    migrateSqliteModule(db, { module: 'b', steps: ['CREATE TABLE outbox_a (id INTEGER)'] });
    expect(sqliteSchemaVersion(db, 'a')).toBe(2);
    expect(sqliteSchemaVersion(db, 'b')).toBe(1);
    expect(sqliteSchemaVersion(db, 'c')).toBe(0);
    expect(() => migrateSqliteModule(db, { module: 'a', steps: steps.slice(0, 1) })).toThrow(/schema version 2, newer than this cd8-node understands \(1\)/);
    db.close();
  });

  it('roll a failing step back whole', () => {
    const db = openSqlite(dir());
    expect(() => migrateSqliteModule(db, { module: 'bad', steps: ['CREATE TABLE ok_table (id INTEGER); CREATE TABLE broken ('] })).toThrow();
    expect(sqliteSchemaVersion(db, 'bad')).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_table'").get()).toBeUndefined();
    db.close();
  });

  it('bring a data directory made by the code before the db/ layer (jobs and outbox without a version) up to date in place, losing no row', async () => {
    const d = dir();
    copyFileSync(join(__dirname, '../../fixtures/db/index-before-db-layer.sqlite'), join(d, 'index.sqlite'));
    const before = openSqlite(d);
    expect(sqliteSchemaState(before).map((s) => [s.module, s.current])).toEqual([['store', 2], ['results', 2], ['jobs', 0], ['outbox', 0], ['cluster', 0]]);
    before.close();

    const storage = await openStorage({ url: '', dataDir: d });
    try {
      expect(await storage.index.getStudy('1.2.3.100')).toMatchObject({ state: 'ready', instanceCount: 3, notes: ['no RTSTRUCT was received.'] });
      expect((await storage.index.listInstances('1.2.3.100', 1)).map((i) => i.instanceNumber)).toEqual([1, 2, 3]);
      // The job its node left running is handed back, the other is still pending.
      expect(await storage.jobs.counts()).toEqual({ pending: 1, running: 1, done: 0, failed: 0 });
      expect(await storage.jobs.recoverRunning('any')).toBe(1);
      expect(await storage.jobs.claim('node-a', 60_000)).toMatchObject({ studyInstanceUid: '1.2.3.100', attempts: 2, node: 'node-a' });
      expect((await storage.results.get('1.2.3.100', 1))?.lesions).toHaveLength(1);
      expect(await storage.results.cohortScores('CD8 Sun 2018 1.0')).toEqual([0.5]);
      const outbox = await storage.outbox.forStudy('1.2.3.100');
      expect(outbox.map((r) => [r.kind, r.state])).toEqual([['dicom', 'sent'], ['hl7', 'pending']]);
      expect((await storage.outbox.claimNext('ris', 1000))?.payload.toString()).toBe('MSH|...');
    } finally {
      await storage.close();
    }
    const after = openSqlite(d);
    expect(Object.fromEntries(sqliteSchemaState(after).map((s) => [s.module, s.current]))).toEqual(LATEST);
    after.close();
  });

  if (ENGINES.includes('postgres')) {
    it('on PostgreSQL: nodes starting together migrate once; a schema newer than the code is refused with what to do', async () => {
      const url = await storages.newUrl('postgres');
      const pools = [openPostgres(url), openPostgres(url), openPostgres(url)];
      try {
        const applied = await Promise.all(pools.map((p) => migratePostgres(p)));
        expect(applied.reduce((a, b) => a + b, 0)).toBe(Object.values(LATEST).reduce((a, b) => a + b, 0));
        expect(Object.fromEntries((await postgresSchemaState(pools[0])).map((s) => [s.module, s.current]))).toEqual(LATEST);
        await pools[0].query(`UPDATE schema_versions SET version = version + 1 WHERE module = 'jobs'`);
      } finally {
        for (const p of pools) await p.end();
      }
      await expect(openStorage({ url, dataDir: dir() })).rejects.toThrow(StorageUnavailableError);
      await expect(openStorage({ url, dataDir: dir() })).rejects.toThrow(/the jobs tables in the database are at schema version 3, newer than this cd8-node understands \(2\)/);
    });
  }

  describe.each(ENGINES)('store step 3 (a study version may wait) on %s', (engine) => {
    // The schema as it was before step 3, then migrated on: every version row kept, 'waiting' allowed.
    const before = SCHEMA.map((m) => (m.module === 'store' ? { ...m, steps: m.steps.slice(0, 2) } : m));
    const study = `INSERT INTO studies (study_uid, current_version, first_received_at, last_received_at) VALUES ('1.2.3', 2, 1000, 2000)`;
    const versions = `INSERT INTO study_versions (study_uid, version, state, reason, notes, created_at, updated_at) VALUES ('1.2.3', 1, 'done', 'score 0.4', '[]', 1000, 1500), ('1.2.3', 2, 'receiving', NULL, '["a note"]', 1600, 2000)`;
    const rows = `SELECT version, state, reason, notes FROM study_versions ORDER BY version`;
    const expected = [
      { version: 1, state: 'done', reason: 'score 0.4', notes: '[]' },
      { version: 2, state: 'receiving', reason: null, notes: '["a note"]' },
    ];
    const toWaiting = `UPDATE study_versions SET state = 'waiting' WHERE version = 2`;
    const toNonsense = `UPDATE study_versions SET state = 'asleep' WHERE version = 2`;

    it('keeps every version row and lets a version wait; other states are still refused', async () => {
      if (engine === 'sqlite') {
        const db = openSqlite(dir());
        migrateSqlite(db, before);
        db.exec(study);
        db.exec(versions);
        expect(() => db.exec(toWaiting)).toThrow(/CHECK constraint failed/);
        expect(migrateSqlite(db)).toBe(1);
        expect(sqliteSchemaVersion(db, 'store')).toBe(3);
        expect(db.prepare(rows).all()).toEqual(expected);
        db.exec(toWaiting);
        expect(() => db.exec(toNonsense)).toThrow(/CHECK constraint failed/);
        expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'study_versions' AND name NOT LIKE 'sqlite_%'`).all()).toEqual([{ name: 'study_versions_by_state' }]);
        db.close();
        return;
      }
      const pool = openPostgres(await storages.newUrl('postgres'));
      try {
        await migratePostgres(pool, before);
        await pool.query(study);
        await pool.query(versions);
        await expect(pool.query(toWaiting)).rejects.toThrow(/study_versions_state_check/);
        expect(await migratePostgres(pool)).toBe(1);
        expect((await postgresSchemaState(pool)).find((m) => m.module === 'store')?.current).toBe(3);
        expect((await pool.query(rows)).rows).toEqual(expected);
        await pool.query(toWaiting);
        await expect(pool.query(toNonsense)).rejects.toThrow(/study_versions_state_check/);
      } finally {
        await pool.end();
      }
    });
  });

  it('apply the same schema versions on SQLite as on PostgreSQL (db copy relies on it)', async () => {
    const sqlite = openSqlite(dir());
    migrateSqlite(sqlite);
    expect(Object.fromEntries(sqliteSchemaState(sqlite).map((s) => [s.module, s.current]))).toEqual(LATEST);
    sqlite.close();
  });
});
