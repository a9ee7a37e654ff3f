/**
 * Who is using the console: a bearer token, a session cookie after a login, or (with no
 * credential configured at all) anyone on loopback, read-only. Sessions live in memory (a restart
 * logs everybody out) with a CSRF token each; failed logins are counted per address and refused
 * for a while after too many.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
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
/** Longest password or token looked at (a longer one is wrong, and would cost hashing time). */
export const MAX_SECRET_LENGTH = 1024;

export const SESSION_COOKIE = 'cd8_session';

export function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The answer of `storeAccess`: who stores, or the HTTP status and reason of the refusal. */
export type StoreAccess = { ok: true; role: 'sender' | 'admin' } | { ok: false; status: 401 | 403; message: string };

export type LoginOutcome =
  | { ok: true; role: Role; sessionId: string; csrf: string }
  | { ok: false; reason: 'wrong' | 'rate-limited' | 'no-credential'; retryAfterS?: number };

export class ConsoleAuth {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly settings: AuthSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** No password and no token configured: the console is read-only, on loopback only. */
  get open(): boolean {
    return ROLES.every((r) => this.settings[r].passwordHash === null && this.settings[r].tokenSha256 === null);
  }

  /** Roles that can log in with a password. */
  get loginRoles(): Role[] {
    return ROLES.filter((r) => this.settings[r].passwordHash !== null);
  }

  identify(request: { ip: string; headers: Record<string, string | string[] | undefined>; cookies?: Record<string, string | undefined> }): Principal | undefined {
    const header = request.headers.authorization;
    if (typeof header === 'string' && /^Bearer /i.test(header)) {
      const token = header.slice(7).trim();
      if (token.length > MAX_SECRET_LENGTH) return undefined;
      // Admin first: a token configured for both roles gets the larger one.
      for (const role of ['admin', 'viewer'] as const) {
        const stored = this.settings[role].tokenSha256;
        if (stored !== null && verifyToken(token, stored)) return { role, via: 'token' };
      }
      return undefined;
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
    if (this.open && isLoopback(request.ip)) return { role: 'viewer', via: 'open-loopback' };
    return undefined;
  }

  /**
   * May this request store instances (STOW-RS)? Only a bearer token: a sender token (it may do
   * nothing else) or the admin token. A viewer token is refused (403), and so are sessions and
   * open loopback access: a browser session must not be able to write images into the node.
   */
  storeAccess(authorization: string | undefined): StoreAccess {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = m?.[1];
    if (token !== undefined && token.length <= MAX_SECRET_LENGTH) {
      if (this.settings.sender.tokenSha256.some((t) => verifyToken(token, t))) return { ok: true, role: 'sender' };
      const admin = this.settings.admin.tokenSha256;
      if (admin !== null && verifyToken(token, admin)) return { ok: true, role: 'admin' };
      const viewer = this.settings.viewer.tokenSha256;
      if (viewer !== null && verifyToken(token, viewer)) {
        return { ok: false, status: 403, message: 'a viewer token may not store instances; use a token listed in http.auth.sender.tokenSha256 (or the admin token).' };
      }
    }
    return {
      ok: false,
      status: 401,
      message: 'authentication required: send "Authorization: Bearer <token>" with a token whose SHA-256 is in http.auth.sender.tokenSha256 (or the admin token).',
    };
  }

  /** Seconds until `ip` may try again, or 0. */
  retryAfterS(ip: string): number {
    const f = this.failures.get(ip);
    if (!f) return 0;
    const left = f.firstAt + LOGIN_WINDOW_MS - this.now();
    if (left <= 0) {
      this.failures.delete(ip);
      return 0;
    }
    return f.count >= LOGIN_FAILURES_ALLOWED ? Math.ceil(left / 1000) : 0;
  }

  login(role: Role, password: string, ip: string): LoginOutcome {
    const wait = this.retryAfterS(ip);
    if (wait > 0) return { ok: false, reason: 'rate-limited', retryAfterS: wait };
    const stored = this.settings[role].passwordHash;
    if (stored === null) return { ok: false, reason: 'no-credential' };
    if (password.length > MAX_SECRET_LENGTH || !verifyPassword(password, stored)) {
      this.countFailure(ip);
      return { ok: false, reason: 'wrong' };
    }
    this.failures.delete(ip);
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

  private countFailure(ip: string): void {
    const now = this.now();
    const f = this.failures.get(ip);
    if (f && now - f.firstAt < LOGIN_WINDOW_MS) f.count++;
    else {
      if (this.failures.size >= MAX_TRACKED_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
      this.failures.delete(ip);
      this.failures.set(ip, { count: 1, firstAt: now });
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
