/**
 * SIGKILL while a study is being processed: after the restart the job runs again and exactly one
 * SR and one ORU arrive. On both engines: the embedded SQLite and a real PostgreSQL
 * (CD8_DATABASE_URL), the node's whole path from C-STORE to the acknowledged ORU.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, run, SHARED, waitFor } from '../../support/process';
import { DicomPeer, startStorescp } from '../../support/dcmtk';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';
import { ENGINES, testStorages } from '../../support/storage';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');

const storages = testStorages();

/**
 * A PACS (storescp), a RIS (python3-hl7) and a node that has received the phantom, stopped after
 * the test; `restart` starts the next node on the same data directory and ports.
 */
function phantomSentToNode() {
  const s: { pacs?: DicomPeer; ris?: Hl7Peer; node?: NodeProcess } = {};
  afterAll(async () => {
    await Promise.all([s.node?.stop(), s.pacs?.stop(), s.ris?.stop()]);
  });
  return async (databaseUrl?: string) => {
    const [pacs, ris] = await Promise.all([startStorescp('PACS'), startHl7Peer()]);
    Object.assign(s, { pacs, ris });
    const env = { CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}`, ...(databaseUrl ? { CD8_DATABASE_URL: databaseUrl } : {}) };
    const ports = { port: await freePort(), httpPort: await freePort() };
    const first = await startNodeProcess(env, undefined, ports);
    s.node = first;
    const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(first.port), '+sd', join(PHANTOM, 'image'), join(PHANTOM, 'mask')]);
    expect(sent.code).toBe(0);
    const restart = async () => (s.node = await startNodeProcess(env, first.dataDir, ports));
    return { pacs, ris, first, ports, restart };
  };
}

describe.each(ENGINES)('a node on %s killed in the middle of a job', (engine) => {
  const start = phantomSentToNode();

  it('processes the study after the restart and delivers exactly one SR and one ORU', async () => {
    const { pacs, ris, first, ports, restart } = await start(await storages.newUrl(engine));
    await waitFor('the job to start', () => first.logs().some((l) => l.message === 'job started') || undefined, 30000, 20);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();
    expect(readdirSync(pacs.dir)).toEqual([]);
    expect(ris.received()).toEqual([]);

    const restarted = await restart();
    expect(restarted.logs().some((l) => /job\(s\) were running when the node stopped; they run again now/.test(l.message))).toBe(true);
    await waitFor('the SR and both pictures at the PACS', () => readdirSync(pacs.dir).filter((f) => !f.startsWith('.')).length >= 3 || undefined, 60000);
    await waitFor('the ORU at the RIS', () => ris.received().length > 0 || undefined, 30000);
    // Give a duplicate every chance to show up.
    await new Promise((r) => setTimeout(r, 3000));
    expect(readdirSync(pacs.dir).filter((f) => f.startsWith('SR'))).toHaveLength(1);
    expect(ris.received().map((m) => m.ack)).toEqual(['AA']);
    const status = await run(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'status', '--json'], { env: restarted.env });
    const snapshot = JSON.parse(status.stdout) as { studies: Array<{ state: string; version: number }>; outbox: { counts: Record<string, number> }; nodes: Array<Record<string, unknown>> };
    expect(snapshot.studies).toEqual([expect.objectContaining({ state: 'done', version: 1 })]);
    // On PostgreSQL the restarted node's heartbeat, with the ports it listens on; an embedded node lists none (it is the only one).
    expect(snapshot.nodes).toEqual(engine === 'postgres' ? [expect.objectContaining({ alive: true, dicomPort: ports.port, httpPort: ports.httpPort, pid: restarted.child.pid })] : []);
    // SR, ORU and the Secondary Captures (the lesion's key image and the summary page: report.summary default).
    expect(snapshot.outbox.counts).toMatchObject({ sent: 4, pending: 0, failed: 0 });
  }, 300000);
});

describe('a node killed once the SR and ORU are queued, while the pictures are drawn', () => {
  const start = phantomSentToNode();

  // The job is done only when the pictures are queued too: after the restart it runs again and the
  // outbox adds what is missing. The kill may land before or after the pictures were queued, or
  // while the SR or ORU was being sent (then the same SOP Instance UID / control ID goes again,
  // once the row's lease has run out).
  it('delivers the SR, the pictures and the ORU after the restart, each object under one UID', async () => {
    const { pacs, ris, first, restart } = await start();
    await waitFor('the SR and ORU to be queued', () => first.logs().some((l) => l.message.startsWith('study scored, SR and ORU queued')) || undefined, 60000, 5);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();

    const restarted = await restart();
    expect(restarted.logs().some((l) => /job\(s\) were running when the node stopped; they run again now/.test(l.message))).toBe(true);
    await waitFor('the study to be done', () => restarted.logs().some((l) => l.message.startsWith('study processed')) || undefined, 60000);
    // An SR or ORU the first node was sending when it died waits for its lease to run out (70 s) before it goes again.
    await waitFor('the ORU at the RIS', () => ris.received().length > 0 || undefined, 150000);
    await waitFor('the SR and both pictures at the PACS', () => readdirSync(pacs.dir).filter((f) => !f.startsWith('.')).length >= 3 || undefined, 150000);
    await new Promise((r) => setTimeout(r, 3000));
    const files = readdirSync(pacs.dir).filter((f) => !f.startsWith('.'));
    expect(files.filter((f) => f.startsWith('SR'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('SC'))).toHaveLength(2);
    expect(new Set(ris.received().map((m) => m.control_id)).size).toBe(1);
    expect(ris.received().every((m) => m.ack === 'AA')).toBe(true);
    const status = await run(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'status', '--json'], { env: restarted.env });
    const snapshot = JSON.parse(status.stdout) as { studies: Array<{ state: string; version: number }>; outbox: { counts: Record<string, number> } };
    expect(snapshot.studies).toEqual([expect.objectContaining({ state: 'done', version: 1 })]);
    expect(snapshot.outbox.counts).toMatchObject({ sent: 4, pending: 0, failed: 0 });
  }, 300000);
});
