/**
 * Our DIMSE command codec against an independent one (dcmjs-dimse's, built on dcmjs): what it
 * writes we read, and what we write it reads.
 */
import { Dataset, requests, log } from 'dcmjs-dimse';
import { CommandField, commandPdu, encodeResponse, NO_DATASET, parseCommandSet, CommandSetError, responsePdu } from '../../../src/dicom/dimse';

log.setLevel('silent');

describe('DIMSE command sets', () => {
  it('reads a C-STORE-RQ command set written by dcmjs-dimse', () => {
    const request = new requests.CStoreRequest(
      new Dataset({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '1.2.826.0.1.3680043.2.1125.1.1' }, '1.2.840.10008.1.2'),
    );
    request.setMessageId(7);
    const bytes = request.getCommandDataset().getDenaturalizedCommandDataset();
    expect(parseCommandSet(bytes)).toMatchObject({
      commandField: CommandField.CStoreRq,
      messageId: 7,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
      priority: 0,
    });
    expect(parseCommandSet(bytes).commandDataSetType).not.toBe(NO_DATASET);
  });

  it('writes a C-STORE-RSP that dcmjs-dimse reads back, error comment included', () => {
    const rq = { commandField: CommandField.CStoreRq, messageId: 12, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.481.3', affectedSopInstanceUid: '1.2.3.4.5' };
    const elements = new Dataset(encodeResponse(rq, 0xa700, 'out of disk space on the receiving node'), '1.2.840.10008.1.2').getElements();
    expect(elements).toMatchObject({
      CommandField: 0x8001,
      MessageIDBeingRespondedTo: 12,
      CommandDataSetType: NO_DATASET,
      Status: 0xa700,
      ErrorComment: 'out of disk space on the receiving node',
      AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.481.3',
      AffectedSOPInstanceUID: '1.2.3.4.5',
    });
    // The group length is the length of what follows it.
    const bytes = encodeResponse(rq, 0, 'ignored for Success');
    expect(bytes.readUInt32LE(8)).toBe(bytes.length - 12);
    expect(bytes.includes(Buffer.from('ignored'))).toBe(false);
  });

  it('answers C-ECHO with the response bit set and the request message ID', () => {
    const response = parseCommandSet(encodeResponse({ commandField: CommandField.CEchoRq, messageId: 3, affectedSopClassUid: '1.2.840.10008.1.1' }, 0));
    expect(response).toMatchObject({ commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: 3, status: 0, affectedSopClassUid: '1.2.840.10008.1.1' });
  });

  it('frames a command as one P-DATA-TF PDU (command, last fragment)', () => {
    const command = encodeResponse({ commandField: CommandField.CEchoRq, messageId: 1 }, 0);
    const pdu = commandPdu(5, command);
    expect(pdu.readUInt8(0)).toBe(0x04);
    expect(pdu.readUInt32BE(2)).toBe(pdu.length - 6);
    expect(pdu.readUInt32BE(6)).toBe(command.length + 2);
    expect(pdu.readUInt8(10)).toBe(5);
    expect(pdu.readUInt8(11)).toBe(0x03);
    expect(pdu.subarray(12).equals(command)).toBe(true);
  });

  it('writes the answer PDU in one piece, the same bytes as framing the encoded response, values padded to even lengths', () => {
    const cases: Array<[number, string | undefined]> = [
      [0x0000, undefined],
      [0xa700, 'out of disk space on the receiving node'],
      [0xc000, 'odd length comment'],
    ];
    for (const uid of ['1.2.3.4.5', '1.2.3.4.56']) {
      for (const [status, comment] of cases) {
        const rq = { commandField: CommandField.CStoreRq, messageId: 65535, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', affectedSopInstanceUid: uid };
        const pdu = responsePdu(3, rq, status, comment);
        expect(pdu.equals(commandPdu(3, encodeResponse(rq, status, comment)))).toBe(true);
        const command = pdu.subarray(12);
        expect(new Dataset(command, '1.2.840.10008.1.2').getElements()).toMatchObject({
          CommandField: 0x8001,
          MessageIDBeingRespondedTo: 65535,
          Status: status,
          AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
          AffectedSOPInstanceUID: uid,
          ...(comment ? { ErrorComment: comment } : {}),
        });
        // Every value has an even length: a UID padded with NUL, the comment (LO) with a space.
        for (let pos = 12; pos < command.length; ) {
          const length = command.readUInt32LE(pos + 4);
          expect(length % 2).toBe(0);
          pos += 8 + length;
        }
        if (uid.length % 2 === 1) expect(command.includes(Buffer.from(`${uid}\0`, 'latin1'))).toBe(true);
        if (comment && comment.length % 2 === 1) expect(command.includes(Buffer.from(`${comment} `, 'latin1'))).toBe(true);
      }
    }
  });

  it('rejects a command set that is not one', () => {
    expect(() => parseCommandSet(Buffer.from([0x08, 0x00, 0x18, 0x00, 0x02, 0x00, 0x00, 0x00, 0x31, 0x00]))).toThrow(CommandSetError);
    expect(() => parseCommandSet(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00]))).toThrow(/ends inside an element header/);
  });
});
