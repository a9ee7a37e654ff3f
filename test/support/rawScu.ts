/**
 * A DICOM peer built by hand over raw TCP, for what no well-behaved tool will send: oversized or
 * unknown PDUs, trickled bytes, datasets that lie about their lengths, C-STOREs whose command and
 * dataset disagree. Everything it writes is laid out here per PS3.8 §9.3 and PS3.7 §9.3.
 */
import { connect, Socket } from 'node:net';

const pad16 = (ae: string) => Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');
const ascii = (s: string) => Buffer.from(s, 'latin1');

function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt8(type, 0);
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

export function pduHeader(type: number, length: number): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt8(type, 0);
  h.writeUInt32BE(length >>> 0, 2);
  return h;
}

export interface ProposedContext {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** An A-ASSOCIATE-RQ with the given presentation contexts. */
export function associateRq(callingAe: string, calledAe: string, contexts: ProposedContext[], maxPdu = 16384): Buffer {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxPdu, 0);
  const body = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00]),
    pad16(calledAe),
    pad16(callingAe),
    Buffer.alloc(32),
    item(0x10, ascii('1.2.840.10008.3.1.1.1')),
    ...contexts.map((c) =>
      item(0x20, Buffer.concat([Buffer.from([c.id, 0, 0, 0]), item(0x30, ascii(c.abstractSyntax)), ...c.transferSyntaxes.map((t) => item(0x40, ascii(t)))])),
    ),
    item(0x50, Buffer.concat([item(0x51, max), item(0x52, ascii('1.2.3.4'))])),
  ]);
  return Buffer.concat([pduHeader(0x01, body.length), body]);
}

/** A P-DATA-TF with one PDV. */
export function pDataTf(pcId: number, value: Buffer, options: { command: boolean; last: boolean }): Buffer {
  const pdv = Buffer.alloc(6);
  pdv.writeUInt32BE(value.length + 2, 0);
  pdv.writeUInt8(pcId, 4);
  pdv.writeUInt8((options.command ? 1 : 0) | (options.last ? 2 : 0), 5);
  return Buffer.concat([pduHeader(0x04, value.length + 6), pdv, value]);
}

function element(tag: number, value: Buffer | number, us = false): Buffer {
  const v = typeof value === 'number' ? Buffer.alloc(us ? 2 : 4) : value.length % 2 ? Buffer.concat([value, Buffer.from([0])]) : value;
  if (typeof value === 'number') {
    if (us) v.writeUInt16LE(value, 0);
    else v.writeUInt32LE(value, 0);
  }
  const h = Buffer.alloc(8);
  h.writeUInt16LE(0x0000, 0);
  h.writeUInt16LE(tag, 2);
  h.writeUInt32LE(v.length, 4);
  return Buffer.concat([h, v]);
}

/** A command set (group 0000, Implicit VR Little Endian) with its group length. */
function commandSet(elements: Buffer[]): Buffer {
  const body = Buffer.concat(elements);
  return Buffer.concat([element(0x0000, body.length), body]);
}

export function cEchoRq(messageId: number): Buffer {
  return commandSet([element(0x0002, ascii('1.2.840.10008.1.1')), element(0x0100, 0x0030, true), element(0x0110, messageId, true), element(0x0800, 0x0101, true)]);
}

export function cStoreRq(messageId: number, sopClassUid: string, sopInstanceUid: string): Buffer {
  return commandSet([
    element(0x0002, ascii(sopClassUid)),
    element(0x0100, 0x0001, true),
    element(0x0110, messageId, true),
    element(0x0700, 0, true),
    element(0x0800, 0x0000, true),
    element(0x1000, ascii(sopInstanceUid)),
  ]);
}

/** Status and Error Comment of a response command set. */
export function readResponse(pdu: Buffer): { status: number; errorComment?: string } {
  // P-DATA-TF: header 6, PDV length 4, pcId 1, control 1, then the command set.
  let pos = 12;
  let status = -1;
  let errorComment: string | undefined;
  while (pos + 8 <= pdu.length) {
    const el = pdu.readUInt16LE(pos + 2);
    const len = pdu.readUInt32LE(pos + 4);
    if (el === 0x0900) status = pdu.readUInt16LE(pos + 8);
    if (el === 0x0902) errorComment = pdu.toString('latin1', pos + 8, pos + 8 + len).replace(/[\0 ]+$/, '');
    pos += 8 + len;
  }
  return { status, errorComment };
}

export class RawAssociation {
  readonly pdus: Buffer[] = [];
  private pending = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly closed: Promise<void>;
  closedAt: number | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.pending = Buffer.concat([this.pending, d]);
      while (this.pending.length >= 6 && this.pending.length >= 6 + this.pending.readUInt32BE(2)) {
        this.pdus.push(this.pending.subarray(0, 6 + this.pending.readUInt32BE(2)));
        this.pending = this.pending.subarray(6 + this.pending.readUInt32BE(2));
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAt = Date.now();
        this.wake();
        resolve();
      }),
    );
  }

  static async open(port: number, options: { localAddress?: string } = {}): Promise<RawAssociation> {
    const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawAssociation(socket);
  }

  /** Opens and associates; resolves once the node answered (accept or reject). */
  static async associate(port: number, callingAe: string, contexts: ProposedContext[], options: { localAddress?: string } = {}): Promise<RawAssociation> {
    const a = await RawAssociation.open(port, options);
    a.write(associateRq(callingAe, 'CD8NODE', contexts));
    await a.next(10000);
    return a;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    return this.socket.write(bytes);
  }

  /** The n-th PDU received (waiting for it), or undefined if the connection closed first. */
  async pdu(index: number, timeoutMs = 10000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.pdus.length <= index) {
      if (this.closedAt !== undefined || Date.now() > deadline) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.pdus[index];
  }

  /** The next PDU after those already seen. */
  next(timeoutMs = 10000): Promise<Buffer | undefined> {
    return this.pdu(this.seen++, timeoutMs);
  }
  private seen = 0;

  get accepted(): boolean {
    return this.pdus[0]?.readUInt8(0) === 0x02;
  }

  /** The accepted presentation context results of the A-ASSOCIATE-AC, by context ID. */
  contextResults(): Map<number, number> {
    const ac = this.pdus[0];
    const out = new Map<number, number>();
    if (ac?.readUInt8(0) !== 0x02) return out;
    let pos = 6 + 68;
    while (pos + 4 <= ac.length) {
      const type = ac.readUInt8(pos);
      const len = ac.readUInt16BE(pos + 2);
      if (type === 0x21) out.set(ac.readUInt8(pos + 4), ac.readUInt8(pos + 6));
      pos += 4 + len;
    }
    return out;
  }

  /** Sends a C-ECHO-RQ and waits for its response status. */
  async echo(pcId: number, messageId = 1): Promise<number | undefined> {
    this.write(pDataTf(pcId, cEchoRq(messageId), { command: true, last: true }));
    const r = await this.next();
    return r && r.readUInt8(0) === 0x04 ? readResponse(r).status : undefined;
  }

  /** Sends a C-STORE (dataset in PDVs of `fragment` bytes) and waits for the response. */
  async store(pcId: number, sopClassUid: string, sopInstanceUid: string, dataset: Buffer, fragment = 16372): Promise<{ status: number; errorComment?: string } | undefined> {
    this.write(pDataTf(pcId, cStoreRq(1, sopClassUid, sopInstanceUid), { command: true, last: true }));
    for (let pos = 0; pos < dataset.length || pos === 0; pos += fragment) {
      const end = Math.min(dataset.length, pos + fragment);
      this.write(pDataTf(pcId, dataset.subarray(pos, end), { command: false, last: end === dataset.length }));
      if (dataset.length === 0) break;
    }
    const r = await this.next(30000);
    return r && r.readUInt8(0) === 0x04 ? readResponse(r) : undefined;
  }

  release(): void {
    this.write(Buffer.concat([pduHeader(0x05, 4), Buffer.alloc(4)]));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Abort source and reason of an A-ABORT PDU (undefined for another PDU). */
export function abortReason(pdu: Buffer | undefined): { source: number; reason: number } | undefined {
  if (!pdu || pdu.readUInt8(0) !== 0x07) return undefined;
  return { source: pdu.readUInt8(8), reason: pdu.readUInt8(9) };
}

export const VERIFICATION: ProposedContext = { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] };
export const CT_EXPLICIT: ProposedContext = { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.1'] };
