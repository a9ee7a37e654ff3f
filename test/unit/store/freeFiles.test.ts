/**
 * Empty files made ahead for the spool's temporary files: taking one hands out a ready file where
 * it lies (or creates one at the fallback path when none is ready), the pool fills up again in the
 * background, a failure reaches the instance that needed the file, and nothing is left behind on close.
 */
import { closeSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FreeFiles } from '../../../src/store/freeFiles';

const scratch = () => mkdtempSync(join(tmpdir(), 'cd8-free-'));

async function until(what: string, check: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !check(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('FreeFiles', () => {
  it('fills up in the background and hands out a ready file where it lies, open for writing', async () => {
    const root = scratch();
    const free = new FreeFiles(join(root, '.free'), 3);
    free.refill();
    await until('three files ready', () => free.readyCount === 3);
    expect(readdirSync(join(root, '.free'))).toHaveLength(3);

    const fallback = join(root, 'x.part');
    const file = free.take(fallback);
    expect(file.path).toMatch(new RegExp(`^${join(root, '.free')}/${process.pid}-\\d+\\.free$`));
    expect(existsSync(fallback)).toBe(false); // a ready file was there: nothing made at the fallback
    writeSync(file.fd, Buffer.from('DICM'));
    closeSync(file.fd);
    expect(statSync(file.path).size).toBe(4);
    expect(statSync(file.path).mode & 0o777).toBe(0o640);
    // The one taken is replaced when the store asks (after the instance's fsyncs).
    expect(free.readyCount).toBe(2);
    free.refill();
    await until('three files ready again', () => free.readyCount === 3);
    rmSync(file.path); // (the store renames it into the spool)
    await free.close();
    expect(readdirSync(join(root, '.free'))).toEqual([]);
  });

  it('refills after the current turn of the event loop, once however often asked, and not after close', async () => {
    const root = scratch();
    const free = new FreeFiles(join(root, '.free'), 2);
    free.refillSoon();
    free.refillSoon();
    // Nothing is started in this turn: the store's answer to the peer goes out first.
    expect(readdirSync(join(root, '.free'))).toEqual([]);
    await until('two files ready', () => free.readyCount === 2);
    expect(readdirSync(join(root, '.free'))).toHaveLength(2);

    closeSync(free.take(join(root, 'unused.part')).fd);
    free.refillSoon();
    await free.close(); // before the refill's turn: it never starts
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(join(root, '.free'))).toHaveLength(1); // only the one taken (the caller's to remove)
  });

  it('creates the file at the fallback path when none is ready, and refuses a name that exists', async () => {
    const root = scratch();
    const free = new FreeFiles(join(root, '.free'), 0);
    const file = free.take(join(root, 'a.part'));
    closeSync(file.fd);
    expect(existsSync(join(root, 'a.part'))).toBe(true);
    expect(() => free.take(join(root, 'a.part'))).toThrow(/EEXIST/);
    await free.close();
  });

  it('reports a failure to the taker and fills up again once creating works', async () => {
    const root = scratch();
    const dir = join(root, '.free');
    const free = new FreeFiles(dir, 4);
    rmSync(dir, { recursive: true });
    free.refill(); // every creation fails: the directory is gone
    await new Promise((r) => setTimeout(r, 50));
    expect(free.readyCount).toBe(0);
    // Nothing ready: the taker creates its own file, where it asked (here in a directory that
    // exists), and starts a refill, which fails too.
    closeSync(free.take(join(root, 'b.part')).fd);
    expect(() => free.take(join(root, 'missing', 'c.part'))).toThrow(/ENOENT/);
    mkdirSync(dir);
    // (a take() asks for the refill; here the test asks itself)
    await until('one file after the failure', () => (free.refill(), free.readyCount >= 1));
    await until('all four once creating works', () => (free.refill(), free.readyCount === 4));
    await free.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('empties its directory of earlier runs on start, and waits for creations under way on close', async () => {
    const root = scratch();
    const dir = join(root, '.free');
    mkdirSync(dir);
    writeFileSync(join(dir, '999-1.free'), '');
    const free = new FreeFiles(dir, 8);
    expect(readdirSync(dir)).toEqual([]);
    free.refill();
    await free.close(); // creations may still be running: they are removed when they end
    expect(readdirSync(dir)).toEqual([]);
    expect(free.readyCount).toBe(0);
  });
});
