/**
 * Directory fsync for the spool: one open descriptor per directory (a bounded number), and the
 * instances that ask while an fsync is under way share the next one (group commit), which starts
 * only after the running one, so every caller's rename is covered.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectorySync } from '../../../src/store/directorySync';

const scratch = () => mkdtempSync(join(tmpdir(), 'cd8-dirsync-'));

describe('DirectorySync', () => {
  it('keeps one descriptor per directory and reuses it', async () => {
    const root = scratch();
    const dirs = new DirectorySync();
    await dirs.sync(root);
    await dirs.sync(root);
    expect(dirs.openCount).toBe(1);
    await dirs.close();
    expect(dirs.openCount).toBe(0);
  });

  it('joins every request made during an fsync into one following fsync', async () => {
    const root = scratch();
    const dirs = new DirectorySync();
    const first = dirs.sync(root);
    const second = dirs.sync(root);
    const third = dirs.sync(root);
    // The second and third asked while the first ran: they wait for the same, later fsync.
    expect(third).toBe(second);
    expect(second).not.toBe(first);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await second;
    expect(firstDone).toBe(true);
    // Once everything settled, a new request starts an fsync of its own.
    const fourth = dirs.sync(root);
    expect(fourth).not.toBe(second);
    await fourth;
    await dirs.close();
  });

  it('closes the least recently used idle directory beyond its limit', async () => {
    const root = scratch();
    const paths = ['a', 'b', 'c'].map((n) => join(root, n));
    for (const p of paths) mkdirSync(p);
    const dirs = new DirectorySync(2);
    for (const p of paths) await dirs.sync(p);
    expect(dirs.openCount).toBe(2);
    await dirs.sync(paths[0]); // reopened after it was closed
    expect(dirs.openCount).toBe(2);
    await dirs.close();
  });

  it('reports a directory it cannot open, and opens it afresh once it exists', async () => {
    const missing = join(scratch(), 'not-yet');
    const dirs = new DirectorySync();
    await expect(dirs.sync(missing)).rejects.toThrow(/ENOENT/);
    expect(dirs.openCount).toBe(0);
    mkdirSync(missing);
    await expect(dirs.sync(missing)).resolves.toBeUndefined();
    await dirs.close();
  });
});
