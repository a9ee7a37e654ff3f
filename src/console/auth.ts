/**
 * Who is using the console: a bearer token, a session cookie after a login, or (with no
 * credential configured at all) anyone on loopback, read-only. Sessions live in memory (a restart
 * logs everybody out) with a CSRF token each; failed logins are counted per address (an IPv6
 * address by its /64, which one client holds whole) and refused for a while after too many.
 * Passwords are checked off the main thread, at most MAX_VERIFYING at a time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isLoopback, normaliseAddress } from '../ops/ipAddress';
import type { Config } from '../config/schema';
import { verifyPassword, verifyToken } from '../config/passwordHash';

export type Role = 'viewer' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'admin'];

export interface Principal {
  role: Role;
  via: 'session' | 'token' | 'open-loopback';
  /** CSRF token of the session (session logins only: token and open access cannot post forms). */
  csrf?: string;
  sessionId?: string;
}

export type AuthSettings = Config['http']['auth'];

interface Session {
  role: Role;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

interface Failures {
  count: number;
  firstAt: number;
}

/** Bounds: memory the console may hold for sessions and failed-login counters, whatever callers do. */
export const MAX_SESSIONS = 1000;
export const MAX_TRACKED_ADDRESSES = 10_000;
/** Failed logins allowed per address in the window before logins from it are refused until it ends. */
export const LOGIN_FAILURES_ALLOWED = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** A session ends after this long whatever its activity. */
const SESSION_MAX_AGE_MS = 12 * 3600_000;
/** Password checks (scrypt, ~100 ms of a core each) running at once; further logins get "busy". */
export const MAX_VERIFYING = 2;
/** Longest password or token looked at (a longer one is wrong, and would cost hashing time). */
export const MAX_SECRET_LENGTH = 1024;

export const SESSION_COOKIE = 'cd8_session';


/** Expands an IPv6 address to its 8 groups (undefined when it is not one). */
function ipv6Groups(ip: string): number[] | undefined {
  const bare = ip.split('%')[0];
  if (!bare.includes(':')) return undefined;
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const b = g.split('.').map(Number);
        if (b.length !== 4 || b.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
        out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) out.push(parseInt(g, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/**
 * What failed logins are counted by: an IPv4 address (also when IPv4-mapped), or the /64 of an
 * IPv6 address (a client gets a whole /64 and could otherwise try from 2^64 addresses).
 */
export function rateLimitKey(ip: string): string {
  const address = normaliseAddress(ip);
  const g = ipv6Groups(address);
  if (!g) return address;
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A bearer token that opened nothing: wrong (counted like a failed login), or from an address refused for now. */
export interface TokenRefusal {
  refused: 'wrong-token' | 'rate-limited';
  retryAfterS?: number;
}
/** The answer of `storeAccess`: who stores, or the HTTP status and reason of the refusal. */
export type StoreAccess = { ok: true; role: 'sender' | 'admin' } | { ok: false; status: 401 | 403 | 429; message: string; retryAfterS?: number };

export type LoginOutcome =
  | { ok: true; role: Role; sessionId: string; csrf: string }
  | { ok: false; reason: 'wrong' | 'rate-limited' | 'no-credential' | 'busy'; retryAfterS?: number };

export class ConsoleAuth {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, Failures>();
  private verifying = 0;

  constructor(
    private readonly settings: AuthSettings,
    private readonly now: () => number = Date.now,
    /** http.trustProxy is set: the request's address is the client's, as the proxy said. */
    private readonly trustsProxy = false,
  ) {}

  /** No password and no token configured: the console is read-only, on loopback only. */
  get open(): boolean {
    return ROLES.every((r) => this.settings[r].passwordHash === null && this.settings[r].tokenSha256 === null);
  }

  /** Roles that can log in with a password. */
  get loginRoles(): Role[] {
    return ROLES.filter((r) => this.settings[r].passwordHash !== null);
  }

  identify(request: { ip: string; headers: Record<string, string | string[] | undefined>; cookies?: Record<string, string | undefined> }): Principal | TokenRefusal | undefined {
    const header = request.headers.authorization;
    if (typeof header === 'string' && /^Bearer /i.test(header)) {
      // Guessing tokens is guessing passwords: the same counter and the same refusal.
      const wait = this.retryAfterS(request.ip);
      if (wait > 0) return { refused: 'rate-limited', retryAfterS: wait };
      const token = header.slice(7).trim();
      // Admin first: a token configured for both roles gets the larger one.
      for (const role of ['admin', 'viewer'] as const) {
        const stored = this.settings[role].tokenSha256;
        if (token.length <= MAX_SECRET_LENGTH && stored !== null && verifyToken(token, stored)) return { role, via: 'token' };
      }
      // A sender (STOW-RS) token is the node's own credential, not a guess: it opens no page, uncounted.
      if (token.length <= MAX_SECRET_LENGTH && this.settings.sender.tokenSha256.some((t) => verifyToken(token, t))) return undefined;
      this.countFailure(request.ip);
      return { refused: 'wrong-token' };
    }
    const id = request.cookies?.[SESSION_COOKIE];
    if (id) {
      const s = this.sessions.get(id);
      const now = this.now();
      if (s && now - s.lastSeenAt <= this.settings.sessionMinutes * 60_000 && now - s.createdAt <= SESSION_MAX_AGE_MS) {
        s.lastSeenAt = now;
        return { role: s.role, via: 'session', csrf: s.csrf, sessionId: id };
      }
      if (s) this.sessions.delete(id);
    }
    if (this.open && this.onThisMachine(request)) return { role: 'viewer', via: 'open-loopback' };
    return undefined;
  }

  /**
   * The request comes from this machine. Behind a proxy on this host every request arrives from
   * loopback: unless the proxy is trusted (and the address is then the client's), a request that
   * says it was forwarded is taken as coming from elsewhere.
   */
  onThisMachine(request: { ip: string; headers: Record<string, string | string[] | undefined> }): boolean {
    if (!isLoopback(request.ip)) return false;
    return this.trustsProxy || (request.headers['x-forwarded-for'] === undefined && request.headers.forwarded === undefined);
  }

  /**
   * May this request store instances (STOW-RS)? Only a bearer token: a sender token (it may do
   * nothing else) or the admin token. A viewer token is refused (403), and so are sessions and
   * open loopback access: a browser session must not be able to write images into the node.
   * A wrong token counts against `ip` like a failed login, with the same refusal once too many.
   */
  storeAccess(authorization: string | undefined, ip: string): StoreAccess {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m?.[1];
    const wait = token === undefined ? 0 : this.retryAfterS(ip);
    if (wait > 0) return { ok: false, status: 429, retryAfterS: wait, message: `too many wrong tokens from ${ip}: try again in ${Math.ceil(wait / 60)} minute(s).` };
    if (token !== undefined && token.length <= MAX_SECRET_LENGTH) {
      if (this.settings.sender.tokenSha256.some((t) => verifyToken(token, t))) return { ok: true, role: 'sender' };
      const admin = this.settings.admin.tokenSha256;
      if (admin !== null && verifyToken(token, admin)) return { ok: true, role: 'admin' };
      const viewer = this.settings.viewer.tokenSha256;
      if (viewer !== null && verifyToken(token, viewer)) {
        return { ok: false, status: 403, message: 'a viewer token may not store instances; use a token listed in http.auth.sender.tokenSha256 (or the admin token).' };
      }
    }
    if (token !== undefined) this.countFailure(ip);
    return {
      ok: false,
      status: 401,
      message: 'authentication required: send "Authorization: Bearer <token>" with a token whose SHA-256 is in http.auth.sender.tokenSha256 (or the admin token).',
    };
  }

  /** Seconds until `ip` may try again, or 0. */
  retryAfterS(ip: string): number {
    const key = rateLimitKey(ip);
    const f = this.failures.get(key);
    if (!f) return 0;
    const left = f.firstAt + LOGIN_WINDOW_MS - this.now();
    if (left <= 0) {
      this.failures.delete(key);
      return 0;
    }
    return f.count >= LOGIN_FAILURES_ALLOWED ? Math.ceil(left / 1000) : 0;
  }

  async login(role: Role, password: string, ip: string): Promise<LoginOutcome> {
    const wait = this.retryAfterS(ip);
    if (wait > 0) return { ok: false, reason: 'rate-limited', retryAfterS: wait };
    const stored = this.settings[role].passwordHash;
    if (stored === null) return { ok: false, reason: 'no-credential' };
    if (password.length > MAX_SECRET_LENGTH) {
      this.countFailure(ip);
      return { ok: false, reason: 'wrong' };
    }
    // A flood of logins queues no hashing: beyond MAX_VERIFYING at once, "busy" (not a failure).
    if (this.verifying >= MAX_VERIFYING) return { ok: false, reason: 'busy', retryAfterS: 1 };
    this.verifying++;
    let right: boolean;
    try {
      right = await verifyPassword(password, stored);
    } finally {
      this.verifying--;
    }
    if (!right) {
      this.countFailure(ip);
      return { ok: false, reason: 'wrong' };
    }
    this.failures.delete(rateLimitKey(ip));
    const sessionId = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    if (this.sessions.size >= MAX_SESSIONS) this.dropOldestSession();
    this.sessions.set(sessionId, { role, csrf, createdAt: this.now(), lastSeenAt: this.now() });
    return { ok: true, role, sessionId, csrf };
  }

  logout(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  /** True when `token` is the CSRF token of the principal's session. */
  csrfMatches(p: Principal, token: unknown): boolean {
    return p.csrf !== undefined && typeof token === 'string' && sameText(token, p.csrf);
  }

  /** Counts a failure of `ip` (also used for wrong bearer tokens). */
  countFailure(ip: string): void {
    const key = rateLimitKey(ip);
    const now = this.now();
    const f = this.failures.get(key);
    if (f && now - f.firstAt < LOGIN_WINDOW_MS) f.count++;
    else {
      if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
      this.failures.delete(key);
      this.failures.set(key, { count: 1, firstAt: now });
    }
  }

  private dropOldestSession(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [id, s] of this.sessions) {
      if (s.lastSeenAt < at) {
        at = s.lastSeenAt;
        oldest = id;
      }
    }
    if (oldest) this.sessions.delete(oldest);
  }
}
