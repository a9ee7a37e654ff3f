/**
 * The A-ASSOCIATE-AC PDU (PS3.8 §9.3.3) the listener answers an accepted association with, the
 * same bytes as dcmjs-dimse's own writer (test/unit/dicom/scpAccept.test.ts compares them), from
 * the same association object. dcmjs-dimse writes every byte through smart-buffer's checked
 * writeUInt8: 2–6 ms of the listener's thread per association with a hundred proposed contexts
 * (storescu proposes ~120), the largest piece of an association's own work when ten arrive at
 * once. Pure: an association in, bytes out.
 */
import { association as dimseAssociation, Implementation } from 'dcmjs-dimse';
import { TransferSyntax } from './uids';

type Association = dimseAssociation.Association;

/** Big-endian bytes into a buffer that grows as needed; 16-bit lengths filled in when their item ends. */
class PduWriter {
  private buf = Buffer.allocUnsafe(4096);
  private at = 0;
  private readonly marks: number[] = [];

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v & 0xff;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v, this.at);
    this.at += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.at);
    this.at += 4;
  }

  zeros(n: number): void {
    this.room(n);
    this.buf.fill(0, this.at, this.at + n);
    this.at += n;
  }

  /** One byte per character (its code's low byte), as the library writes text. */
  text(s: string): void {
    this.room(s.length);
    for (let i = 0; i < s.length; i++) this.buf[this.at + i] = s.charCodeAt(i) & 0xff;
    this.at += s.length;
  }

  /** An item type, a reserved byte and a 16-bit length filled in by end(). */
  item(type: number): void {
    this.u8(type);
    this.u8(0);
    this.mark();
  }

  mark(): void {
    this.marks.push(this.at);
    this.u16(0);
  }

  end(): void {
    const at = this.marks.pop() as number;
    this.buf.writeUInt16BE(this.at - at - 2, at);
  }

  /** The PDU: type, reserved, 32-bit length, then what was written. */
  pdu(type: number): Buffer {
    const out = Buffer.allocUnsafe(6 + this.at);
    out[0] = type;
    out[1] = 0;
    out.writeUInt32BE(this.at, 2);
    this.buf.copy(out, 6, 0, this.at);
    return out;
  }
}

/**
 * What dcmjs-dimse's Scp.sendAssociationAccept() does before writing: our implementation's class UID
 * and version, and the smaller of the negotiated and the library's maximum PDU length.
 */
export function prepareAccept(association: Association): void {
  association.setImplementationClassUid(Implementation.getImplementationClassUid());
  association.setImplementationVersion(Implementation.getImplementationVersion());
  association.setMaxPduLength(Math.min(association.getMaxPduLength(), Implementation.getMaxPduLength()));
}

/** The A-ASSOCIATE-AC for `association` (after prepareAccept and the contexts' results are set). */
export function associateAcPdu(association: Association): Buffer {
  const w = new PduWriter();
  w.u16(1); // protocol version
  w.zeros(2);
  w.text(association.getCalledAeTitle().padEnd(16, ' '));
  w.text(association.getCallingAeTitle().padEnd(16, ' '));
  w.zeros(32);
  w.item(0x10);
  w.text(association.getApplicationContextName());
  w.end();
  // As the library looks them up: by ID, the first context of an ID (a peer may repeat one).
  const proposed = association.getPresentationContexts();
  const byId = new Map<number, (typeof proposed)[number]['context']>();
  for (const { id, context } of proposed) if (!byId.has(id)) byId.set(id, context);
  const contexts = proposed.map(({ id }) => byId.get(id) as (typeof proposed)[number]['context']);
  for (const context of contexts) {
    w.item(0x21);
    w.u8(context.getPresentationContextId());
    w.u8(0);
    w.u8(context.getResult());
    w.u8(0);
    w.item(0x40);
    w.text(context.getAcceptedTransferSyntaxUid() || TransferSyntax.ImplicitVrLittleEndian);
    w.end();
    w.end();
  }
  w.item(0x50); // user information
  w.u8(0x51); // maximum length: a fixed 4-byte value
  w.u8(0);
  w.u16(4);
  w.u32(association.getMaxPduLength());
  w.item(0x52);
  w.text(association.getImplementationClassUid());
  w.end();
  if (association.getNegotiateAsyncOps() && !(association.getMaxAsyncOpsInvoked() === 1 && association.getMaxAsyncOpsPerformed() === 1)) {
    w.u8(0x53);
    w.u8(0);
    w.u16(4);
    w.u16(association.getMaxAsyncOpsInvoked());
    w.u16(association.getMaxAsyncOpsPerformed());
  }
  for (const context of contexts) {
    const user = context.getUserRole() as boolean | undefined;
    const provider = context.getProviderRole() as boolean | undefined;
    if (user === undefined && provider === undefined) continue;
    w.item(0x54);
    w.mark();
    w.text(context.getAbstractSyntaxUid());
    w.end();
    w.u8(user ? 1 : 0);
    w.u8(provider ? 1 : 0);
    w.end();
  }
  w.item(0x55);
  w.text(association.getImplementationVersion());
  w.end();
  if (association.getNegotiateUserIdentityServerResponse()) {
    w.item(0x59);
    w.mark();
    w.text(association.getUserIdentityServerResponse());
    w.end();
    w.end();
  }
  w.end();
  return w.pdu(0x02);
}
