/**
 * Upper-layer PDU framing (PS3.8 §9.3) with a bound on every length a peer controls. The reader
 * checks a PDU's type and declared length as soon as its 6-byte header is in, so an oversized PDU
 * is refused before a byte of its body is kept; a body is collected as the chunks that arrive and
 * joined once, when complete (linear in its size, never re-copied as it grows). P-DATA-TF bodies
 * are split into their PDVs here too (PS3.8 §9.3.5.1), with the same care.
 * Pure: bytes in, PDUs out, or a PduError naming the A-ABORT reason to answer with.
 */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** A-ABORT reasons (PS3.8 Table 9-26, source: service provider). */
export const PduAbortReason = {
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  InvalidPduParameter: 6,
} as const;

/** A framing violation: the association is aborted with `reason`; `message` is for the log. */
export class PduError extends Error {
  constructor(
    readonly reason: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Pdu {
  type: number;
  /** The whole PDU, header included (what dcmjs-dimse's PDU classes read). */
  bytes: Buffer;
}

export interface PduLimits {
  /** Largest variable field of an A-ASSOCIATE-RQ/AC/RJ. */
  associate: number;
  /** Largest variable field of a P-DATA-TF (the maximum length we negotiated). */
  pData: number;
}

const HEADER = 6;
/** A-RELEASE-RQ/RP and A-ABORT have a fixed 4-byte variable field. */
const FIXED_FOUR = new Set<number>([PduType.ReleaseRq, PduType.ReleaseRp, PduType.Abort]);

function pduName(type: number): string {
  const names: Record<number, string> = { 1: 'A-ASSOCIATE-RQ', 2: 'A-ASSOCIATE-AC', 3: 'A-ASSOCIATE-RJ', 4: 'P-DATA-TF', 5: 'A-RELEASE-RQ', 6: 'A-RELEASE-RP', 7: 'A-ABORT' };
  return names[type] ?? `type 0x${type.toString(16).padStart(2, '0')}`;
}

export class PduReader {
  private header = Buffer.alloc(HEADER);
  private headerBytes = 0;
  private type = 0;
  private length = 0;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  /** PDUs completed so far (a new PDU has begun when this moved while one is in progress). */
  completed = 0;

  constructor(private readonly limits: () => PduLimits) {}

  /** A PDU has begun and is not complete. */
  get inProgress(): boolean {
    return this.headerBytes > 0;
  }

  /** Takes the bytes that arrived; returns the PDUs they completed, in order. Throws PduError. */
  push(chunk: Buffer): Pdu[] {
    const out: Pdu[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.headerBytes < HEADER) {
        const n = Math.min(HEADER - this.headerBytes, chunk.length - pos);
        chunk.copy(this.header, this.headerBytes, pos, pos + n);
        this.headerBytes += n;
        pos += n;
        if (this.headerBytes < HEADER) break;
        this.begin();
        if (this.length > 0) continue;
      } else {
        const n = Math.min(this.length - this.bodyBytes, chunk.length - pos);
        this.body.push(chunk.subarray(pos, pos + n));
        this.bodyBytes += n;
        pos += n;
      }
      if (this.bodyBytes === this.length) out.push(this.finish());
    }
    return out;
  }

  private begin(): void {
    this.type = this.header.readUInt8(0);
    this.length = this.header.readUInt32BE(2);
    const limits = this.limits();
    if (this.type < PduType.AssociateRq || this.type > PduType.Abort) {
      throw new PduError(PduAbortReason.UnrecognizedPdu, `unknown PDU type 0x${this.type.toString(16).padStart(2, '0')}`);
    }
    const max = FIXED_FOUR.has(this.type) ? 4 : this.type === PduType.PDataTf ? limits.pData : limits.associate;
    if (FIXED_FOUR.has(this.type) ? this.length !== 4 : this.length > max) {
      throw new PduError(
        PduAbortReason.InvalidPduParameter,
        FIXED_FOUR.has(this.type)
          ? `${pduName(this.type)} declares ${this.length} bytes; it has exactly 4`
          : `${pduName(this.type)} declares ${this.length} bytes, more than the ${max} allowed${this.type === PduType.PDataTf ? ' (the maximum PDU length we negotiated)' : ''}`,
      );
    }
  }

  private finish(): Pdu {
    const bytes = Buffer.concat([this.header, ...this.body], HEADER + this.length);
    const pdu = { type: this.type, bytes };
    this.header = Buffer.alloc(HEADER);
    this.headerBytes = 0;
    this.body = [];
    this.bodyBytes = 0;
    this.completed += 1;
    return pdu;
  }
}

/** One presentation data value of a P-DATA-TF. */
export interface Pdv {
  presentationContextId: number;
  command: boolean;
  last: boolean;
  value: Buffer;
}

/** Splits a P-DATA-TF (whole PDU, header included) into its PDVs; throws PduError when they do not tile it. */
export function readPdvs(pdu: Buffer): Pdv[] {
  const pdvs: Pdv[] = [];
  let pos = HEADER;
  if (pdu.length === HEADER) throw new PduError(PduAbortReason.InvalidPduParameter, 'P-DATA-TF without any PDV');
  while (pos < pdu.length) {
    if (pos + 6 > pdu.length) throw new PduError(PduAbortReason.InvalidPduParameter, 'P-DATA-TF ends inside a PDV header');
    const length = pdu.readUInt32BE(pos);
    if (length < 2 || pos + 4 + length > pdu.length) {
      throw new PduError(PduAbortReason.InvalidPduParameter, `PDV item length ${length} does not fit the P-DATA-TF (${pdu.length - pos - 4} bytes left)`);
    }
    const control = pdu.readUInt8(pos + 5);
    pdvs.push({
      presentationContextId: pdu.readUInt8(pos + 4),
      command: (control & 0x01) !== 0,
      last: (control & 0x02) !== 0,
      value: pdu.subarray(pos + 6, pos + 4 + length),
    });
    pos += 4 + length;
  }
  return pdvs;
}
