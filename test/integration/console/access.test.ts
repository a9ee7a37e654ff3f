/**
 * The console's access rules seen from another machine. fastify's inject sets the remote
 * address; it runs in a child process (test/support/consoleInject.js) because the cookie plugin
 * loads its parser with a dynamic import(), which jest refuses.
 */
import { join } from 'node:path';
import { run } from '../../support/process';
import { hashPassword } from '../../../src/config/passwordHash';

interface Injected {
  responses: Array<{ statusCode: number; headers: Record<string, string>; body: string }>;
  audit: Array<{ event: string }>;
}

async function inject(auth: Record<string, unknown>, requests: Array<Record<string, unknown>>): Promise<Injected> {
  const r = await run(process.execPath, [join(__dirname, '..', '..', 'support', 'consoleInject.js')], { input: JSON.stringify({ auth, requests }) });
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
});
