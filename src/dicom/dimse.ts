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

function encodeElements(elements: Element[]): Buffer {
  const parts: Buffer[] = [];
  for (const [element, vr, value] of elements.sort((a, b) => a[0] - b[0])) {
    let data: Buffer;
    if (vr === 'US') {
      data = Buffer.alloc(2);
      data.writeUInt16LE(value as number, 0);
    } else {
      const s = String(value);
      const pad = vr === 'UI' ? '\0' : ' ';
      data = Buffer.from(s.length % 2 === 1 ? s + pad : s, 'latin1');
    }
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0x0000, 0);
    header.writeUInt16LE(element, 2);
    header.writeUInt32LE(data.length, 4);
    parts.push(header, data);
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0000, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([groupLength, body]);
}

/** The response to any request: its command field with the response bit, the request's message ID, a status. */
export function encodeResponse(request: CommandSet, status: number, errorComment?: string): Buffer {
  const elements: Element[] = [
    [0x0100, 'US', request.commandField | 0x8000],
    [0x0120, 'US', request.messageId ?? 0],
    [0x0800, 'US', NO_DATASET],
    [0x0900, 'US', status],
  ];
  if (request.affectedSopClassUid) elements.push([0x0002, 'UI', request.affectedSopClassUid]);
  if (request.affectedSopInstanceUid) elements.push([0x1000, 'UI', request.affectedSopInstanceUid]);
  // Error Comment is LO: at most 64 characters.
  if (errorComment && status !== 0x0000) elements.push([0x0902, 'LO', errorComment.slice(0, 64)]);
  return encodeElements(elements);
}

/** One P-DATA-TF PDU with one PDV holding a whole command set (message control header: command, last). */
export function commandPdu(presentationContextId: number, command: Buffer): Buffer {
  const pdu = Buffer.alloc(6 + 4 + 2 + command.length);
  pdu.writeUInt8(0x04, 0);
  pdu.writeUInt8(0x00, 1);
  pdu.writeUInt32BE(4 + 2 + command.length, 2);
  pdu.writeUInt32BE(2 + command.length, 6);
  pdu.writeUInt8(presentationContextId, 10);
  pdu.writeUInt8(0x03, 11);
  command.copy(pdu, 12);
  return pdu;
}
