/**
 * The console's access rules seen from another machine. fastify's inject sets the remote
 * address; it runs in a child process (test/support/consoleInject.js) because the cookie plugin
 * loads its parser with a dynamic import(), which jest refuses.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../support/process';
import { hashPassword } from '../../../src/config/passwordHash';
import { LOGIN_FAILURES_ALLOWED } from '../../../src/console/auth';

interface Injected {
  responses: Array<{ statusCode: number; headers: Record<string, string>; body: string }>;
  audit: Array<{ event: string; peer?: string; reason?: string }>;
}

async function inject(auth: Record<string, unknown>, requests: Array<Record<string, unknown>>, options: { trustProxy?: string[]; auditFile?: string; parallel?: boolean } = {}): Promise<Injected> {
  const r = await run(process.execPath, [join(__dirname, '..', '..', 'support', 'consoleInject.js')], { input: JSON.stringify({ auth, requests, ...options }) });
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Injected;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const FAR = '10.1.2.3';

describe('console access from another machine', () => {
  it('without credentials: 403 with what to configure; the probes still answer; loopback reads', async () => {
    const { responses } = await inject({}, [
      { url: '/', remoteAddress: FAR },
      { url: '/healthz', remoteAddress: FAR },
      { url: '/', remoteAddress: '127.0.0.1' },
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([403, 200, 200]);
    expect(responses[0].body).toMatch(/No credential is configured \(http\.auth\)/);
  }, 30_000);

  it('a right password over plain HTTP says why the session cannot stick, unless a TLS proxy says https', async () => {
    const admin = { passwordHash: hashPassword('admin-password', { n: 2 ** 10, r: 8, p: 1 }), tokenSha256: null };
    const payload = 'role=admin&password=admin-password';
    const { responses, audit } = await inject({ admin }, [
      { method: 'POST', url: '/login', headers: FORM, payload, remoteAddress: FAR },
      { method: 'POST', url: '/login', headers: { ...FORM, 'x-forwarded-proto': 'https' }, payload, remoteAddress: FAR },
      { url: '/', headers: { cookie: '$cookie' }, remoteAddress: FAR },
    ]);
    const [plain, proxied, overview] = responses;
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toMatch(/came over plain HTTP from another machine/);
    expect([proxied.statusCode, proxied.headers.location]).toEqual([303, '/']);
    expect(String(proxied.headers['set-cookie'])).toMatch(/^cd8_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(overview.statusCode).toBe(200);
    // Pages carry the console's security headers.
    expect(overview.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    expect(overview.headers['x-frame-options']).toBe('DENY');
    expect(audit.filter((e) => e.event === 'console.login')).toHaveLength(2);
  }, 30_000);

  it('behind a reverse proxy on this machine, without http.trustProxy: a forwarded request never gets the no-credential access', async () => {
    const { responses } = await inject({}, [
      { url: '/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': FAR } },
      { url: '/', remoteAddress: '127.0.0.1', headers: { forwarded: `for=${FAR};proto=https` } },
      { url: '/', remoteAddress: '127.0.0.1' },
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([403, 403, 200]);
    expect(responses[0].body).toMatch(/came through a proxy \(X-Forwarded-For or Forwarded\) that http\.trustProxy does not name/);
  }, 30_000);

  it('with http.trustProxy naming the proxy: the client behind it is who is checked, rate-limited and audited', async () => {
    const open = await inject(
      {},
      [
        { url: '/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': FAR } },
        { url: '/', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '127.0.0.1' } },
        // A client that is not the trusted proxy cannot claim to be loopback.
        { url: '/', remoteAddress: FAR, headers: { 'x-forwarded-for': '127.0.0.1' } },
      ],
      { trustProxy: ['127.0.0.1'] },
    );
    expect(open.responses.map((r) => r.statusCode)).toEqual([403, 200, 403]);

    const admin = { passwordHash: hashPassword('admin-password', { n: 2 ** 10, r: 8, p: 1 }), tokenSha256: null };
    const wrong = (client: string) => ({ method: 'POST', url: '/login', headers: { ...FORM, 'x-forwarded-for': client }, payload: 'role=admin&password=wrong', remoteAddress: '127.0.0.1' });
    const { responses, audit } = await inject({ admin }, [...Array.from({ length: LOGIN_FAILURES_ALLOWED + 1 }, () => wrong(FAR)), wrong('10.7.7.7')], { trustProxy: ['127.0.0.1'] });
    // The sixth try of one client is refused; another client behind the same proxy is not.
    expect(responses.map((r) => r.statusCode)).toEqual([...Array<number>(LOGIN_FAILURES_ALLOWED).fill(401), 429, 401]);
    expect(audit.filter((e) => e.event === 'console.login-failed').map((e) => e.peer)).toEqual([...Array<string>(LOGIN_FAILURES_ALLOWED + 1).fill(FAR), '10.7.7.7']);
  }, 30_000);

  it('runs one audit search at a time: a second one at once is told to wait (429)', async () => {
    const auditFile = join(mkdtempSync(join(tmpdir(), 'cd8-audit-busy-')), 'audit.log');
    const line = JSON.stringify({ time: '2026-12-07T09:00:00.000Z', event: 'instance.stored', callingAeTitle: 'MODALITY', studyInstanceUid: '1.2.3.9' });
    writeFileSync(auditFile, (line + '\n').repeat(100_000));
    const search = { url: '/audit?ae=PACS', remoteAddress: '127.0.0.1' };
    const { responses } = await inject({}, [search, search], { auditFile, parallel: true });
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 429]);
    const busy = responses.find((r) => r.statusCode === 429)!;
    expect(busy.body).toMatch(/Another audit search is running; try again in a moment\./);
    expect(busy.headers['retry-after']).toBe('2');
  }, 30_000);

  it('a wrong bearer token is audited and counted like a failed login', async () => {
    const viewer = { passwordHash: null, tokenSha256: createHash('sha256').update('viewer-token').digest('hex') };
    const guess = { url: '/', headers: { authorization: 'Bearer guess' }, remoteAddress: FAR };
    const { responses, audit } = await inject({ viewer }, [...Array.from({ length: LOGIN_FAILURES_ALLOWED + 1 }, () => guess), { url: '/', headers: { authorization: 'Bearer viewer-token' }, remoteAddress: FAR }, { url: '/', headers: { authorization: 'Bearer viewer-token' }, remoteAddress: '10.1.2.4' }]);
    expect(responses.map((r) => r.statusCode)).toEqual([...Array<number>(LOGIN_FAILURES_ALLOWED).fill(401), 429, 429, 200]);
    expect(responses[0].body).toMatch(/The bearer token is not a viewer or admin token of this node/);
    expect(responses[0].headers['www-authenticate']).toBe('Bearer');
    expect(audit.filter((e) => e.event === 'console.login-failed').map((e) => `${e.peer} ${e.reason}`)).toEqual([
      ...Array<string>(LOGIN_FAILURES_ALLOWED).fill(`${FAR} wrong-token`),
      `${FAR} rate-limited`,
      `${FAR} rate-limited`,
    ]);
  }, 30_000);
});
