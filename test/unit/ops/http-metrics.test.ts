import { get, request } from 'node:http';
import { Counter, Histogram, nodeMetrics, Registry, Gauge } from '../../../src/ops/metrics';
import { startHttpEndpoint } from '../../../src/ops/http';

const fetchText = (port: number, path: string) =>
  new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject);
  });

describe('metrics', () => {
  it('render counters, gauges and histograms in the Prometheus text format', () => {
    const r = new Registry();
    const c = r.add(new Counter('x_total', 'Xs.'));
    c.inc({ reason: 'calling-ae' });
    c.inc({ reason: 'calling-ae' });
    r.add(new Gauge('depth', 'Depth.', () => [{ labels: { state: 'pending' }, value: 3 }]));
    const h = r.add(new Histogram('t_seconds', 'T.', [1, 5]));
    h.observe(0.5);
    h.observe(3);
    expect(r.render()).toBe(
      [
        '# HELP x_total Xs.',
        '# TYPE x_total counter',
        'x_total{reason="calling-ae"} 2',
        '# HELP depth Depth.',
        '# TYPE depth gauge',
        'depth{state="pending"} 3',
        '# HELP t_seconds T.',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{le="1"} 1',
        't_seconds_bucket{le="5"} 2',
        't_seconds_bucket{le="+Inf"} 2',
        't_seconds_sum 3.5',
        't_seconds_count 2',
        '',
      ].join('\n'),
    );
  });
});

describe('HTTP endpoint', () => {
  it('answers /healthz, /readyz with every check, and /metrics', async () => {
    const m = nodeMetrics();
    m.instancesReceived.inc({}, 61);
    let diskProblem: string | undefined;
    const http = await startHttpEndpoint({
      port: 0,
      bind: '127.0.0.1',
      metrics: () => m.registry.render(),
      checks: [
        { name: 'database', check: () => undefined },
        { name: 'disk', check: () => diskProblem },
      ],
    });
    try {
      expect(await fetchText(http.port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
      const ready = await fetchText(http.port, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { database: 'ok', disk: 'ok' } });
      diskProblem = 'only 12 MB free in /data (minimum 1024 MB)';
      const notReady = await fetchText(http.port, '/readyz');
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.body).checks.disk).toBe(diskProblem);
      const metrics = await fetchText(http.port, '/metrics');
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(metrics.body).toMatch(/^cd8_instances_received_total 61$/m);
      expect((await fetchText(http.port, '/nope')).status).toBe(404);
    } finally {
      await http.close();
    }
  });

  it('answers 500 when the metrics cannot be read, and keeps serving', async () => {
    const http = await startHttpEndpoint({
      port: 0,
      bind: '127.0.0.1',
      metrics: () => {
        throw new Error('database is locked');
      },
      checks: [],
    });
    try {
      expect(await fetchText(http.port, '/metrics')).toMatchObject({ status: 500, body: 'metrics unavailable: database is locked\n' });
      expect(await fetchText(http.port, '/healthz')).toMatchObject({ status: 200 });
    } finally {
      await http.close();
    }
  });

  it('says which port is taken', async () => {
    const first = await startHttpEndpoint({ port: 0, bind: '127.0.0.1', metrics: () => '', checks: [] });
    try {
      await expect(startHttpEndpoint({ port: first.port, bind: '127.0.0.1', metrics: () => '', checks: [] })).rejects.toThrow(
        new RegExp(`HTTP port ${first.port} on 127.0.0.1 is already in use; set http.port \\(CD8_HTTP_PORT\\)`),
      );
    } finally {
      await first.close();
    }
  });
});

describe('HTTP endpoint on fastify', () => {
  it('answers 405 with Allow to other methods on the probes, and serves routes other modules register', async () => {
    const http = await startHttpEndpoint({
      port: 0,
      bind: '127.0.0.1',
      metrics: () => '',
      checks: [],
      routes: [{ name: 'extra', register: (app) => void app.get('/extra', async () => ({ extra: true })) }],
    });
    try {
      const post = await new Promise<{ status: number; allow: string | undefined }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: http.port, path: '/healthz', method: 'POST' }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(post).toEqual({ status: 405, allow: 'GET, HEAD' });
      expect(await fetchText(http.port, '/extra')).toMatchObject({ status: 200, body: '{"extra":true}' });
      expect(await fetchText(http.port, '/nope')).toMatchObject({ status: 404, body: 'not found: try /healthz, /readyz or /metrics\n' });
    } finally {
      await http.close();
    }
  });

  it('guards the probes when asked (http.auth.protectProbes), and leaves other routes to their own rules', async () => {
    const http = await startHttpEndpoint({
      port: 0,
      bind: '127.0.0.1',
      metrics: () => 'm 1\n',
      checks: [],
      guardProbes: (request, reply) => {
        if (request.headers.authorization === 'Bearer ok') return true;
        void reply.code(401).send('token needed\n');
        return false;
      },
    });
    try {
      expect(await fetchText(http.port, '/metrics')).toMatchObject({ status: 401, body: 'token needed\n' });
      expect(await fetchText(http.port, '/healthz')).toMatchObject({ status: 401 });
      const withToken = await fetch(`http://127.0.0.1:${http.port}/metrics`, { headers: { authorization: 'Bearer ok', connection: 'close' } });
      expect([withToken.status, await withToken.text()]).toEqual([200, 'm 1\n']);
    } finally {
      await http.close();
    }
  });
});
