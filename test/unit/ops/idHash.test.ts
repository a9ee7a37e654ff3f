import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashedId, ID_HASH_KEY_FILE, IdHashKeyError, idHasher, loadIdHashKey } from '../../../src/ops/idHash';
import { ROOT, run } from '../../support/process';

describe('hashed Patient IDs', () => {
  const key = Buffer.alloc(32, 1);

  it('are 12 hex digits of an HMAC under the installation key, not a plain hash of the ID', () => {
    const h = hashedId('1234567', key);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(h).toBe(idHasher(key)('1234567'));
    // A plain SHA-256 of the ID (reversible by trying every 7-digit MRN) is not what is printed.
    expect(h).not.toBe(createHash('sha256').update('1234567').digest('hex').slice(0, 12));
    // Another installation's key gives another hash; no ID gives '-'.
    expect(hashedId('1234567', Buffer.alloc(32, 2))).not.toBe(h);
    expect(hashedId('', key)).toBe('-');
    expect(hashedId(undefined, key)).toBe('-');
  });

  it('use a key made at the first start (32 random bytes, mode 0600) and read back the same afterwards', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cd8-idhash-')), 'data');
    const first = loadIdHashKey(dir);
    expect(first).toHaveLength(32);
    const file = join(dir, ID_HASH_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(first.toString('hex') + '\n');
    expect(loadIdHashKey(dir).equals(first)).toBe(true);
    expect(loadIdHashKey(mkdtempSync(join(tmpdir(), 'cd8-idhash-'))).equals(first)).toBe(false);
  });

  it('refuse a damaged key file with what to do, rather than hash with another key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-idhash-'));
    writeFileSync(join(dir, ID_HASH_KEY_FILE), 'not a key\n');
    expect(() => loadIdHashKey(dir)).toThrow(IdHashKeyError);
    expect(() => loadIdHashKey(dir)).toThrow(/Restore it from the backup/);
  });

  it('agree between nodes of a cluster starting at the same time on one data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cd8-idhash-'));
    const script = `process.stdout.write(require(${JSON.stringify(join(ROOT, 'dist', 'ops', 'idHash'))}).loadIdHashKey(${JSON.stringify(dir)}).toString('hex'))`;
    const keys = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['-e', script])));
    expect(keys.map((k) => k.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(new Set(keys.map((k) => k.stdout)).size).toBe(1);
    expect(keys[0].stdout).toBe(readFileSync(join(dir, ID_HASH_KEY_FILE), 'utf8').trim());
  }, 30_000);
});
