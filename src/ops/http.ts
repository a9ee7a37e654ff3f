/**
 * The local HTTP endpoint: /healthz (the process answers), /readyz (it can do its job: database
 * writable, disk space above the threshold, DICOM listener bound) and /metrics (Prometheus).
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorText } from './errorText';

export interface ReadinessCheck {
  name: string;
  /** Returns undefined when fine, else what is wrong. */
  check(): string | undefined | Promise<string | undefined>;
}

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

export async function startHttpEndpoint(options: {
  port: number;
  bind: string;
  checks: ReadinessCheck[];
  metrics: () => string;
}): Promise<HttpEndpoint> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      void Promise.all(
        options.checks.map(async (c) => {
          try {
            return { name: c.name, problem: await c.check() };
          } catch (e) {
            return { name: c.name, problem: errorText(e) };
          }
        }),
      ).then((results) => {
        const failing = results.filter((r) => r.problem !== undefined);
        const body = {
          ready: failing.length === 0,
          checks: Object.fromEntries(results.map((r) => [r.name, r.problem ?? 'ok'])),
        };
        res.writeHead(failing.length === 0 ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(body) + '\n');
      });
      return;
    }
    if (path === '/metrics') {
      let text: string;
      try {
        text = options.metrics();
      } catch (e) {
        // A gauge reads the database; a failure there is a 500 for the scraper, never a crash of the node.
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics unavailable: ${errorText(e)}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: try /healthz, /readyz or /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `HTTP port ${options.port} on ${options.bind} is already in use; set http.port (CD8_HTTP_PORT) to a free port, or 0 to disable the endpoint.`
            : `cannot start the HTTP endpoint on ${options.bind}:${options.port}: ${e.message}`,
        ),
      ),
    );
    server.listen(options.port, options.bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
