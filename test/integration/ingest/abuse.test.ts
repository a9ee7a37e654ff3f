/**
 * The abuse suite: what a hostile or broken peer can send the listener over raw TCP, each case
 * with the answer the standard prescribes (A-ABORT reason, A-ASSOCIATE-RJ, or C-STORE status),
 * and after each: the node still answers C-ECHO and nothing half-stored is left (spool tmp/
 * empty, nothing written outside the spool). Cases that need their own node settings (PDU
 * bounds, slow senders, per-host limits) are in listenerLimits.test.ts; ARTIM in policy.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { datasetOf, dicomFiles, halfStored, IngestNode, PHANTOM_CT, PHANTOM_RTSTRUCT, startIngestNode } from './support';
import { run } from '../../support/process';
import { abortReason, CT_EXPLICIT, pDataTf, pduHeader, ProposedContext, RawAssociation, VERIFICATION } from '../../support/rawScu';

const CT_CLASS = '1.2.840.10008.5.1.4.1.1.2';
const CT_IMPLICIT: ProposedContext = { id: 5, abstractSyntax: CT_CLASS, transferSyntaxes: ['1.2.840.10008.1.2'] };
const ABORT = { unrecognizedPdu: 1, unexpectedPdu: 2, invalidParameter: 6 };

const ct = datasetOf(join(PHANTOM_CT, 'DCM_IMG_00010.dcm'));
const ctUid = uidIn(ct, 0x0018);
const pixelHeaderAt = ct.length - 82008 - 8;

/** The value of a top-level (0008,eeee) element of the Implicit VR CT dataset. */
function uidIn(dataset: Buffer, element: number): string {
  const at = dataset.indexOf(Buffer.from([0x08, 0x00, element & 0xff, element >> 8]));
  return dataset.toString('latin1', at + 8, at + 8 + dataset.readUInt32LE(at + 4)).replace(/\0+$/, '');
}

/** The dataset with one top-level Implicit VR element's value replaced. */
function withValue(dataset: Buffer, group: number, element: number, value: string): Buffer {
  const tag = Buffer.alloc(4);
  tag.writeUInt16LE(group, 0);
  tag.writeUInt16LE(element, 2);
  const at = dataset.indexOf(tag);
  const old = dataset.readUInt32LE(at + 4);
  const v = Buffer.from(value.length % 2 ? `${value}\0` : value, 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(v.length, 0);
  return Buffer.concat([dataset.subarray(0, at + 4), len, v, dataset.subarray(at + 8 + old)]);
}

describe('abuse suite against the listener', () => {
  let n: IngestNode;
  beforeAll(async () => {
    n = await startIngestNode({ dicom: { allowedCallers: ['ABUSER', 'ECHOSCU'], artimTimeoutS: 3, pduTimeoutS: 3, idleTimeoutS: 5 } });
  });
  afterAll(async () => {
    await n?.stop();
  });
  afterEach(async () => {
    expect((await run('echoscu', ['-aet', 'ECHOSCU', '-aec', 'CD8NODE', '127.0.0.1', String(n.port)])).code).toBe(0);
    // Nothing half-stored: no temporary file left, no file outside spool/<study>/<series>/.
    await new Promise((r) => setTimeout(r, 100));
    expect(halfStored(n.dataDir)).toEqual([]);
    for (const f of dicomFiles(join(n.dataDir, 'spool'))) expect(f.slice(n.dataDir.length)).toMatch(/^\/spool\/[^/]+\/[^/]+\/[^/]+\.dcm$/);
  });

  const stored = () => n.audit.filter((e) => e.event === 'instance.stored').map((e) => e.sopInstanceUid);

  describe('framing and protocol', () => {
    it('garbage bytes instead of an association request: A-ABORT, connection closed', async () => {
      const peer = await RawAssociation.open(n.port);
      const garbage = randomBytes(4096);
      garbage[0] = 0x42; // not a PDU type
      peer.write(garbage);
      expect(abortReason(await peer.pdu(0, 5000))).toEqual({ source: 2, reason: ABORT.unrecognizedPdu });
      await peer.closed;
    });

    it('an A-ASSOCIATE-RQ whose body is garbage: answered (A-ABORT or A-ASSOCIATE-RJ) and closed', async () => {
      const peer = await RawAssociation.open(n.port);
      const body = randomBytes(300);
      peer.write(Buffer.concat([pduHeader(0x01, body.length), body]));
      const answer = await peer.pdu(0, 5000);
      expect([0x03, 0x07]).toContain(answer?.readUInt8(0));
      await peer.closed;
    });

    it('an unknown PDU type (0x09) after association: A-ABORT unrecognized PDU', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [VERIFICATION]);
      a.write(Buffer.concat([pduHeader(0x09, 4), Buffer.alloc(4)]));
      expect(abortReason(await a.next(5000))).toEqual({ source: 2, reason: ABORT.unrecognizedPdu });
      await a.closed;
      expect(n.audit).toContainEqual(expect.objectContaining({ event: 'association.aborted', callingAeTitle: 'ABUSER', reason: expect.stringMatching(/unknown PDU type 0x09/) }));
    });

    it('an A-RELEASE-RQ declaring 100 bytes: A-ABORT invalid PDU parameter', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [VERIFICATION]);
      a.write(Buffer.concat([pduHeader(0x05, 100), Buffer.alloc(100)]));
      expect(abortReason(await a.next(5000))).toEqual({ source: 2, reason: ABORT.invalidParameter });
      await a.closed;
    });

    it('P-DATA-TF before any association: A-ABORT unexpected PDU', async () => {
      const peer = await RawAssociation.open(n.port);
      peer.write(pDataTf(1, Buffer.alloc(20), { command: true, last: true }));
      expect(abortReason(await peer.pdu(0, 5000))).toEqual({ source: 2, reason: ABORT.unexpectedPdu });
      await peer.closed;
    });

    it('a PDV whose item length runs past its P-DATA-TF: A-ABORT invalid PDU parameter', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [VERIFICATION]);
      const bad = pDataTf(1, Buffer.alloc(10), { command: true, last: true });
      bad.writeUInt32BE(5000, 6);
      a.write(bad);
      expect(abortReason(await a.next(5000))).toEqual({ source: 2, reason: ABORT.invalidParameter });
      await a.closed;
    });

    it('a command on a presentation context that was not accepted: A-ABORT', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [VERIFICATION]);
      expect(await a.echo(99)).toBeUndefined();
      expect(abortReason(a.pdus[1])).toBeDefined();
      await a.closed;
    });

    it('a connection that sends half an association request and goes silent is closed (pduTimeoutS / ARTIM)', async () => {
      const peer = await RawAssociation.open(n.port);
      const start = Date.now();
      peer.write(pduHeader(0x01, 300));
      await peer.closed;
      expect(peer.closedAt! - start).toBeGreaterThanOrEqual(2900);
      expect(peer.closedAt! - start).toBeLessThan(8000);
    });
  });

  describe('datasets that lie (C000 with a comment, nothing kept)', () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['Pixel Data length 100,000 bytes larger than what is sent', (() => {
        const b = Buffer.from(ct);
        b.writeUInt32LE(82008 + 100000, pixelHeaderAt + 4);
        return b;
      })(), /Pixel Data declares 182008 bytes; only 82008 were received/],
      ['the CT cut at half its bytes', ct.subarray(0, ct.length >> 1), /cannot be read to its end/],
      ['an empty dataset', Buffer.alloc(0), /the dataset is empty/],
      ['a dataset of random bytes', randomBytes(5000), /cannot be read to its end/],
    ];
    it.each(cases)('%s', async (_what, dataset, why) => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [CT_IMPLICIT]);
      const r = await a.store(5, CT_CLASS, ctUid, dataset);
      expect(r).toEqual({ status: 0xc000, errorComment: 'the dataset cannot be read to its end' });
      a.release();
      await a.closed;
      expect(stored()).not.toContain(ctUid);
      expect(n.logs).toContainEqual(expect.objectContaining({ level: 'warn', message: expect.stringMatching(why) }));
    });
  });

  describe('C-STORE requests that do not match their dataset', () => {
    it('SOP class of the request differs from the dataset: A900', async () => {
      const rs = datasetOf(PHANTOM_RTSTRUCT);
      const rsUid = uidIn(rs, 0x0018);
      const a = await RawAssociation.associate(n.port, 'ABUSER', [CT_IMPLICIT]);
      expect(await a.store(5, CT_CLASS, rsUid, rs)).toMatchObject({ status: 0xa900 });
      a.release();
      await a.closed;
      expect(stored()).not.toContain(rsUid);
    });

    it('SOP instance of the request differs from the dataset: C000', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [CT_IMPLICIT]);
      expect(await a.store(5, CT_CLASS, '1.2.3.4.5', ct)).toMatchObject({ status: 0xc000, errorComment: 'SOP Instance UID differs from the C-STORE request' });
      a.release();
      await a.closed;
    });

    it('a dataset sent as Explicit VR on an Implicit VR context: C000', async () => {
      const a = await RawAssociation.associate(n.port, 'ABUSER', [CT_EXPLICIT]);
      expect(await a.store(3, CT_CLASS, ctUid, ct)).toMatchObject({ status: 0xc000 });
      a.release();
      await a.closed;
    });
  });

  describe('path-like UIDs', () => {
    it('stores an instance whose UIDs look like paths under hashed names inside the spool, nowhere else', async () => {
      const evilSop = '../../../../tmp/cd8-evil';
      const evil = withValue(withValue(withValue(ct, 0x0008, 0x0018, evilSop), 0x0020, 0x000d, '../../..'), 0x0020, 0x000e, '/etc/cd8');
      const a = await RawAssociation.associate(n.port, 'ABUSER', [CT_IMPLICIT]);
      expect(await a.store(5, CT_CLASS, evilSop, evil)).toMatchObject({ status: 0x0000 });
      a.release();
      await a.closed;
      expect(existsSync('/tmp/cd8-evil.dcm')).toBe(false);
      const files = dicomFiles(join(n.dataDir, 'spool')).map((f) => f.slice(n.dataDir.length));
      expect(files).toContainEqual(expect.stringMatching(/^\/spool\/x[0-9a-f]{20}\/x[0-9a-f]{20}\/x[0-9a-f]{20}\.dcm$/));
    });
  });
});
