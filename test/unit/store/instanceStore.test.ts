/**
 * The store's promise: an instance is either wholly kept (file in place, fsynced, indexed) or
 * refused with the status to answer and nothing of it left behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ENGINES, sqliteIndex, testStorages } from '../../support/storage';
import type { SqliteDb } from '../../../src/db/sqlite';
import type { SqliteStudyIndex } from '../../../src/db/sqlite/studyIndex';
import { IncomingInstance, InstanceStore, sopFromSpoolName, spoolName, StoreRefusal } from '../../../src/store/instanceStore';
import type { InstanceIndex } from '../../../src/store/types';
import { openStorage } from '../../../src/db/storage';
import { DimseStatus, storeStatusFor } from '../../../src/dicom/status';
import { readFileMeta } from '../../../src/dicom/part10';
import { run, SHARED } from '../../support/process';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const CT_FILE = join(PHANTOM, 'image', 'DCM_IMG_00000.dcm');
const RS_FILE = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');

function source(file: string) {
  const bytes = readFileSync(file);
  const meta = readFileMeta(bytes);
  return { dataset: bytes.subarray(meta.datasetOffset), meta };
}

interface Fixture {
  dataDir: string;
  db: SqliteDb;
  index: SqliteStudyIndex;
  store: InstanceStore;
}

async function fixture(options: { minFreeDiskMb?: number } = {}): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-store-'));
  const { db, index } = sqliteIndex(dataDir);
  const store = new InstanceStore({ dataDir, fsync: true, minFreeDiskMb: options.minFreeDiskMb ?? 0, index });
  await store.open();
  return { dataDir, db, index, store };
}

/** Receives a dataset as the listener would: in PDV-sized pieces, then commit. */
async function receive(store: InstanceStore, incoming: IncomingInstance, dataset: Buffer, pieceBytes = 16372) {
  const pending = store.begin(incoming);
  for (let i = 0; i < dataset.length; i += pieceBytes) pending.writable.write(dataset.subarray(i, i + pieceBytes));
  pending.writable.end();
  return pending.commit();
}

const ct = source(CT_FILE);
const ctIncoming: IncomingInstance = {
  sopClassUid: ct.meta.sopClassUid,
  sopInstanceUid: ct.meta.sopInstanceUid,
  transferSyntaxUid: ct.meta.transferSyntaxUid,
  callingAeTitle: 'PACS',
};

describe('InstanceStore', () => {
  it('keeps the dataset bytes as received behind a fresh meta header, in spool/<study>/<series>/, and indexes it', async () => {
    const f = await fixture();
    const stored = await receive(f.store, ctIncoming, ct.dataset);
    expect(stored).toMatchObject({ outcome: 'stored', studyInstanceUid: '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399', bytes: readFileSync(stored.path).length });
    expect(stored.path).toBe(join(f.dataDir, 'spool', stored.studyInstanceUid, stored.seriesInstanceUid, `${ct.meta.sopInstanceUid}.dcm`));
    const file = readFileSync(stored.path);
    const meta = readFileMeta(file);
    expect(file.subarray(meta.datasetOffset).equals(ct.dataset)).toBe(true);
    expect(meta.sourceAeTitle).toBe('PACS');
    expect(await f.index.findInstance(ct.meta.sopInstanceUid)).toMatchObject({ size: file.length, datasetOffset: meta.datasetOffset });
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
  });

  it('reads an RTSTRUCT header beyond the bytes kept in memory (its references run to 450 kB)', async () => {
    const f = await fixture();
    const rs = source(RS_FILE);
    const stored = await receive(f.store, { ...ctIncoming, sopClassUid: rs.meta.sopClassUid, sopInstanceUid: rs.meta.sopInstanceUid }, rs.dataset);
    expect(stored.outcome).toBe('stored');
    const [instance] = (await f.index.listInstances(stored.studyInstanceUid, 1)).filter((i) => i.modality === 'RTSTRUCT');
    expect(instance.rtstruct!.imageUids).toHaveLength(60);
  });

  it('inflates a Deflated Explicit VR dataset (made by dcmconv +td) to read its header, and keeps it deflated', async () => {
    const f = await fixture();
    const out = join(mkdtempSync(join(tmpdir(), 'cd8-deflated-')), 'rs.dcm');
    expect((await run('dcmconv', ['+td', RS_FILE, out])).code).toBe(0);
    const rs = source(out);
    expect(rs.meta.transferSyntaxUid).toBe('1.2.840.10008.1.2.1.99');
    const stored = await receive(f.store, { ...ctIncoming, sopClassUid: rs.meta.sopClassUid, sopInstanceUid: rs.meta.sopInstanceUid, transferSyntaxUid: rs.meta.transferSyntaxUid }, rs.dataset);
    expect(stored.outcome).toBe('stored');
    const file = readFileSync(stored.path);
    expect(file.subarray(readFileMeta(file).datasetOffset).equals(rs.dataset)).toBe(true);
    const [instance] = await f.index.listInstances(stored.studyInstanceUid, 1);
    expect(instance).toMatchObject({ modality: 'RTSTRUCT', transferSyntaxUid: '1.2.840.10008.1.2.1.99' });
    expect(instance.rtstruct!.imageUids).toHaveLength(60);
    // DCMTK reads the stored deflated file.
    expect((await run('dcmdump', ['+P', '0008,0018', stored.path])).stdout).toContain(rs.meta.sopInstanceUid);
  });

  it('stores an identical second copy once (duplicate) and a changed one as a replacement, removing the old file', async () => {
    const f = await fixture();
    const first = await receive(f.store, ctIncoming, ct.dataset);
    const again = await receive(f.store, { ...ctIncoming, callingAeTitle: 'OTHER' }, ct.dataset);
    expect(again).toMatchObject({ outcome: 'duplicate', path: first.path });
    const changed = Buffer.from(ct.dataset);
    changed[changed.length - 1] ^= 0xff; // one pixel differs
    const replaced = await receive(f.store, ctIncoming, changed);
    expect(replaced.outcome).toBe('replaced');
    expect(replaced.path).not.toBe(first.path);
    expect(existsSync(first.path)).toBe(false);
    const file = readFileSync(replaced.path);
    expect(file.subarray(readFileMeta(file).datasetOffset).equals(changed)).toBe(true);
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM instance_replacements').get()).toEqual({ n: 1 });
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
  });

  it('refuses a dataset that is not the instance the request announced (0xA900 / 0xC000), leaving nothing', async () => {
    const f = await fixture();
    await expect(receive(f.store, { ...ctIncoming, sopClassUid: '1.2.840.10008.5.1.4.1.1.481.3' }, ct.dataset)).rejects.toMatchObject({
      reason: 'sop-class-mismatch',
    });
    expect(storeStatusFor('sop-class-mismatch')).toBe(DimseStatus.DataSetDoesNotMatchSopClass);
    await expect(receive(f.store, { ...ctIncoming, sopInstanceUid: '1.2.3.4' }, ct.dataset)).rejects.toMatchObject({
      reason: 'unreadable',
      message: expect.stringMatching(/SOP Instance UID \(1\.3\.6.*\) is not the one of the C-STORE request \(1\.2\.3\.4\)/),
    });
    await expect(receive(f.store, ctIncoming, ct.dataset.subarray(0, 100))).rejects.toMatchObject({ reason: 'unreadable' });
    expect(storeStatusFor('unreadable')).toBe(DimseStatus.CannotUnderstand);
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
    expect(readdirSync(f.store.spoolDir).sort()).toEqual(['.free', '.in-use', 'tmp']); // .free: empty files made ahead (freeFiles.ts)
    expect(await f.index.findInstance(ct.meta.sopInstanceUid)).toBeUndefined();
  });

  describe('acknowledges nothing unreadable (C000, nothing kept)', () => {
    const pixelHeaderAt = ct.dataset.length - 82008 - 8;
    /** The CT dataset with a changed copy of its bytes. */
    const altered = (change: (b: Buffer) => void) => {
      const b = Buffer.from(ct.dataset);
      change(b);
      return b;
    };
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'Pixel Data length 100,000 bytes larger than what was sent',
        altered((b) => b.writeUInt32LE(82008 + 100000, pixelHeaderAt + 4)),
        /Pixel Data declares 182008 bytes; only 82008 were received/,
      ],
      ['the CT cut at half its bytes', ct.dataset.subarray(0, ct.dataset.length >> 1), /cannot be read to its end/],
      [
        'Rows larger than the pixels sent (the element tiles the dataset, the image does not)',
        altered((b) => b.writeUInt16LE(402, b.indexOf(Buffer.from([0x28, 0, 0x10, 0, 2, 0, 0, 0])) + 8)),
        /Pixel Data holds 82008 bytes; .* \(402 × 204 × 1 × 16 bits × 1\) requires 164016/,
      ],
      ['an empty dataset', Buffer.alloc(0), /the dataset is empty/],
      ['Rows and Columns but no Pixel Data (cut just before it)', ct.dataset.subarray(0, pixelHeaderAt), /Rows and Columns but no Pixel Data/],
    ];
    it.each(cases)('%s', async (_what, dataset, why) => {
      const f = await fixture();
      await expect(receive(f.store, ctIncoming, dataset)).rejects.toMatchObject({ reason: 'unreadable', message: expect.stringMatching(why) });
      expect(readdirSync(f.store.tmpDir)).toEqual([]);
      expect(readdirSync(f.store.spoolDir).sort()).toEqual(['.free', '.in-use', 'tmp']); // .free: empty files made ahead (freeFiles.ts)
      expect(await f.index.findInstance(ct.meta.sopInstanceUid)).toBeUndefined();
    });
  });

  it('refuses with 0xA700 (out of resources) when the disk is below storage.minFreeDiskMb, writing nothing', async () => {
    const f = await fixture({ minFreeDiskMb: 1e12 });
    const refusal = await receive(f.store, ctIncoming, ct.dataset).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(StoreRefusal);
    expect(refusal).toMatchObject({ reason: 'out-of-space', comment: 'out of disk space on the receiving node' });
    expect(storeStatusFor((refusal as StoreRefusal).reason)).toBe(0xa700);
    expect((refusal as StoreRefusal).message).toMatch(/below storage\.minFreeDiskMb/);
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
  });

  it('answers 0x0110 and removes the file it had placed when the index cannot record it', async () => {
    const f = await fixture();
    // SQLite itself refuses the insert, as it would on an I/O error: after the file was renamed into place.
    f.db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    await expect(receive(f.store, ctIncoming, ct.dataset)).rejects.toMatchObject({
      reason: 'failed',
      message: expect.stringMatching(/disk I\/O error/),
    });
    expect(storeStatusFor('failed')).toBe(DimseStatus.ProcessingFailure);
    expect(f.db.prepare('SELECT COUNT(*) AS n FROM studies').get()).toEqual({ n: 0 }); // the transaction rolled back whole
    const spoolFiles = readdirSync(f.store.spoolDir, { recursive: true }).map(String).filter((p) => p.endsWith('.dcm') || p.endsWith('.part'));
    expect(spoolFiles).toEqual([]);
  });

  it('drops an instance whose association ended before its dataset was complete', async () => {
    const f = await fixture();
    const pending = f.store.begin(ctIncoming);
    pending.writable.write(ct.dataset.subarray(0, 20000));
    await new Promise((r) => setTimeout(r, 20));
    // The partial instance is in a file made ahead (spool/.free) or, when none was ready, in tmp/.
    const written = () => [f.store.tmpDir, join(f.store.spoolDir, '.free')].flatMap((d) => readdirSync(d).map((n) => join(d, n))).filter((p) => statSync(p).size > 0);
    expect(written()).toHaveLength(1);
    await pending.abandon();
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
    expect(written()).toEqual([]);
  });

  it('clears tmp/ at start-up and tells whether the previous run stopped cleanly', async () => {
    const f = await fixture();
    writeFileSync(join(f.store.tmpDir, 'half.part'), 'partial');
    expect(await f.store.open()).toEqual({ leftovers: 1, uncleanStop: true }); // no close() before
    expect(readdirSync(f.store.tmpDir)).toEqual([]);
    await f.store.close();
    expect(await f.store.open()).toEqual({ leftovers: 0, uncleanStop: false });
  });
});

if (ENGINES.includes('postgres')) {
  describe('InstanceStore on a shared PostgreSQL index', () => {
    const storages = testStorages();

    it('answers Out of Resources (retry later), keeps no file and no row while the database is unreachable, and stores again once it is back', async () => {
      const storage = await storages.open('postgres');
      const store = new InstanceStore({ dataDir: storage.dataDir, fsync: true, minFreeDiskMb: 0, index: storage.index, nodeTag: 'node-a' });
      await store.open();
      const server = await storages.postgres();
      await server.pause();
      try {
        await expect(receive(store, ctIncoming, ct.dataset)).rejects.toMatchObject({
          reason: 'index-unavailable',
          comment: 'index database unreachable, retry later',
          message: expect.stringMatching(/the index database is unreachable .*; the instance was not kept\./),
        });
        expect(storeStatusFor('index-unavailable')).toBe(DimseStatus.OutOfResources);
        const spoolFiles = readdirSync(store.spoolDir, { recursive: true }).map(String).filter((p) => p.endsWith('.dcm') || p.endsWith('.part'));
        expect(spoolFiles).toEqual([]);
      } finally {
        await server.restart();
      }
      expect(await receive(store, ctIncoming, ct.dataset)).toMatchObject({ outcome: 'stored' });
      expect(await storage.index.findInstance(ctIncoming.sopInstanceUid)).toBeDefined();
      // Its unfinished files live apart from other nodes': spool/tmp/node-a.
      expect(store.tmpDir).toBe(join(storage.dataDir, 'spool', 'tmp', 'node-a'));
    });

    it('answers Out of Resources after the index timeout (10 s, not 60 s) when the server hangs (SIGSTOP), and stores again once it runs', async () => {
      const storage = await storages.open('postgres');
      const store = new InstanceStore({ dataDir: storage.dataDir, fsync: true, minFreeDiskMb: 0, index: storage.index, nodeTag: 'node-h' });
      await store.open();
      await storage.index.findInstance('1.2.3.4'); // a connection open before the server hangs
      const thaw = await (await storages.postgres()).freeze();
      const t0 = Date.now();
      try {
        await expect(receive(store, ctIncoming, ct.dataset)).rejects.toMatchObject({ reason: 'index-unavailable' });
        expect(storeStatusFor('index-unavailable')).toBe(DimseStatus.OutOfResources);
        const waited = Date.now() - t0;
        expect(waited).toBeGreaterThanOrEqual(9_000);
        expect(waited).toBeLessThan(30_000);
        expect(readdirSync(store.spoolDir, { recursive: true }).map(String).filter((p) => p.endsWith('.dcm') || p.endsWith('.part'))).toEqual([]);
      } finally {
        thaw();
      }
      expect(await receive(store, ctIncoming, ct.dataset)).toMatchObject({ outcome: 'stored' });
      expect(await storage.index.findInstance(ctIncoming.sopInstanceUid)).toBeDefined();
    }, 90_000);

    describe('two nodes on one shared spool and one PostgreSQL receiving the same new instance at once', () => {
      const changed = Buffer.from(ct.dataset);
      changed[changed.length - 1] ^= 0xff; // one pixel differs
      const datasetOf = (path: string) => {
        const file = readFileSync(path);
        return file.subarray(readFileMeta(file).datasetOffset);
      };
      const dcmFiles = (store: InstanceStore) => readdirSync(store.spoolDir, { recursive: true }).map(String).filter((p) => p.endsWith('.dcm'));

      /**
       * Node B looks at the index before node A has recorded the instance, and writes only after A
       * acknowledged it: the race the per-process lock cannot see. `bIndex` may fail B's write.
       */
      async function race(bDataset: Buffer, bWriteFails: boolean) {
        const a = await storages.open('postgres');
        const b = await openStorage({ url: a.url, dataDir: a.dataDir });
        closeLater.push(b);
        const storeA = new InstanceStore({ dataDir: a.dataDir, fsync: true, minFreeDiskMb: 0, index: a.index, nodeTag: 'node-a' });
        let aAcknowledged: (value: unknown) => void = () => undefined;
        const aDone = new Promise((r) => (aAcknowledged = r));
        const bIndex: InstanceIndex = {
          findInstance: async (uid) => {
            const seen = await b.index.findInstance(uid);
            await aDone;
            return seen;
          },
          recordInstance: async (record) => {
            if (bWriteFails) throw new Error('disk I/O error');
            return b.index.recordInstance(record);
          },
          recordDuplicate: (uid, at) => b.index.recordDuplicate(uid, at),
          isIndexedPath: (path) => b.index.isIndexedPath(path),
        };
        const storeB = new InstanceStore({ dataDir: a.dataDir, fsync: true, minFreeDiskMb: 0, index: bIndex, nodeTag: 'node-b' });
        await Promise.all([storeA.open(), storeB.open()]);
        const fromB = receive(storeB, ctIncoming, bDataset).then(
          (stored) => ({ stored }),
          (error: unknown) => ({ error }),
        );
        const fromA = await receive(storeA, ctIncoming, ct.dataset);
        aAcknowledged(undefined);
        return { a, storeA, storeB, fromA, fromB: await fromB };
      }
      const closeLater: Array<{ close(): Promise<void> }> = [];
      afterAll(async () => {
        for (const c of closeLater) await c.close();
      });

      it('names each file for its writer, and reconciliation still reads the SOP Instance UID from the name', () => {
        expect(spoolName('1.2.3', undefined, 'node-a-0a1b2c3d')).toBe('1.2.3.wnode-a-0a1b2c3d.dcm');
        expect(sopFromSpoolName('1.2.3.wnode-a-0a1b2c3d.dcm')).toBe('1.2.3');
        expect(sopFromSpoolName(spoolName('1.2.3', 1_700_000_000_000, 'n_1-ff'))).toBe('1.2.3');
      });

      it('a failed index write of node B removes only its own file: the instance A acknowledged stays whole and indexed', async () => {
        const { a, storeA, fromA, fromB } = await race(changed, true);
        expect(fromA.outcome).toBe('stored');
        expect(fromB).toMatchObject({ error: { reason: 'failed' } });
        const row = (await a.index.findInstance(ctIncoming.sopInstanceUid))!;
        expect(join(a.dataDir, row.relativePath)).toBe(fromA.path);
        expect(datasetOf(fromA.path).equals(ct.dataset)).toBe(true);
        expect(dcmFiles(storeA)).toEqual([relative(storeA.spoolDir, fromA.path)]);
      });

      it('different bytes: the copy of node B replaces the one of node A in the index, and the row describes the file it names', async () => {
        const { a, storeA, fromA, fromB } = await race(changed, false);
        expect(fromA.outcome).toBe('stored');
        expect(fromB).toMatchObject({ stored: { outcome: 'replaced' } });
        const bPath = (fromB as { stored: { path: string } }).stored.path;
        expect(bPath).not.toBe(fromA.path);
        const row = (await a.index.findInstance(ctIncoming.sopInstanceUid))!;
        expect(join(a.dataDir, row.relativePath)).toBe(bPath);
        expect(datasetOf(bPath).equals(changed)).toBe(true);
        expect(row.size).toBe(readFileSync(bPath).length);
        expect(dcmFiles(storeA)).toEqual([relative(storeA.spoolDir, bPath)]);
      });

      it('the same bytes: stored once, B answers duplicate and removes only its own file', async () => {
        const { a, storeA, fromA, fromB } = await race(ct.dataset, false);
        expect(fromA.outcome).toBe('stored');
        expect(fromB).toMatchObject({ stored: { outcome: 'duplicate', path: fromA.path } });
        const row = (await a.index.findInstance(ctIncoming.sopInstanceUid))!;
        expect(join(a.dataDir, row.relativePath)).toBe(fromA.path);
        expect(datasetOf(fromA.path).equals(ct.dataset)).toBe(true);
        expect(dcmFiles(storeA)).toEqual([relative(storeA.spoolDir, fromA.path)]);
      });
    });
  });
}
