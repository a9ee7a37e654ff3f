/**
 * A real HAProxy in front of several DICOM nodes: TCP mode (DICOM associations pass through
 * untouched), round robin per connection, each server health-checked by HTTP GET /readyz on the
 * node's HTTP port. A node whose /readyz fails (stopped, database unreachable) gets no new
 * associations.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, freePort, startDaemon, waitFor, waitForPort } from './process';

export interface Backend {
  name: string;
  port: number;
  httpPort: number;
}

export interface TestHaproxy extends Daemon {
  port: number;
  /** Server name → 'UP' | 'DOWN' | … as HAProxy sees it now. */
  states(): Promise<Record<string, string>>;
  /** Waits until HAProxy sees each named server in the given state. */
  waitFor(expected: Record<string, 'UP' | 'DOWN'>, timeoutMs?: number): Promise<void>;
}

/** HAProxy's text protocol on its stats socket: one command, the whole answer. */
function statsCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let out = '';
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.end(`${command}\n`);
  });
}

export async function startHaproxy(backends: Backend[]): Promise<TestHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-haproxy-'));
  const port = await freePort();
  const socket = join(dir, 'stats.sock');
  const config = [
    'global',
    `  stats socket ${socket} mode 600 level admin`,
    'defaults',
    '  mode tcp',
    '  timeout connect 5s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout check 2s',
    'frontend dicom',
    `  bind 127.0.0.1:${port}`,
    '  default_backend nodes',
    'backend nodes',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    '  http-check expect status 200',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check port ${b.httpPort} inter 500ms fall 2 rise 1`),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const daemon = startDaemon('haproxy', ['-f', file, '-db']);
  await waitForPort(port);
  const states = async () => {
    const text = await statsCommand(socket, 'show stat');
    const out: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const f = line.split(',');
      if (f[0] === 'nodes' && f[1] !== 'BACKEND' && f[1] !== undefined) out[f[1]] = f[17];
    }
    return out;
  };
  return {
    ...daemon,
    port,
    states,
    async waitFor(expected, timeoutMs = 20_000) {
      await waitFor(
        `HAProxy to see ${JSON.stringify(expected)}`,
        async () => {
          // The stats socket may appear a moment after the frontend port.
          const now = await states().catch(() => ({}) as Record<string, string>);
          return Object.entries(expected).every(([name, state]) => (now[name] ?? '').startsWith(state)) || undefined;
        },
        timeoutMs,
        100,
      );
    },
  };
}
