/** The shared index database: durable settings, per-module schema versions, read-only access. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseMissingError, migrate, openIndexDatabase, openIndexDatabaseReadOnly, schemaVersion } from '../../../src/store/database';

const dir = () => mkdtempSync(join(tmpdir(), 'cd8-db-'));

describe('index database', () => {
  it('opens <dataDir>/index.sqlite in WAL mode, synchronous FULL, with a busy timeout', () => {
    const db = openIndexDatabase(dir());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('migrates each module on its own and only once', () => {
    const d = dir();
    const db = openIndexDatabase(d);
    const steps = ['CREATE TABLE jobs_a (id INTEGER)', 'ALTER TABLE jobs_a ADD COLUMN state TEXT'];
    migrate(db, 'jobs', steps);
    migrate(db, 'jobs', steps);
    migrate(db, 'outbox', ['CREATE TABLE outbox_a (id INTEGER)']);
    expect(schemaVersion(db, 'jobs')).toBe(2);
    expect(schemaVersion(db, 'outbox')).toBe(1);
    expect(schemaVersion(db, 'store')).toBe(0);
    db.close();
    // A newer schema than the code knows is refused with a way out.
    const again = openIndexDatabase(d);
    expect(() => migrate(again, 'jobs', steps.slice(0, 1))).toThrow(/schema version 2, newer than this cd8-node understands \(1\)/);
    again.close();
  });

  it('rolls a failing migration step back whole', () => {
    const db = openIndexDatabase(dir());
    expect(() => migrate(db, 'bad', ['CREATE TABLE ok_table (id INTEGER); CREATE TABLE broken ('])).toThrow();
    expect(schemaVersion(db, 'bad')).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_table'").get()).toBeUndefined();
    db.close();
  });

  it('opens read-only for tools, and explains when the node never ran there', () => {
    const d = dir();
    expect(() => openIndexDatabaseReadOnly(d)).toThrow(DatabaseMissingError);
    expect(() => openIndexDatabaseReadOnly(d)).toThrow(/the node has not run with this data directory yet/);
    openIndexDatabase(d).close();
    const ro = openIndexDatabaseReadOnly(d);
    expect(() => ro.exec('CREATE TABLE x (a INTEGER)')).toThrow(/readonly/);
    ro.close();
  });
});
