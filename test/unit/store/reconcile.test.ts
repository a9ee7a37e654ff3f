/**
 * After an unclean stop the spool, not the index, is the record: every whole instance file is
 * indexed again if its row was lost; what is not a whole instance goes to quarantine.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sqliteIndex } from '../../support/storage';
import { InstanceStore, spoolName } from '../../../src/store/instanceStore';
import { reconcileSpool } from '../../../src/store/reconcile';
import { readFileMeta } from '../../../src/dicom/part10';
import { SHARED } from '../../support/process';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const STUDY = '1.3.6.1.4.1.9590.100.1.2.96328687310426543129572151154132284399';

async function storeFile(store: InstanceStore, file: string, mutate?: (dataset: Buffer) => void) {
  const bytes = readFileSync(file);
  const meta = readFileMeta(bytes);
  const dataset = Buffer.from(bytes.subarray(meta.datasetOffset));
  mutate?.(dataset);
  const pending = store.begin({ sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid, callingAeTitle: 'PACS' });
  pending.writable.end(dataset);
  return pending.commit();
}

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'cd8-reconcile-'));
  const { db, index } = sqliteIndex(dataDir, 'NORMAL');
  const store = new InstanceStore({ dataDir, fsync: true, minFreeDiskMb: 0, index });
  await store.open();
  const reconcile = () => reconcileSpool({ dataDir, spoolDir: store.spoolDir, tmpDir: store.tmpDir, index });
  return { dataDir, db, index, store, reconcile };
}

describe('reconcileSpool', () => {
  it('indexes again the instances whose rows a power cut lost, with everything the index knew', async () => {
    const { db, index, store, reconcile } = await setup();
    const ct = await storeFile(store, join(PHANTOM, 'image', 'DCM_IMG_00003.dcm'));
    const rs = await storeFile(store, join(PHANTOM, 'mask', 'DCM_RS_00060.dcm'));
    const before = await index.listInstances(STUDY, 1);
    // The commits of both were lost; their files are in place.
    db.prepare('DELETE FROM instances').run();
    db.prepare('DELETE FROM rtstruct_refs').run();
    expect(await index.findInstance(ct.sopInstanceUid)).toBeUndefined();

    const report = await reconcile();
    expect(report).toMatchObject({ checked: 2, quarantined: [], removed: [] });
    expect(report.reindexed).toHaveLength(2);
    const after = await index.listInstances(STUDY, 1);
    const strip = (list: typeof before) => list.map(({ receivedAt: _r, ...rest }) => rest);
    expect(strip(after)).toEqual(strip(before));
    expect(after.find((i) => i.sopInstanceUid === rs.sopInstanceUid)!.rtstruct!.imageUids).toHaveLength(60);
    // A second pass finds nothing to do and reads no file.
    expect(await reconcile()).toEqual({ checked: 2, reindexed: [], quarantined: [], reasons: {}, removed: [] });
  });

  it('keeps the newer copy when a replacement lost its index update', async () => {
    const { dataDir, index, store, reconcile } = await setup();
    const first = await storeFile(store, join(PHANTOM, 'image', 'DCM_IMG_00004.dcm'));
    // The replacement reached its place (different pixels, newer), but the index still names the first file.
    const replacement = join(dirname(first.path), spoolName(first.sopInstanceUid, Date.now()));
    const bytes = Buffer.from(readFileSync(first.path));
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(replacement, bytes);
    const past = new Date(Date.now() - 60000);
    utimesSync(first.path, past, past);

    const report = await reconcile();
    expect(report.reindexed).toEqual([replacement.slice(dataDir.length + 1)]);
    expect(report.removed).toEqual([first.path.slice(dataDir.length + 1)]);
    expect(existsSync(first.path)).toBe(false);
    expect((await index.findInstance(first.sopInstanceUid))!.relativePath).toBe(replacement.slice(dataDir.length + 1));
  });

  it('moves a file that is not a whole instance (cut short: never acknowledged) to quarantine/', async () => {
    const { dataDir, index, store, reconcile } = await setup();
    const ok = await storeFile(store, join(PHANTOM, 'image', 'DCM_IMG_00005.dcm'));
    const source = readFileSync(join(PHANTOM, 'image', 'DCM_IMG_00006.dcm'));
    const uid = readFileMeta(source).sopInstanceUid;
    const cut = join(dirname(ok.path), spoolName(uid));
    writeFileSync(cut, source.subarray(0, source.length - 5000));

    const report = await reconcile();
    expect(report.quarantined).toEqual([cut.slice(dataDir.length + 1)]);
    expect(existsSync(cut)).toBe(false);
    expect(readdirSync(join(dataDir, 'quarantine'))).toHaveLength(1);
    expect(await index.findInstance(uid)).toBeUndefined();
    expect(await index.findInstance(ok.sopInstanceUid)).toBeDefined();
  });

  it('applies the ingest readability check: a file whose Pixel Data is shorter than its Rows × Columns need goes to quarantine/, with the reason', async () => {
    const { dataDir, index, store, reconcile } = await setup();
    const ok = await storeFile(store, join(PHANTOM, 'image', 'DCM_IMG_00007.dcm'));
    const source = Buffer.from(readFileSync(join(PHANTOM, 'image', 'DCM_IMG_00008.dcm')));
    const uid = readFileMeta(source).sopInstanceUid;
    // Rows 201 -> 402: every element still fits, the image does not.
    source.writeUInt16LE(402, source.indexOf(Buffer.from([0x28, 0, 0x10, 0, 2, 0, 0, 0])) + 8);
    const lying = join(dirname(ok.path), spoolName(uid));
    writeFileSync(lying, source);

    const report = await reconcile();
    const rel = lying.slice(dataDir.length + 1);
    expect(report.quarantined).toEqual([rel]);
    expect(report.reasons[rel]).toMatch(/Pixel Data holds 82008 bytes; .* requires 164016/);
    expect(await index.findInstance(uid)).toBeUndefined();
  });
});
