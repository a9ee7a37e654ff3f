/**
 * A real PostgreSQL server for a test: initdb in a temporary directory owned by the `postgres`
 * user (initdb and pg_ctl refuse to run as root), on a free loopback port, stopped and removed
 * by stop(). Start one per test file and give each test its own database (createDatabase).
 */
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, run, RunResult } from './process';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  port: number;
  /** Superuser URL of the maintenance database. */
  url: string;
  /** A new empty database (owned by the superuser); returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** A role with a password and the given privileges; returns a URL for it. */
  createRole(name: string, password: string, database: string, grants?: string[]): Promise<string>;
  /** Stops the server (fast shutdown: open sessions are ended) and removes its files. */
  stop(): Promise<void>;
  /** Stops the server but keeps its files, to start it again with restart(). */
  pause(): Promise<void>;
  restart(): Promise<void>;
  /** Suspends every server process (SIGSTOP): a hung server that keeps its connections open. Returns the function that resumes them. */
  freeze(): Promise<() => void>;
}

let databases = 0;

async function asPostgres(args: string[], timeoutMs = 60_000): Promise<RunResult> {
  // Only root needs to switch user; an unprivileged test run calls the tools directly.
  const r = userInfo().uid === 0 ? await run('runuser', ['-u', 'postgres', '--', ...args], { timeoutMs }) : await run(args[0], args.slice(1), { timeoutMs });
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-pg-'));
  if (userInfo().uid === 0) {
    const ids = await run('id', ['-u', 'postgres']);
    const gids = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  await asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  // Password auth on TCP (so tests can check "authentication failed"), except the superuser from loopback.
  await asPostgres(['sh', '-c', `printf 'local all all trust\\nhost all postgres 127.0.0.1/32 trust\\nhost all all 127.0.0.1/32 scram-sha-256\\n' > ${data}/pg_hba.conf`]);
  const start = () =>
    asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -h 127.0.0.1 -c fsync=off -c max_connections=200`, 'start'], 90_000);
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = async (sql: string, database = 'postgres') => {
    const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/${database}` });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  let running = true;
  const stopServer = async () => {
    if (!running) return;
    running = false;
    await asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop'], 60_000).catch(() => undefined);
  };
  return {
    port,
    url,
    async createDatabase(name = `cd8_test_${process.pid}_${++databases}`) {
      await admin(`CREATE DATABASE ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async createRole(name, password, database, grants = []) {
      await admin(`CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
      for (const g of grants) await admin(g, database);
      return `postgres://${name}:${password}@127.0.0.1:${port}/${database}`;
    },
    async stop() {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: stopServer,
    async freeze() {
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = (await run('pgrep', ['-P', String(postmaster)])).stdout.split('\n').filter(Boolean).map(Number);
      const pids = [postmaster, ...children];
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      return () => {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      };
    },
    async restart() {
      await start();
      running = true;
    },
  };
}
