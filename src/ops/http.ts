/**
 * The local HTTP endpoint: /healthz (the process answers), /readyz (it can do its job: database
 * writable, disk space above the threshold, DICOM listener bound) and /metrics (Prometheus),
 * served by fastify. Other parts of the node (the web console, DICOMweb) add their routes as
 * `HttpRoutes` plugins: each runs in a fastify scope of its own, so a content-type parser or hook
 * it registers does not leak into the others.
 */
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/** A module's routes on the node's HTTP port (registered as a fastify plugin). */
export interface HttpRoutes {
  name: string;
  register(app: FastifyInstance): void | Promise<void>;
}

export interface HttpAppOptions {
  checks: ReadinessCheck[];
  metrics: () => string | Promise<string>;
  /** Further routes: the console, DICOMweb ... */
  routes?: HttpRoutes[];
  /** Answers a GET/HEAD for a path nobody serves (default: a plain-text 404 naming the endpoints). */
  notFound?: (request: FastifyRequest, reply: FastifyReply) => unknown;
  /** Guards the health, readiness and metrics endpoints (default: open). Returns false when it has answered. */
  guardProbes?: (request: FastifyRequest, reply: FastifyReply) => boolean | Promise<boolean>;
  /** Largest request body in bytes (fastify's default is 1 MiB). */
  bodyLimit?: number;
}

export interface ReadinessResult {
  ready: boolean;
  checks: Record<string, string>;
}

/** Runs every readiness check; a check that throws is a failing check, never an error of the caller. */
export async function runReadinessChecks(checks: ReadinessCheck[]): Promise<ReadinessResult> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return { name: c.name, problem: await c.check() };
      } catch (e) {
        return { name: c.name, problem: errorText(e) };
      }
    }),
  );
  return {
    ready: results.every((r) => r.problem === undefined),
    checks: Object.fromEntries(results.map((r) => [r.name, r.problem ?? 'ok'])),
  };
}

const PROBES = ['/healthz', '/readyz', '/metrics'];
const TEXT = 'text/plain; charset=utf-8';

/** The fastify application of the HTTP port, not yet listening (tests may `inject` into it). */
export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimit ?? 1024 * 1024, return503OnClosing: true });
  const guard = options.guardProbes;
  const probe = (handler: (request: FastifyRequest, reply: FastifyReply) => unknown) => async (request: FastifyRequest, reply: FastifyReply) => {
    if (guard && !(await guard(request, reply))) return reply;
    return handler(request, reply);
  };

  app.get(
    '/healthz',
    probe((_req, reply) => reply.type(TEXT).send('ok\n')),
  );
  app.get(
    '/readyz',
    probe(async (_req, reply) => {
      const result = await runReadinessChecks(options.checks);
      return reply
        .code(result.ready ? 200 : 503)
        .type('application/json')
        .send(JSON.stringify(result) + '\n');
    }),
  );
  app.get(
    '/metrics',
    probe(async (_req, reply) => {
      let text: string;
      try {
        text = await options.metrics();
      } catch (e) {
        // A gauge reads the database; a failure there is a 500 for the scraper, never a crash of the node.
        return reply.code(500).type(TEXT).send(`metrics unavailable: ${errorText(e)}\n`);
      }
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    }),
  );
  // The probes are read-only: any other method is told what they accept.
  for (const url of PROBES) {
    app.route({ method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url, handler: (_req, reply) => reply.code(405).header('Allow', 'GET, HEAD').send() });
  }

  for (const r of options.routes ?? []) {
    await app.register(async (scope) => {
      await r.register(scope);
    });
  }

  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply.code(405).header('Allow', 'GET, HEAD').send();
    if (options.notFound) return options.notFound(request, reply);
    return reply.code(404).type(TEXT).send(`not found: try ${PROBES.join(', ').replace(/, ([^,]*)$/, ' or $1')}\n`);
  });
  return app;
}

export async function startHttpEndpoint(options: HttpAppOptions & { port: number; bind: string }): Promise<HttpEndpoint> {
  const app = await buildHttpApp(options);
  try {
    await app.listen({ port: options.port, host: options.bind });
  } catch (e) {
    await app.close().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new Error(
      err.code === 'EADDRINUSE'
        ? `HTTP port ${options.port} on ${options.bind} is already in use; set http.port (CD8_HTTP_PORT) to a free port, or 0 to disable the endpoint.`
        : `cannot start the HTTP endpoint on ${options.bind}:${options.port}: ${err.message}`,
    );
  }
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () => app.close(),
  };
}
