/**
 * Password hashes of the console roles (http.auth.*.passwordHash): scrypt from node:crypto,
 * written as "scrypt$N$r$p$salt$hash" (salt and hash in base64), compared in constant time.
 */
import { randomBytes, scryptSync, timingSafeEqual, createHash } from 'node:crypto';

const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
/** Bounds on the cost a configuration may ask for: a hash from elsewhere must not stall the node at each login. */
const MAX_N = 2 ** 20;
const MAX_MEMORY = 256 * 1024 * 1024;

interface Parsed {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parse(text: string): Parsed | string {
  const m = FORMAT.exec(text);
  if (!m) return 'is not a password hash of the form scrypt$N$r$p$salt$hash; make one with "cd8-node console hash-password".';
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (n < 2 || (n & (n - 1)) !== 0 || n > MAX_N) return `has scrypt N = ${n}; N must be a power of two between 2 and ${MAX_N}.`;
  if (r < 1 || r > 32 || p < 1 || p > 16) return `has scrypt r = ${r}, p = ${p}; r must be 1–32 and p 1–16.`;
  if (128 * n * r > MAX_MEMORY) return `would need ${Math.round((128 * n * r) / 2 ** 20)} MB per login; lower N or r.`;
  const salt = Buffer.from(m[4], 'base64');
  const hash = Buffer.from(m[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return 'has a salt shorter than 8 bytes or a hash shorter than 16 bytes.';
  return { n, r, p, salt, hash };
}

/** What is wrong with a configured hash, or undefined. */
export function passwordHashProblem(text: string): string | undefined {
  const parsed = parse(text);
  return typeof parsed === 'string' ? parsed : undefined;
}

export function hashPassword(password: string, cost = { n: 2 ** 15, r: 8, p: 1 }): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: cost.n, r: cost.r, p: cost.p, maxmem: MAX_MEMORY + 1024 * 1024 });
  return `scrypt$${cost.n}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches; the comparison takes the same time wherever the first difference is. */
export function verifyPassword(password: string, stored: string): boolean {
  const parsed = parse(stored);
  if (typeof parsed === 'string') return false;
  const candidate = scryptSync(password, parsed.salt, parsed.hash.length, { N: parsed.n, r: parsed.r, p: parsed.p, maxmem: MAX_MEMORY + 1024 * 1024 });
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the SHA-256 of `token` is `storedHex` (both digests compared in constant time). */
export function verifyToken(token: string, storedHex: string): boolean {
  const expected = Buffer.from(storedHex, 'hex');
  const actual = createHash('sha256').update(token, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
