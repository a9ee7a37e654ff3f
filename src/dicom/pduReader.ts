/**
 * Upper-layer PDU framing (PS3.8 §9.3) with a bound on every length a peer controls. The reader
 * checks a PDU's type and declared length as soon as its 6-byte header is in, so an oversized PDU
 * is refused before a byte of its body is kept; a body is collected as the chunks that arrive and
 * joined at most once, when complete and asked for (linear in its size, never re-copied as it
 * grows). P-DATA-TF bodies are split into their PDVs here too (PS3.8 §9.3.5.1), with the same
 * care, straight from the chunks: a dataset's bytes go from the socket's buffers to the spool
 * file without a copy (joining them cost a copy of every byte received and the garbage
 * collections of as many large buffers again).
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
  /** The whole PDU, header included (what dcmjs-dimse's PDU classes read); joined on first use. */
  readonly bytes: Buffer;
  /** The PDU's body (after the 6-byte header) as it arrived: subarrays of the chunks read, no copy. */
  readonly body: readonly Buffer[];
}

class ReceivedPdu implements Pdu {
  private joined: Buffer | undefined;
  constructor(
    readonly type: number,
    private readonly header: Buffer,
    readonly body: readonly Buffer[],
    private readonly length: number,
  ) {}

  get bytes(): Buffer {
    this.joined ??= Buffer.concat([this.header, ...this.body], HEADER + this.length);
    return this.joined;
  }
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
    const pdu = new ReceivedPdu(this.type, this.header, this.body, this.length);
    this.header = Buffer.alloc(HEADER);
    this.headerBytes = 0;
    this.body = [];
    this.bodyBytes = 0;
    this.completed += 1;
    return pdu;
  }
}

/** One presentation data value of a P-DATA-TF, its value in the pieces it arrived in (subarrays, no copy). */
export interface PdvParts {
  presentationContextId: number;
  command: boolean;
  last: boolean;
  /** The value's bytes, in order. */
  parts: Buffer[];
  /** Their total length. */
  length: number;
}

/**
 * Splits a P-DATA-TF body, given as the pieces it arrived in, into its PDVs; a PDV's header or
 * value may span pieces. Throws PduError when the PDVs do not tile the body.
 */
export function readPdvParts(body: readonly Buffer[]): PdvParts[] {
  const total = body.reduce((n, b) => n + b.length, 0);
  if (total === 0) throw new PduError(PduAbortReason.InvalidPduParameter, 'P-DATA-TF without any PDV');
  const pdvs: PdvParts[] = [];
  const header = Buffer.alloc(6);
  let piece = 0;
  let offset = 0;
  /** The next `n` bytes as subarrays of the pieces (n is within what is left). */
  const take = (n: number): Buffer[] => {
    const out: Buffer[] = [];
    while (n > 0) {
      const b = body[piece];
      const k = Math.min(n, b.length - offset);
      if (k > 0) out.push(b.subarray(offset, offset + k));
      offset += k;
      n -= k;
      if (offset === b.length) {
        piece += 1;
        offset = 0;
      }
    }
    return out;
  };
  let pos = 0;
  while (pos < total) {
    if (pos + 6 > total) throw new PduError(PduAbortReason.InvalidPduParameter, 'P-DATA-TF ends inside a PDV header');
    let at = 0;
    for (const b of take(6)) at += b.copy(header, at);
    const length = header.readUInt32BE(0);
    if (length < 2 || pos + 4 + length > total) {
      throw new PduError(PduAbortReason.InvalidPduParameter, `PDV item length ${length} does not fit the P-DATA-TF (${total - pos - 4} bytes left)`);
    }
    const control = header.readUInt8(5);
    pdvs.push({
      presentationContextId: header.readUInt8(4),
      command: (control & 0x01) !== 0,
      last: (control & 0x02) !== 0,
      parts: take(length - 2),
      length: length - 2,
    });
    pos += 4 + length;
  }
  return pdvs;
}
