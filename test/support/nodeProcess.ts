/** The node as an admin runs it: `cd8-node serve` in its own process, configured by CD8_* variables. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, Daemon, freePort, PEER_ENV, ROOT, startDaemon, waitFor, waitForPort } from './process';

/**
 * A time zone (TZ) where it is about noon now. The console's "today" starts at the node's local
 * midnight: a node run in this zone cannot pass midnight while a test that counts today's studies runs.
 */
export function middayTimeZone(now = new Date()): string {
  // Etc/GMT+x is x hours behind UTC (POSIX sign); x runs from -12 to 11.
  const x = now.getUTCHours() - 12;
  return x === 0 ? 'Etc/GMT' : `Etc/GMT${x > 0 ? '+' : '-'}${Math.abs(x)}`;
}

export interface NodeProcess extends Daemon {
  port: number;
  httpPort: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  /** JSON log lines so far. */
  logs(): Array<{ level: string; message: string; [k: string]: unknown }>;
}

export async function startNodeProcess(env: NodeJS.ProcessEnv = {}, dataDir = mkdtempSync(join(tmpdir(), 'cd8-node-')), ports?: { port: number; httpPort: number }): Promise<NodeProcess> {
  const port = ports?.port ?? (await freePort());
  const httpPort = ports?.httpPort ?? (await freePort());
  const fullEnv = {
    ...PEER_ENV,
    CD8_DATA_DIR: dataDir,
    CD8_PORT: String(port),
    CD8_BIND: '127.0.0.1',
    CD8_HTTP_PORT: String(httpPort),
    CD8_LOG_FORMAT: 'json',
    ...env,
  };
  const daemon = startDaemon(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: fullEnv });
  await waitFor(
    'the node to start',
    () => {
      if (daemon.child.exitCode !== null) throw new Error(`cd8-node serve exited with ${daemon.child.exitCode}:\n${daemon.output()}`);
      return /"node ready"/.test(daemon.output()) || undefined;
    },
    30000,
  );
  await waitForPort(port);
  const logs = () =>
    daemon
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; message: string });
  return { ...daemon, port, httpPort, dataDir, env: fullEnv, logs };
}
