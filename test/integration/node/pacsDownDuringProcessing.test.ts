/**
 * The PACS is down while the node processes a study and comes back one minute later: the node,
 * restarted in between, delivers the SR exactly once (and the ORU, whose RIS stayed up, once).
 * Delivery settings are the shipped defaults (first retry after 10 s, doubling), so this is what
 * an admin would see.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, freePort, run, SHARED, waitFor } from '../../support/process';
import { DicomPeer } from '../../support/dcmtk';
import { startStorescpOn } from '../../support/delivery';
import { Hl7Peer, startHl7Peer } from '../../support/hl7Peer';
import { NodeProcess, startNodeProcess } from '../../support/nodeProcess';

const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
const PACS_DOWN_MS = 60_000;

describe('a PACS that is down during processing', () => {
  let pacs: DicomPeer | undefined;
  let ris: Hl7Peer | undefined;
  let node: NodeProcess | undefined;
  afterAll(async () => {
    await Promise.all([node?.stop(), pacs?.stop(), ris?.stop()]);
  });

  it('gets the SR once when it is started a minute later, across a node restart', async () => {
    ris = await startHl7Peer();
    const pacsPort = await freePort();
    const env = { CD8_SR_DESTINATION: `PACS@127.0.0.1:${pacsPort}`, CD8_HL7_DESTINATION: `127.0.0.1:${ris.port}` };
    const ports = { port: await freePort(), httpPort: await freePort() };
    const first = await startNodeProcess(env, undefined, ports);
    node = first;
    const sent = await run('storescu', ['-aec', 'CD8NODE', '127.0.0.1', String(first.port), '+sd', join(PHANTOM, 'image'), join(PHANTOM, 'mask')]);
    expect(sent.code).toBe(0);
    const pacsStoppedAt = Date.now();

    // Processed, the ORU acknowledged, the SR waiting with the reason in status.
    await waitFor('the ORU at the RIS', () => ris!.received().length > 0 || undefined, 60000);
    const status = async (n: NodeProcess) => {
      const r = await run(process.execPath, [CLI, 'status', '--json'], { env: n.env });
      return JSON.parse(r.stdout) as { studies: Array<{ state: string }>; outbox: { counts: Record<string, number>; rows: Array<{ kind: string; state: string; lastError: string | null }> } };
    };
    await waitFor('a refused SR attempt', async () => ((await status(first)).outbox.rows.find((r) => r.kind === 'dicom')?.lastError ? true : undefined), 30000);
    const waiting = await status(first);
    expect(waiting.studies).toEqual([expect.objectContaining({ state: 'done' })]);
    expect(waiting.outbox.rows.find((r) => r.kind === 'dicom')).toMatchObject({ state: 'pending', lastError: expect.stringMatching(/connection refused/) });

    // The node is restarted while the PACS is still down.
    expect(await first.stop('SIGTERM')).toBe(0);
    node = await startNodeProcess(env, first.dataDir, ports);
    const restarted = node;

    await new Promise((r) => setTimeout(r, Math.max(0, PACS_DOWN_MS - (Date.now() - pacsStoppedAt))));
    pacs = await startStorescpOn('PACS', pacsPort);
    const files = () => readdirSync(pacs!.dir).filter((f) => !f.startsWith('.'));
    await waitFor('the SR and both pictures at the PACS', () => files().length >= 3 || undefined, 120000);
    // Give a duplicate every chance to show up.
    await new Promise((r) => setTimeout(r, 3000));
    expect(files().filter((f) => f.startsWith('SR'))).toHaveLength(1);
    expect(files().filter((f) => !f.startsWith('SR'))).toHaveLength(2);
    expect(ris.received().map((m) => m.ack)).toEqual(['AA']);
    const done = await status(restarted);
    // SR, ORU and the two Secondary Captures (key image, summary page), each once.
    expect(done.outbox.counts).toMatchObject({ sent: 4, pending: 0, failed: 0 });
  }, 300000);
});
