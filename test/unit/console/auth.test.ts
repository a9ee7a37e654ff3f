import { createHash } from 'node:crypto';
import { ConsoleAuth, AuthSettings, Principal, LOGIN_FAILURES_ALLOWED, LOGIN_WINDOW_MS, MAX_SECRET_LENGTH, MAX_SESSIONS, MAX_TRACKED_ADDRESSES, MAX_VERIFYING, rateLimitKey, SESSION_COOKIE } from '../../../src/console/auth';
import { hashPassword, passwordHashProblem, verifyPassword, verifyToken } from '../../../src/config/passwordHash';

const cheap = { n: 2 ** 10, r: 8, p: 1 };
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const none = { passwordHash: null, tokenSha256: null };

function settings(over: Partial<AuthSettings> = {}): AuthSettings {
  return {
    viewer: { passwordHash: hashPassword('viewer-secret', cheap), tokenSha256: sha('viewer-token') },
    admin: { passwordHash: hashPassword('admin-secret', cheap), tokenSha256: sha('admin-token') },
    sender: { tokenSha256: [sha('sender-token'), sha('second-sender')] },
    protectProbes: false,
    sessionMinutes: 30,
    ...over,
  };
}

const request = (ip: string, extra: { authorization?: string; session?: string } = {}) => ({
  ip,
  headers: extra.authorization ? { authorization: extra.authorization } : {},
  cookies: extra.session ? { [SESSION_COOKIE]: extra.session } : {},
});

describe('console password hashes', () => {
  it('verify the right password only, and name what is wrong with a bad hash', async () => {
    const h = hashPassword('correct horse', cheap);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(passwordHashProblem(h)).toBeUndefined();
    expect(passwordHashProblem('hunter2')).toMatch(/scrypt\$N\$r\$p\$salt\$hash/);
    // A configured cost that would stall every login (or exhaust memory) is refused.
    expect(passwordHashProblem(h.replace('$1024$', '$4194304$'))).toMatch(/N must be a power of two between 2 and 1048576/);
    expect(passwordHashProblem(h.replace('$1024$', '$1000$'))).toMatch(/power of two/);
    expect(verifyToken('t', sha('t'))).toBe(true);
    expect(verifyToken('u', sha('t'))).toBe(false);
  });
});

describe('console sessions and roles', () => {
  it('logs in per role, gives each session its own CSRF token, and ends idle sessions', async () => {
    let now = 1_000_000;
    const auth = new ConsoleAuth(settings(), () => now);
    const admin = await auth.login('admin', 'admin-secret', '10.0.0.5');
    const viewer = await auth.login('viewer', 'viewer-secret', '10.0.0.5');
    if (!admin.ok || !viewer.ok) throw new Error('login failed');
    expect(admin.csrf).not.toBe(viewer.csrf);
    const p = auth.identify(request('10.0.0.5', { session: admin.sessionId })) as Principal;
    expect(p).toMatchObject({ role: 'admin', via: 'session' });
    expect(auth.csrfMatches(p, admin.csrf)).toBe(true);
    expect(auth.csrfMatches(p, viewer.csrf)).toBe(false);
    expect(auth.csrfMatches(p, undefined)).toBe(false);
    // The viewer password does not open the admin role.
    expect(await auth.login('admin', 'viewer-secret', '10.0.0.6')).toMatchObject({ ok: false, reason: 'wrong' });
    now += 31 * 60_000;
    expect(auth.identify(request('10.0.0.5', { session: admin.sessionId }))).toBeUndefined();
  });

  it('knows bearer tokens by their SHA-256, refuses unknown or overlong ones, and gives them no CSRF token', async () => {
    const auth = new ConsoleAuth(settings());
    expect(auth.identify(request('10.0.0.5', { authorization: 'Bearer admin-token' }))).toEqual({ role: 'admin', via: 'token' });
    expect(auth.identify(request('10.0.0.5', { authorization: 'Bearer viewer-token' }))).toEqual({ role: 'viewer', via: 'token' });
    expect(auth.identify(request('10.0.0.5', { authorization: 'Bearer nope' }))).toEqual({ refused: 'wrong-token' });
    expect(auth.identify(request('10.0.0.5', { authorization: `Bearer ${'a'.repeat(MAX_SECRET_LENGTH + 1)}` }))).toEqual({ refused: 'wrong-token' });
    expect(auth.csrfMatches({ role: 'admin', via: 'token' }, 'anything')).toBe(false);
  });

  it('lets sender and admin tokens store by STOW-RS; a viewer token, a session and open access never; a sender token opens no console page', () => {
    const auth = new ConsoleAuth(settings());
    expect(auth.storeAccess('Bearer sender-token', '10.0.0.5')).toEqual({ ok: true, role: 'sender' });
    expect(auth.storeAccess('bearer second-sender', '10.0.0.5')).toEqual({ ok: true, role: 'sender' });
    expect(auth.storeAccess('Bearer admin-token', '10.0.0.5')).toEqual({ ok: true, role: 'admin' });
    expect(auth.storeAccess('Bearer viewer-token', '10.0.0.5')).toMatchObject({ ok: false, status: 403, message: expect.stringMatching(/a viewer token may not store/) });
    for (const [i, refused] of [undefined, '', 'Bearer nope', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'a'.repeat(MAX_SECRET_LENGTH + 1)}`].entries()) {
      expect(auth.storeAccess(refused, `10.0.1.${i}`)).toMatchObject({ ok: false, status: 401, message: expect.stringMatching(/http\.auth\.sender\.tokenSha256/) });
    }
    // The sender token is no console credential.
    expect(auth.identify(request('10.0.0.5', { authorization: 'Bearer sender-token' }))).toBeUndefined();
    // With no credential at all (read-only console on loopback) nobody may store, loopback included.
    const open = new ConsoleAuth(settings({ viewer: none, admin: none, sender: { tokenSha256: [] } }));
    expect(open.open).toBe(true);
    expect(open.storeAccess(undefined, '127.0.0.1')).toMatchObject({ ok: false, status: 401 });
  });

  it('counts wrong STOW-RS tokens like failed logins: after too many, the address may neither store nor use the console', () => {
    let now = 0;
    const auth = new ConsoleAuth(settings(), () => now);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) expect(auth.storeAccess(`Bearer guess-${i}`, '10.0.0.9')).toMatchObject({ ok: false, status: 401 });
    // The right sender token from that address is refused for now, and so is the console.
    expect(auth.storeAccess('Bearer sender-token', '10.0.0.9')).toMatchObject({ ok: false, status: 429, retryAfterS: expect.any(Number), message: expect.stringMatching(/too many wrong tokens from 10\.0\.0\.9/) });
    expect(auth.identify(request('10.0.0.9', { authorization: 'Bearer admin-token' }))).toMatchObject({ refused: 'rate-limited' });
    // Another address stores; a request without any token is not a guess.
    expect(auth.storeAccess('Bearer sender-token', '10.0.0.10')).toEqual({ ok: true, role: 'sender' });
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) expect(auth.storeAccess(undefined, '10.0.0.11')).toMatchObject({ status: 401 });
    expect(auth.storeAccess('Bearer sender-token', '10.0.0.11')).toEqual({ ok: true, role: 'sender' });
    // After the window, the address may try again.
    now += LOGIN_WINDOW_MS + 1;
    expect(auth.storeAccess('Bearer sender-token', '10.0.0.9')).toEqual({ ok: true, role: 'sender' });
  });

  it('counts wrong bearer tokens like failed logins: after too many, the address is refused, a right token and password included', async () => {
    let now = 0;
    const auth = new ConsoleAuth(settings(), () => now);
    for (let i = 2; i < LOGIN_FAILURES_ALLOWED; i++) expect(auth.identify(request('10.0.0.7', { authorization: `Bearer guess-${i}` }))).toEqual({ refused: 'wrong-token' });
    expect(await auth.login('admin', 'wrong', '10.0.0.7')).toMatchObject({ reason: 'wrong' });
    expect(await auth.login('admin', 'wrong', '10.0.0.7')).toMatchObject({ reason: 'wrong' });
    expect(auth.identify(request('10.0.0.7', { authorization: 'Bearer admin-token' }))).toEqual({ refused: 'rate-limited', retryAfterS: LOGIN_WINDOW_MS / 1000 });
    expect(await auth.login('admin', 'admin-secret', '10.0.0.7')).toMatchObject({ reason: 'rate-limited' });
    now += LOGIN_WINDOW_MS;
    expect(auth.identify(request('10.0.0.7', { authorization: 'Bearer admin-token' }))).toEqual({ role: 'admin', via: 'token' });
  });

  it('refuses logins from an address after too many failures until the window ends, the right password included', async () => {
    let now = 0;
    const auth = new ConsoleAuth(settings(), () => now);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) expect(await auth.login('admin', `guess-${i}`, '10.0.0.9')).toMatchObject({ reason: 'wrong' });
    expect(await auth.login('admin', 'admin-secret', '10.0.0.9')).toMatchObject({ ok: false, reason: 'rate-limited', retryAfterS: LOGIN_WINDOW_MS / 1000 });
    // Another address is not affected.
    expect(await auth.login('admin', 'admin-secret', '10.0.0.10')).toMatchObject({ ok: true });
    now += LOGIN_WINDOW_MS;
    expect(await auth.login('admin', 'admin-secret', '10.0.0.9')).toMatchObject({ ok: true });
    // An overlong password is wrong without being hashed.
    expect(await auth.login('admin', 'x'.repeat(MAX_SECRET_LENGTH + 1), '10.0.0.11')).toMatchObject({ reason: 'wrong' });
  });

  it('tracks failed logins of at most MAX_TRACKED_ADDRESSES addresses, forgetting the oldest', async () => {
    const auth = new ConsoleAuth(settings({ admin: { passwordHash: hashPassword('a', { n: 2, r: 1, p: 1 }), tokenSha256: null } }), () => 0);
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) await auth.login('admin', 'wrong', '10.9.9.9');
    expect(auth.retryAfterS('10.9.9.9')).toBeGreaterThan(0);
    for (let i = 0; i < MAX_TRACKED_ADDRESSES; i++) await auth.login('admin', 'wrong', `fd00:${i.toString(16)}::1`);
    expect(auth.retryAfterS('10.9.9.9')).toBe(0);
  });

  it('keeps at most MAX_SESSIONS sessions, dropping the least recently used', async () => {
    let now = 0;
    const auth = new ConsoleAuth(settings({ viewer: { passwordHash: hashPassword('v', { n: 2, r: 1, p: 1 }), tokenSha256: null } }), () => now);
    const first = await auth.login('viewer', 'v', '10.0.0.1');
    for (let i = 0; i < MAX_SESSIONS; i++) {
      now++;
      await auth.login('viewer', 'v', '10.0.0.1');
    }
    if (!first.ok) throw new Error('login failed');
    expect(auth.identify(request('10.0.0.1', { session: first.sessionId }))).toBeUndefined();
  });

  it('with no credential at all: read-only viewer on loopback, nobody elsewhere', async () => {
    const auth = new ConsoleAuth(settings({ viewer: none, admin: none }));
    expect(auth.open).toBe(true);
    expect(auth.identify(request('127.0.0.1'))).toEqual({ role: 'viewer', via: 'open-loopback' });
    expect(auth.identify(request('::1'))).toEqual({ role: 'viewer', via: 'open-loopback' });
    expect(auth.identify(request('10.0.0.5'))).toBeUndefined();
    expect(await auth.login('admin', 'anything', '127.0.0.1')).toMatchObject({ ok: false, reason: 'no-credential' });
    // Configured credentials end the open mode, on loopback too.
    expect(new ConsoleAuth(settings()).identify(request('127.0.0.1'))).toBeUndefined();
  });
});

describe('console login costs', () => {
  it('checks a password off the main thread: timers keep firing while scrypt runs', async () => {
    const auth = new ConsoleAuth(settings({ admin: { passwordHash: hashPassword('admin-secret', { n: 2 ** 15, r: 8, p: 1 }), tokenSha256: null } }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const outcome = await auth.login('admin', 'wrong', '10.0.0.5');
    clearInterval(timer);
    expect(outcome).toMatchObject({ ok: false, reason: 'wrong' });
    // A synchronous scrypt (~100 ms) would let no timer run before the login answered.
    expect(ticks).toBeGreaterThan(0);
  });

  it(`checks at most ${MAX_VERIFYING} passwords at once; further logins are "busy" and not counted as failures`, async () => {
    const auth = new ConsoleAuth(settings({ admin: { passwordHash: hashPassword('admin-secret', { n: 2 ** 14, r: 8, p: 1 }), tokenSha256: null } }));
    const outcomes = await Promise.all(Array.from({ length: MAX_VERIFYING + 3 }, (_, i) => auth.login('admin', i === 0 ? 'admin-secret' : 'wrong', '10.0.0.5')));
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', ...Array<string>(MAX_VERIFYING - 1).fill('wrong'), 'busy', 'busy', 'busy']);
    expect(outcomes[MAX_VERIFYING]).toMatchObject({ retryAfterS: 1 });
    // Once they are done, logins are checked again.
    expect(await auth.login('admin', 'admin-secret', '10.0.0.5')).toMatchObject({ ok: true });
  });

  it('counts failed logins of an IPv6 client by its /64, IPv4-mapped addresses as IPv4', async () => {
    expect(rateLimitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateLimitKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(rateLimitKey('10.0.0.7')).toBe('10.0.0.7');
    const auth = new ConsoleAuth(settings({ admin: { passwordHash: hashPassword('admin-secret', cheap), tokenSha256: null } }));
    for (let i = 0; i < LOGIN_FAILURES_ALLOWED; i++) await auth.login('admin', 'wrong', `2001:db8:1:2::${(i + 1).toString(16)}`);
    // Another address of the same /64 is refused, the next /64 is not.
    expect(await auth.login('admin', 'admin-secret', '2001:db8:1:2:dead:beef:0:1')).toMatchObject({ ok: false, reason: 'rate-limited' });
    expect(await auth.login('admin', 'admin-secret', '2001:db8:1:3::1')).toMatchObject({ ok: true });
  });
});
