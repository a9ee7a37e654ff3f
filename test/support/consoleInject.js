'use strict';
/*
 * Builds the console's fastify app from dist/ (as the node does) and answers the requests given as
 * JSON on stdin with fastify's inject, which can set the remote address. Runs outside jest: the
 * cookie plugin loads its parser with a dynamic import(), which jest's module system refuses.
 * Input: { auth: {...http.auth overrides}, requests: [{ method, url, headers, payload, remoteAddress }] }
 * (a header value "$cookie" is replaced by the session cookie set by an earlier response).
 * Output: [{ statusCode, headers, body }] and the audit events, as JSON on stdout.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const DIST = join(__dirname, '..', '..', 'dist');
const { buildHttpApp } = require(join(DIST, 'ops', 'http'));
const { consoleRoutes } = require(join(DIST, 'console', 'routes'));
const { openStorage } = require(join(DIST, 'db', 'storage'));
const { loadConfig } = require(join(DIST, 'config', 'load'));
const { memoryAuditLog } = require(join(DIST, 'ops', 'audit'));
const { silentLogger } = require(join(DIST, 'ops', 'logger'));

async function main() {
  const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  const config = loadConfig(null, {}).config;
  config.http.auth = { ...config.http.auth, ...input.auth };
  // An empty embedded storage in a temporary data directory, as a node without studies has.
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-console-inject-'));
  const storage = await openStorage({ url: '', dataDir });
  const audit = memoryAuditLog();
  // No study at all: these requests never reach a page that lists one.
  const catalog = {
    onStudyReady: () => () => undefined,
    listStudies: async () => [],
    getStudy: async () => undefined,
    listInstances: async () => [],
    markProcessing: async () => false,
    markDone: async () => false,
    markFailed: async () => false,
  };
  const routes = consoleRoutes({
    config,
    dataDir,
    configSource: { file: null, env: {} },
    catalog,
    storage,
    kickSender: () => undefined,
    checks: [],
    auditFile: '/nonexistent/audit.log',
    audit,
    logger: silentLogger(),
    signature: { name: 'test', version: '1', file: 'test.json', pending: [] },
  });
  const app = await buildHttpApp({ checks: [], metrics: () => '', routes: [routes] });
  const out = [];
  let cookie = '';
  for (const r of input.requests) {
    const headers = Object.fromEntries(Object.entries(r.headers || {}).map(([k, v]) => [k, v === '$cookie' ? cookie : v]));
    const res = await app.inject({ method: r.method || 'GET', url: r.url, headers, payload: r.payload, remoteAddress: r.remoteAddress });
    if (res.headers['set-cookie']) cookie = String(res.headers['set-cookie']).split(';')[0];
    out.push({ statusCode: res.statusCode, headers: res.headers, body: res.body });
  }
  await app.close();
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ responses: out, audit: audit.events }));
}

main().catch((e) => {
  process.stderr.write(String(e.stack || e));
  process.exit(1);
});
