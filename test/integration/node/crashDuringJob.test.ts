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

describe.each(ENGINES)('a node on %s killed in the middle of a job', (engine) => {
  let pacs: DicomPeer;
  let ris: Hl7Peer;
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await Promise.all([node?.stop(), pacs?.stop(), ris?.stop()]);
  });

  it('processes the study after the restart and delivers exactly one SR and one ORU', async () => {
    [pacs, ris] = await Promise.all([startStorescp('PACS'), startHl7Peer()]);
    const env = { CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacs.port}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}`, CD8_DATABASE_URL: await storages.newUrl(engine) };
    const ports = { port: await freePort(), httpPort: await freePort() };
    const first = await startNodeProcess(env, undefined, ports);
    node = first;
    const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(first.port), '+sd', join(PHANTOM, 'image'), join(PHANTOM, 'mask')]);
    expect(sent.code).toBe(0);
    await waitFor('the job to start', () => first.logs().some((l) => l.message === 'job started') || undefined, 30000, 20);
    first.child.kill('SIGKILL');
    expect(await first.stop()).toBeNull();
    expect(readdirSync(pacs.dir)).toEqual([]);
    expect(ris.received()).toEqual([]);

    node = await startNodeProcess(env, first.dataDir, ports);
    const restarted = node;
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
  }, 180000);
});
