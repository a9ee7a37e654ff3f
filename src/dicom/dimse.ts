/**
 * DIMSE command sets (PS3.7 §9.3, §E) as the SCP needs them: read a request's command set and
 * write C-ECHO / C-STORE responses, and frame a command into a P-DATA-TF PDU (PS3.8 §9.3.5).
 * Command sets are always Implicit VR Little Endian group 0000. Doing this by hand costs
 * microseconds where a general-purpose dataset codec costs about a millisecond per message, which
 * is most of the per-instance budget of a fast receiver. Pure: bytes in, bytes out.
 */

export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

/** (0000,0800) Command Data Set Type: this value means "no dataset follows". */
export const NO_DATASET = 0x0101;

export interface CommandSet {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  commandDataSetType?: number;
  priority?: number;
  status?: number;
  errorComment?: string;
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}

export class CommandSetError extends Error {

  override readonly name = 'CommandSetError';

}

/** Elements of group 0000 whose VR is US (everything else we read is text, or the UL group length). */
const US_ELEMENTS = new Set([0x0100, 0x0110, 0x0120, 0x0700, 0x0800, 0x0900, 0x1020, 0x1021, 0x1022, 0x1023, 0x1031]);

function text(buf: Buffer, start: number, length: number): string {
  return buf.toString('latin1', start, start + length).replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

export function parseCommandSet(buf: Buffer): CommandSet {
  const values = new Map<number, number | string>();
  let pos = 0;
  while (pos + 8 <= buf.length) {
    const group = buf.readUInt16LE(pos);
    const element = buf.readUInt16LE(pos + 2);
    const length = buf.readUInt32LE(pos + 4);
    pos += 8;
    if (group !== 0x0000) throw new CommandSetError(`command set holds an element of group ${group.toString(16).padStart(4, '0')}; only group 0000 belongs there.`);
    if (pos + length > buf.length) throw new CommandSetError(`command element (0000,${element.toString(16).padStart(4, '0')}) runs past the end of the command set.`);
    if (US_ELEMENTS.has(element) && length === 2) values.set(element, buf.readUInt16LE(pos));
    else if (element === 0x0000 && length === 4) values.set(element, buf.readUInt32LE(pos));
    else values.set(element, text(buf, pos, length));
    pos += length;
  }
  if (pos !== buf.length) throw new CommandSetError('the command set ends inside an element header.');
  const num = (e: number) => (typeof values.get(e) === 'number' ? (values.get(e) as number) : undefined);
  const str = (e: number) => (typeof values.get(e) === 'string' ? (values.get(e) as string) : undefined);
  const commandField = num(0x0100);
  if (commandField === undefined) throw new CommandSetError('the command set has no Command Field (0000,0100).');
  return {
    commandField,
    messageId: num(0x0110),
    messageIdBeingRespondedTo: num(0x0120),
    affectedSopClassUid: str(0x0002),
    affectedSopInstanceUid: str(0x1000),
    commandDataSetType: num(0x0800),
    priority: num(0x0700),
    status: num(0x0900),
    errorComment: str(0x0902),
    moveOriginatorAeTitle: str(0x1030),
    moveOriginatorMessageId: num(0x1031),
  };
}

type Element = [element: number, vr: 'UI' | 'US' | 'LO' | 'AE', value: string | number];

/** The value's bytes as written: a UID padded with NUL, other text with a space, to an even length. */
function valueLength([, vr, value]: Element): number {
  if (vr === 'US') return 2;
  const n = Buffer.byteLength(String(value), 'latin1');
  return n + (n % 2);
}

/**
 * Writes the command set (group length first, elements in tag order) into `out` at `at`; `out`
 * has `length` = commandSetLength(elements) bytes there. One buffer for the whole answer: a buffer
 * per element and their concatenation cost more than the rest of the encoding (per-instance path).
 */
function writeElements(elements: Element[], length: number, out: Buffer, at: number): void {
  out.writeUInt32LE(0x00000000, at); // (0000,0000)
  out.writeUInt32LE(4, at + 4);
  out.writeUInt32LE(length - GROUP_LENGTH_ELEMENT, at + 8);
  let pos = at + 12;
  for (const e of elements) {
    const [element, vr, value] = e;
    const valueBytes = valueLength(e);
    out.writeUInt16LE(0x0000, pos);
    out.writeUInt16LE(element, pos + 2);
    out.writeUInt32LE(valueBytes, pos + 4);
    pos += 8;
    if (vr === 'US') {
      out.writeUInt16LE(value as number, pos);
    } else {
      const written = out.write(String(value), pos, 'latin1');
      if (written < valueBytes) out.writeUInt8(vr === 'UI' ? 0x00 : 0x20, pos + written);
    }
    pos += valueBytes;
  }
}

/** The Command Group Length element (0000,0000) UL, 4: 12 bytes before the elements it counts. */
const GROUP_LENGTH_ELEMENT = 12;

function commandSetLength(elements: Element[]): number {
  return GROUP_LENGTH_ELEMENT + elements.reduce((n, e) => n + 8 + valueLength(e), 0);
}

/** The elements of the response to a request, in tag order. */
function responseElements(request: CommandSet, status: number, errorComment?: string): Element[] {
  const elements: Element[] = [];
  if (request.affectedSopClassUid) elements.push([0x0002, 'UI', request.affectedSopClassUid]);
  elements.push([0x0100, 'US', request.commandField | 0x8000], [0x0120, 'US', request.messageId ?? 0], [0x0800, 'US', NO_DATASET], [0x0900, 'US', status]);
  // Error Comment is LO: at most 64 characters.
  if (errorComment && status !== 0x0000) elements.push([0x0902, 'LO', errorComment.slice(0, 64)]);
  if (request.affectedSopInstanceUid) elements.push([0x1000, 'UI', request.affectedSopInstanceUid]);
  return elements;
}

/** The response to any request: its command field with the response bit, the request's message ID, a status. */
export function encodeResponse(request: CommandSet, status: number, errorComment?: string): Buffer {
  const elements = responseElements(request, status, errorComment);
  const length = commandSetLength(elements);
  const out = Buffer.allocUnsafe(length);
  writeElements(elements, length, out, 0);
  return out;
}

/** The response as a whole P-DATA-TF PDU (what commandPdu(pcId, encodeResponse(...)) gives), in one buffer. */
export function responsePdu(presentationContextId: number, request: CommandSet, status: number, errorComment?: string): Buffer {
  const elements = responseElements(request, status, errorComment);
  const length = commandSetLength(elements);
  const pdu = Buffer.allocUnsafe(PDU_HEADER + length);
  writePduHeader(pdu, presentationContextId, length);
  writeElements(elements, length, pdu, PDU_HEADER);
  return pdu;
}

/** PDU header (6), PDV item length (4), presentation context ID and message control header (2). */
const PDU_HEADER = 12;

function writePduHeader(pdu: Buffer, presentationContextId: number, commandLength: number): void {
  pdu.writeUInt8(0x04, 0);
  pdu.writeUInt8(0x00, 1);
  pdu.writeUInt32BE(4 + 2 + commandLength, 2);
  pdu.writeUInt32BE(2 + commandLength, 6);
  pdu.writeUInt8(presentationContextId, 10);
  pdu.writeUInt8(0x03, 11);
}

/** One P-DATA-TF PDU with one PDV holding a whole command set (message control header: command, last). */
export function commandPdu(presentationContextId: number, command: Buffer): Buffer {
  const pdu = Buffer.alloc(PDU_HEADER + command.length);
  writePduHeader(pdu, presentationContextId, command.length);
  command.copy(pdu, PDU_HEADER);
  return pdu;
}
