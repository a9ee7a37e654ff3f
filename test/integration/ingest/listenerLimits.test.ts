/**
 * The listener's bounds against a hostile or broken peer (issue 14, defects 1, 2 and 4), each
 * reproduced over raw TCP on loopback against the real listener:
 *   - a PDU longer than we allow is answered with A-ABORT (invalid PDU parameter) on its header,
 *     before its body is read;
 *   - progress, not bytes: a PDU trickled byte by byte is aborted at dicom.pduTimeoutS, an
 *     association sending tiny PDUs that complete no DIMSE message at dicom.idleTimeoutS;
 *   - one host cannot hold more than dicom.maxAssociationsPerHost associations;
 *   - the node's own AE title from this machine may verify, never store.
 * After each, the node still answers C-ECHO.
 */
import { join } from 'node:path';
import { IngestNode, PHANTOM_CT, startIngestNode, storescu } from './support';
import { run } from '../../support/process';
import { abortReason, CT_EXPLICIT, pDataTf, pduHeader, RawAssociation, VERIFICATION } from '../../support/rawScu';

const INVALID_PDU_PARAMETER = 6;

function echoscu(port: number, callingAe = 'ECHOSCU') {
  return run('echoscu', ['-aet', callingAe, '-aec', 'CD8NODE', '127.0.0.1', String(port)]);
}

describe('listener limits against hostile peers', () => {
  let n: IngestNode;
  beforeAll(async () => {
    n = await startIngestNode({
      dicom: {
        allowedCallers: ['ECHOSCU', 'STORESCU', 'HOLDER'],
        maxAssociations: 6,
        maxAssociationsPerHost: 2,
        artimTimeoutS: 4,
        pduTimeoutS: 2,
        idleTimeoutS: 3,
      },
    });
  });
  afterAll(async () => {
    await n?.stop();
  });
  afterEach(async () => {
    // Whatever the case did, the node still verifies.
    expect((await echoscu(n.port)).code).toBe(0);
  });

  it('aborts an A-ASSOCIATE-RQ declaring 0xFFFFFFF0 bytes on its header, without reading the body', async () => {
    const peer = await RawAssociation.open(n.port);
    const sentAt = Date.now();
    peer.write(pduHeader(0x01, 0xfffffff0));
    // Keep streaming zeros, as the attack did: none of it may be kept.
    const zeros = Buffer.alloc(64 * 1024);
    const streaming = setInterval(() => peer.write(zeros), 5);
    try {
      const abort = abortReason(await peer.pdu(0, 5000));
      expect(abort).toEqual({ source: 2, reason: INVALID_PDU_PARAMETER });
      expect(Date.now() - sentAt).toBeLessThan(2000);
      await peer.closed;
    } finally {
      clearInterval(streaming);
    }
    expect(n.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(/A-ASSOCIATE-RQ declares 4294967280 bytes, more than the 65536 allowed/) }));
  });

  it('aborts a P-DATA-TF longer than the maximum PDU length we negotiated (1 MiB against 256 KiB)', async () => {
    const a = await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION]);
    expect(a.accepted).toBe(true);
    a.write(pDataTf(1, Buffer.alloc(1024 * 1024), { command: false, last: false }));
    expect(abortReason(await a.next(5000))).toEqual({ source: 2, reason: INVALID_PDU_PARAMETER });
    await a.closed;
    expect(n.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/P-DATA-TF declares 1048582 bytes, more than the 262144 allowed \(the maximum PDU length we negotiated\)/) }));
  });

  it('aborts a PDU trickled one byte at a time once dicom.pduTimeoutS (2 s) has passed since its first byte', async () => {
    const a = await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION]);
    const start = Date.now();
    const pdu = pDataTf(1, Buffer.alloc(4000), { command: false, last: false });
    let i = 0;
    const trickle = setInterval(() => a.write(pdu.subarray(i, ++i)), 200);
    try {
      expect(abortReason(await a.next(8000))).toEqual({ source: 2, reason: 0 });
      await a.closed;
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - start).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - start).toBeLessThan(6000);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.aborted', callingAeTitle: 'HOLDER', reason: expect.stringMatching(/not complete within 2 s of its first byte \(dicom\.pduTimeoutS\)/) }));
  });

  it('applies the PDU deadline before the association request too (slow-loris on A-ASSOCIATE-RQ)', async () => {
    const peer = await RawAssociation.open(n.port);
    const start = Date.now();
    const rq = pduHeader(0x01, 200);
    let i = 0;
    const trickle = setInterval(() => peer.write(rq.subarray(i, ++i)), 300);
    try {
      await peer.closed;
    } finally {
      clearInterval(trickle);
    }
    // pduTimeoutS (2 s) before the ARTIM timeout (4 s).
    expect(Date.now() - start).toBeLessThan(3800);
    expect(abortReason(peer.pdus[0])).toBeDefined();
  });

  it('aborts an association that keeps sending complete PDUs but completes no DIMSE message for dicom.idleTimeoutS (3 s)', async () => {
    const a = await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION]);
    const start = Date.now();
    // One byte of a command set per PDU, never the last fragment.
    const tick = setInterval(() => a.write(pDataTf(1, Buffer.from([0]), { command: true, last: false })), 250);
    try {
      expect(abortReason(await a.next(10000))).toBeDefined();
      await a.closed;
    } finally {
      clearInterval(tick);
    }
    expect(Date.now() - start).toBeGreaterThanOrEqual(2900);
    expect(Date.now() - start).toBeLessThan(8000);
    expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.aborted', reason: expect.stringMatching(/no DIMSE message completed for 3 s \(dicom\.idleTimeoutS\)/) }));
  });

  it('keeps an association alive while it completes DIMSE messages (C-ECHO every second for 5 s)', async () => {
    const a = await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION]);
    for (let k = 0; k < 5; k += 1) {
      expect(await a.echo(1, k + 1)).toBe(0x0000);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(a.closedAt).toBeUndefined();
    a.release();
    await a.closed;
  });

  it('limits associations per host (dicom.maxAssociationsPerHost 2): a third from 127.0.0.2 is "local limit exceeded", 127.0.0.1 still gets in', async () => {
    const held = [await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION], { localAddress: '127.0.0.2' })];
    held.push(await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION], { localAddress: '127.0.0.2' }));
    expect(held.map((h) => h.accepted)).toEqual([true, true]);
    const third = await RawAssociation.associate(n.port, 'HOLDER', [VERIFICATION], { localAddress: '127.0.0.2' });
    const rj = third.pdus[0];
    expect(rj.readUInt8(0)).toBe(0x03);
    // Result 2 transient, source 3 service provider (presentation), reason 2 local limit exceeded.
    expect([rj.readUInt8(7), rj.readUInt8(8), rj.readUInt8(9)]).toEqual([2, 3, 2]);
    expect(n.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/2 associations from 127\.0\.0\.2 are open, the limit per host dicom\.maxAssociationsPerHost \(2\)/) }));
    expect((await echoscu(n.port)).code).toBe(0);
    for (const h of held) h.destroy();
    await Promise.all(held.map((h) => h.closed));
  });

  it('lets the node\'s own AE title verify from this machine, but never store', async () => {
    expect((await echoscu(n.port, 'CD8NODE')).code).toBe(0);
    const s = await storescu(n.port, [join(PHANTOM_CT, 'DCM_IMG_00000.dcm')], { aet: 'CD8NODE' });
    expect(s.successes).toBe(0);
    expect(s.stderr).toMatch(/Reason: Calling AE Title Not Recognized/);
    expect(n.logs).toContainEqual(expect.objectContaining({ message: expect.stringMatching(/own AE title "CD8NODE" from this machine may only verify/) }));
    // Proposing both: Verification accepted, storage refused (user rejection).
    const both = await RawAssociation.associate(n.port, 'CD8NODE', [VERIFICATION, CT_EXPLICIT]);
    expect([...both.contextResults()]).toEqual([
      [1, 0],
      [3, 1],
    ]);
    both.release();
    await both.closed;
    expect(n.audit.filter((e) => e.event === 'instance.stored')).toHaveLength(0);
  });
});
