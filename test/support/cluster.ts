/**
 * Several cd8-node processes sharing one PostgreSQL database and one data directory (the spool
 * on a "shared file system": here the same local directory), each with its own node name and
 * audit file, as docs/cluster describes.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { freePort, run } from './process';
import { NodeProcess, startNodeProcess } from './nodeProcess';

export interface ClusterNodeOptions {
  name: string;
  url: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  ports?: { port: number; httpPort: number };
  /** jobs.leaseS: how soon another node takes over the job of a dead one. */
  leaseS?: number;
}

export async function startClusterNode(o: ClusterNodeOptions): Promise<NodeProcess> {
  const config = join(mkdtempSync(join(tmpdir(), `cd8-${o.name}-`)), 'config.yaml');
  writeFileSync(config, [`log:`, `  auditFile: audit-${o.name}.log`, `jobs:`, `  leaseS: ${o.leaseS ?? 5}`, ''].join('\n'));
  const ports = o.ports ?? { port: await freePort(), httpPort: await freePort() };
  return startNodeProcess({ CD8_CONFIG: config, CD8_DATABASE_URL: o.url, CD8_NODE_ID: o.name, ...o.env }, o.dataDir, ports);
}

/** Copies of a study with new Study, Series and SOP Instance UIDs (dcmodify), each in its own directory. */
export async function studyCopies(source: string, count: number, into = mkdtempSync(join(tmpdir(), 'cd8-copies-'))): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 1; i <= count; i++) {
    const dir = join(into, String(i));
    mkdirSync(dir, { recursive: true });
    cpSync(source, dir, { recursive: true });
    const byDir = new Map<string, string[]>();
    for (const file of dicomFilesIn(dir)) byDir.set(dirname(file), [...(byDir.get(dirname(file)) ?? []), file]);
    const uid = () => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`)}`;
    const study = uid();
    // One Study Instance UID per copy, one Series Instance UID per directory, new SOP Instance UIDs (-gin).
    for (const list of byDir.values()) {
      const r = await run('dcmodify', ['-q', '-nb', '-m', `(0020,000D)=${study}`, '-m', `(0020,000E)=${uid()}`, '-gin', ...list], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`dcmodify failed: ${r.stderr}`);
    }
    dirs.push(dir);
  }
  return dirs;
}

/** The .dcm files under a directory, at any depth, sorted. */
export function dicomFilesIn(dir: string): string[] {
  const files: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) files.push(...dicomFilesIn(join(dir, e.name)));
    else if (e.name.endsWith('.dcm')) files.push(join(dir, e.name));
  }
  return files.sort();
}

/** One query against the cluster's database. */
export async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
