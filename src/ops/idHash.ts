/**
 * Hashed identifiers (Patient ID) for logs, status, the console and feature exports: HMAC-SHA-256
 * with a secret of the installation, cut to 12 hex digits. Unlike a plain hash, it cannot be
 * reversed by trying every medical record number without the secret. The secret lives in the data
 * directory (shared by every node of a cluster, so they all hash alike); losing it breaks the
 * linking of new exports to old ones.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type IdHasher = (value: string | undefined | null) => string;

export const ID_HASH_KEY_FILE = 'id-hash.key';
const KEY_BYTES = 32;

/** The hash of `value` under `key` (12 hex digits), '-' for no value. */
export function hashedId(value: string | undefined | null, key: Buffer): string {
  if (!value) return '-';
  return createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, 12);
}

export function idHasher(key: Buffer): IdHasher {
  return (value) => hashedId(value, key);
}

export class IdHashKeyError extends Error {
  override readonly name = 'IdHashKeyError';
}

function parseKey(text: string, path: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new IdHashKeyError(`${path} is not an identifier hash key (64 hex digits). Restore it from the backup; if it is lost, delete it and the node makes a new one (hashed Patient IDs then no longer match earlier exports and logs).`);
  return Buffer.from(hex, 'hex');
}

/**
 * The installation's key from `<dataDir>/id-hash.key`, made at the first start (32 random bytes,
 * mode 0600). Nodes of a cluster starting at once agree: the file appears whole or not at all
 * (written aside, then hard-linked into place; the first link wins).
 */
export function loadIdHashKey(dataDir: string): Buffer {
  const path = join(dataDir, ID_HASH_KEY_FILE);
  try {
    return parseKey(readFileSync(path, 'utf8'), path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dataDir, { recursive: true });
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(aside, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES).toString('hex') + '\n');
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(aside);
  }
  return parseKey(readFileSync(path, 'utf8'), path);
}
