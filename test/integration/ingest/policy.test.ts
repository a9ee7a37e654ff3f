/**
 * Who may talk to the node, and for how long: AE title checks, the association limit, ARTIM and
 * idle timeouts, refused SOP classes, and the bind address. Peers: DCMTK echoscu/storescu, and a
 * raw TCP peer for the misbehaving cases (silent connection, silent association).
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { copyFileSync } from 'node:fs';
import { associateRequest, IngestNode, PHANTOM_CT, rawPeer, startIngestNode, storescu, tempDir } from './support';
import { run } from '../../support/process';

function echoscu(port: number, callingAe: string, calledAe = 'CD8NODE') {
  return run('echoscu', ['-aet', callingAe, '-aec', calledAe, '127.0.0.1', String(port)]);
}

describe('association policy of the DICOM listener', () => {
  let n: IngestNode;
  beforeAll(async () => {
    n = await startIngestNode({
      dicom: {
        allowedCallers: ['ECHOSCU', 'STORESCU', 'HOLDER', 'LOCAL@localhost', 'REMOTEONLY@10.9.8.7'],
        maxAssociations: 1,
        artimTimeoutS: 1,
        idleTimeoutS: 2,
      },
    });
  });
  afterAll(async () => {
    await n?.stop();
  });

  it('answers C-ECHO from an allowed calling AE title', async () => {
    const r = await echoscu(n.port, 'ECHOSCU');
    expect(r.code).toBe(0);
    expect(n.audit.filter((e) => e.event === 'echo.received')).toHaveLength(1);
  });

  it('rejects an unknown calling AE title (permanent, calling AE not recognized) and keeps serving', async () => {
    const r = await echoscu(n.port, 'STRANGER');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Result: Rejected Permanent, Source: Service User/);
    expect(r.stderr).toMatch(/Reason: Calling AE Title Not Recognized/);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.rejected', callingAeTitle: 'STRANGER', reason: 'calling-AE-title-not-recognized' }));
    expect(n.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/calling AE title "STRANGER" is not in dicom\.allowedCallers/) }));
    expect((await echoscu(n.port, 'ECHOSCU')).code).toBe(0);
  });

  it('rejects a wrong called AE title (permanent, called AE not recognized), also from storescu', async () => {
    const r = await echoscu(n.port, 'ECHOSCU', 'SOMEONEELSE');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Reason: Called AE Title Not Recognized/);
    const s = await storescu(n.port, [join(PHANTOM_CT, 'DCM_IMG_00000.dcm')], { aec: 'cd8node' });
    expect(s.successes).toBe(0);
    expect(s.stderr).toMatch(/Reason: Called AE Title Not Recognized/);
    expect(n.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/called AE title "cd8node".*\(AE titles are case-sensitive\)/) }));
  });

  it('checks the host of an "AET@host" entry (names are resolved)', async () => {
    expect((await echoscu(n.port, 'LOCAL')).code).toBe(0);
    const r = await echoscu(n.port, 'REMOTEONLY');
    expect(r.stderr).toMatch(/Reason: Calling AE Title Not Recognized/);
    expect(n.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/"REMOTEONLY" is allowed only from 10\.9\.8\.7, not from 127\.0\.0\.1/) }));
  });

  it('refuses an unsupported SOP class (MR) at negotiation, while storing the CT of the same association', async () => {
    const dir = tempDir('mr');
    const mr = join(dir, 'mr.dcm');
    copyFileSync(join(PHANTOM_CT, 'DCM_IMG_00001.dcm'), mr);
    expect((await run('dcmodify', ['-nb', '-m', '(0008,0016)=1.2.840.10008.5.1.4.1.1.4', '-m', '(0008,0060)=MR', '-gin', mr])).code).toBe(0);

    const only = await storescu(n.port, [mr], { args: ['-R'] });
    expect(only.code).not.toBe(0);
    expect(only.stderr).toMatch(/No Acceptable Presentation Contexts/);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'context.refused', reason: 'MR Image (SOP class not supported)' }));

    const mixed = await storescu(n.port, [join(PHANTOM_CT, 'DCM_IMG_00002.dcm'), mr], { args: ['-R', '-nh'] });
    expect(mixed.successes).toBe(1);
    expect(mixed.stderr).toMatch(/No presentation context for: \(MR\) 1\.2\.840\.10008\.5\.1\.4\.1\.1\.4/);
    expect(n.audit.filter((e) => e.event === 'instance.stored').map((e) => e.sopClassUid)).toEqual(['1.2.840.10008.5.1.4.1.1.2']);
  });

  it('rejects associations over dicom.maxAssociations as transient "local limit exceeded", then accepts again', async () => {
    const holder = await rawPeer(n.port, associateRequest('HOLDER', 'CD8NODE'));
    await new Promise((r) => setTimeout(r, 200));
    expect(holder.pduTypes).toEqual([0x02]); // A-ASSOCIATE-AC
    const r = await echoscu(n.port, 'ECHOSCU');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Result: Rejected Transient/);
    expect(r.stderr).toMatch(/Reason: Local Limit Exceeded/);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.rejected', reason: 'local-limit-exceeded' }));
    holder.socket.destroy();
    await holder.closed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await echoscu(n.port, 'ECHOSCU')).code).toBe(0);
  });

  it('closes a connection that sends no association request within the ARTIM timeout (1 s)', async () => {
    const silent = await rawPeer(n.port);
    const after = await silent.closed;
    expect(after).toBeGreaterThanOrEqual(900);
    expect(after).toBeLessThan(4000);
    expect(silent.pduTypes).toEqual([]);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.aborted', reason: 'no association request within the ARTIM timeout' }));
  });

  it('aborts an association that stays silent for dicom.idleTimeoutS (2 s)', async () => {
    const idle = await rawPeer(n.port, associateRequest('HOLDER', 'CD8NODE'));
    const after = await idle.closed;
    expect(idle.pduTypes).toEqual([0x02, 0x07]); // accepted, then A-ABORT
    expect(after).toBeGreaterThanOrEqual(1900);
    expect(after).toBeLessThan(6000);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.aborted', callingAeTitle: 'HOLDER', reason: expect.stringMatching(/no DIMSE message completed for 2 s/) }));
    // The slot is free again.
    expect((await echoscu(n.port, 'ECHOSCU')).code).toBe(0);
  });

  it('listens only on dicom.bind (127.0.0.1 here, so 127.0.0.2 is refused)', async () => {
    const refused = await new Promise<string>((resolve) => {
      const s = connect(n.port, '127.0.0.2');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
