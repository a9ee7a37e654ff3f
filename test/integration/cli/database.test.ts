/**
 * The node's database as an admin meets it: `config check` says what is wrong with a PostgreSQL
 * URL, `db migrate` creates the tables, `db copy` moves an embedded node's history into
 * PostgreSQL, `status` reads it there, and `serve` refuses to start without its database.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, runCli } from '../../support/process';
import { startPostgres, TestPostgres } from '../../support/postgres';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);
afterAll(() => pg?.stop(), 60_000);

const env = (url: string, dataDir = mkdtempSync(join(tmpdir(), 'cd8-db-cli-'))) => ({ CD8_DATABASE_URL: url, CD8_DATA_DIR: dataDir });

describe('config check with a PostgreSQL database.url', () => {
  it('says it is unreachable, with where and what to check', async () => {
    const r = await runCli(['config', 'check'], env(`postgres://cd8:secret@127.0.0.1:${await freePort()}/cd8`));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/database\.url: PostgreSQL at postgres:\/\/cd8:\*\*\*@127\.0\.0\.1:\d+\/cd8 is unreachable \(connection refused\)/);
    expect(r.stderr).not.toMatch(/secret/);
  });

  it('says the login was refused, the database is missing, or a privilege is missing', async () => {
    const db = await pg.createDatabase('cd8_check');
    await pg.createRole('cd8_reader', 'right', 'cd8_check', ['REVOKE CREATE ON SCHEMA public FROM PUBLIC']);
    const wrongPassword = await runCli(['config', 'check'], env(`postgres://cd8_reader:wrong@127.0.0.1:${pg.port}/cd8_check`));
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toMatch(/refused the login \(authentication failed\): check the user and password/);
    const missing = await runCli(['config', 'check'], env(`postgres://cd8_reader:right@127.0.0.1:${pg.port}/nowhere`));
    expect(missing.stderr).toMatch(/the database does not exist/);
    const noCreate = await runCli(['config', 'check'], env(`postgres://cd8_reader:right@127.0.0.1:${pg.port}/cd8_check`));
    expect(noCreate.code).toBe(1);
    expect(noCreate.stderr).toMatch(/may not create tables in the schema \(store, results, jobs, outbox, cluster need migrating\)/);
    // The owner migrates; the node's user still lacks rights on the tables until they are granted.
    const migrated = await runCli(['db', 'migrate'], env(db));
    expect(migrated.stdout).toMatch(/migrated store, results, jobs, outbox, cluster \(store v3, results v2, jobs v2, outbox v2, cluster v1\)/);
    const noGrant = await runCli(['config', 'check'], env(`postgres://cd8_reader:right@127.0.0.1:${pg.port}/cd8_check`));
    expect(noGrant.stderr).toMatch(/lacks SELECT, INSERT, UPDATE or DELETE on .*studies/);
    const c = new Client({ connectionString: db });
    await c.connect();
    await c.query('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cd8_reader');
    const ok = await runCli(['config', 'check'], env(`postgres://cd8_reader:right@127.0.0.1:${pg.port}/cd8_check`));
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // A schema newer than this code: refused by check, migrate and serve alike.
    await c.query(`UPDATE schema_versions SET version = 9 WHERE module = 'outbox'`);
    await c.end();
    const newer = await runCli(['config', 'check'], env(db));
    expect(newer.stderr).toMatch(/the outbox tables are at schema version 9, newer than this cd8-node understands \(2\); run the newer cd8-node/);
    expect((await runCli(['db', 'migrate'], env(db))).code).toBe(1);
  });
});

describe('db migrate and db copy', () => {
  it('moves an embedded node\'s history (made by the code before the db/ layer) into PostgreSQL, where status shows it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cd8-db-copy-'));
    copyFileSync(join(__dirname, '../../fixtures/db/index-before-db-layer.sqlite'), join(dataDir, 'index.sqlite'));
    const check = await runCli(['db', 'migrate', '--check'], env('', dataDir));
    expect(check.stdout).toMatch(/index\.sqlite: to migrate: store v2 → v3, jobs v0 → v2, outbox v0 → v2, cluster v0 → v1\./);
    // Copying an index that is not migrated yet is refused; after migrating it goes.
    const target = await pg.createDatabase('cd8_copy');
    const early = await runCli(['db', 'copy', '--to', target], env('', dataDir));
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/start and stop this cd8-node once on the data directory/);
    expect((await runCli(['db', 'migrate'], env('', dataDir))).stdout).toMatch(/migrated store, jobs, outbox, cluster/);
    const copy = await runCli(['db', 'copy', '--to', target], env('', dataDir));
    expect(copy.stderr).toBe('');
    expect(copy.stdout).toMatch(/studies: 1 row\n {2}study_versions: 1 row\n {2}instances: 3 rows/);
    expect(copy.stdout).toMatch(/jobs: 2 rows/);
    expect(copy.stdout).toMatch(/outbox: 2 rows/);
    const status = await runCli(['status', '--json'], env(target, dataDir));
    expect(status.code).toBe(0);
    const snap = JSON.parse(status.stdout) as { studies: Array<{ studyInstanceUid: string; state: string; instanceCount: number }>; outbox: { counts: Record<string, number> } };
    expect(snap.studies).toEqual([expect.objectContaining({ studyInstanceUid: '1.2.3.100', state: 'ready', instanceCount: 3 })]);
    expect(snap.outbox.counts).toEqual({ pending: 1, sending: 0, sent: 1, failed: 0 });
    const c = new Client({ connectionString: target });
    await c.connect();
    expect((await c.query(`SELECT state FROM jobs ORDER BY id`)).rows.map((r) => r.state)).toEqual(['pending', 'pending']); // the running one handed back
    expect((await c.query(`SELECT convert_from(payload, 'UTF8') AS p FROM outbox WHERE kind = 'hl7'`)).rows[0].p).toBe('MSH|...');
    // New rows after the copy get new ids.
    const next = await c.query(`INSERT INTO jobs (study_uid, version, state, created_at, updated_at) VALUES ('9.9', 1, 'pending', 0, 0) RETURNING id`);
    expect(Number(next.rows[0].id)).toBe(3);
    await c.end();
    // A second copy would mix two histories.
    const again = await runCli(['db', 'copy', '--to', target], env('', dataDir));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds studies, jobs, results or outbox rows; copy into an empty database.*Nothing was copied/);
  });
});

describe('serve without its database', () => {
  it('says PostgreSQL is unreachable and exits', async () => {
    const port = await freePort();
    const r = await runCli(['serve'], { ...env(`postgres://cd8@127.0.0.1:${port}/cd8`), CD8_PORT: String(await freePort()), CD8_HTTP_PORT: '0' }, { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/cd8-node could not start: PostgreSQL at postgres:\/\/cd8@127\.0\.0\.1:\d+\/cd8 is unreachable \(connection refused\): is the server running/);
  });
});
