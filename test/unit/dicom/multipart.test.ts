/**
 * The multipart/related reader of the STOW-RS receiver: what real senders write (a preamble, a
 * quoted boundary, Orthanc's 73-character boundary, a part without headers) is read; a request
 * without boundary, cut off, or beyond the bounds is refused as a whole with its status.
 */
import { MAX_BOUNDARY, MAX_PART_HEADER_BYTES, readMultipartRelated, writeDicomMultipart } from '../../../src/dicom/multipart';

const bounds = { maxParts: 3, maxPartBytes: 100 };
const body = (boundary: string, parts: string[], preamble = '') =>
  Buffer.from(`${preamble}${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\nepilogue`, 'latin1');

test('reads what the writer writes, part by part', () => {
  const { contentType, body: b } = writeDicomMultipart([Buffer.from('first'), Buffer.from('second\r\n--not-a-boundary')]);
  const read = readMultipartRelated(contentType, b, bounds);
  expect(read).toMatchObject({ ok: true, type: 'application/dicom' });
  if (!read.ok) return;
  expect(read.parts.map((p) => [p.headers['content-type'], p.body.toString()])).toEqual([
    ['application/dicom', 'first'],
    ['application/dicom', 'second\r\n--not-a-boundary'],
  ]);
});

test("takes a preamble, a quoted boundary, a part without headers and Orthanc's 73-character boundary", () => {
  const long = 'x'.repeat(73);
  const read = readMultipartRelated(`multipart/related; type="application/dicom"; boundary="${long}"`, body(long, ['Content-Type: application/dicom\r\n\r\nA', '\r\nB'], 'preamble\r\n'), bounds);
  expect(read.ok && read.parts.map((p) => p.body.toString())).toEqual(['A', 'B']);
});

test('takes a part whose header block is just within the bound', () => {
  // From the CRLF after the delimiter to the blank line: "\r\n" + header line = the bound.
  const line = `Content-Type: application/dicom; x=${'h'.repeat(MAX_PART_HEADER_BYTES - 2 - 'Content-Type: application/dicom; x='.length)}`;
  const read = readMultipartRelated('multipart/related; boundary=b', body('b', [`${line}\r\n\r\nA`]), bounds);
  expect(read.ok && read.parts.map((p) => [p.headers['content-type'].length, p.body.toString()])).toEqual([[line.length - 'Content-Type: '.length, 'A']]);
});

test.each([
  ['no boundary', 'multipart/related; type="application/dicom"', body('b', ['\r\nA']), 400, /has no boundary parameter/],
  ['a boundary too long', `multipart/related; boundary=${'y'.repeat(MAX_BOUNDARY + 1)}`, body('y'.repeat(MAX_BOUNDARY + 1), ['\r\nA']), 400, /at most 200 are accepted/],
  ['another boundary in the body', 'multipart/related; boundary=abc', body('xyz', ['\r\nA']), 400, /does not contain the boundary "abc"/],
  ['a body cut off', 'multipart/related; boundary=b', body('b', ['\r\nAAAA']).subarray(0, 10), 400, /cut off/],
  ['not multipart', 'application/dicom', Buffer.from('x'), 415, /must be multipart\/related/],
  ['too many parts', 'multipart/related; boundary=b', body('b', ['\r\n1', '\r\n2', '\r\n3', '\r\n4']), 413, /more than 3 parts/],
  ['a part too large', 'multipart/related; boundary=b', body('b', [`\r\n${'z'.repeat(101)}`]), 413, /part 1 is 101 bytes, more than the 100 allowed/],
  ['a part header block too large', 'multipart/related; boundary=b', body('b', [`Content-Type: application/dicom; x=${'h'.repeat(MAX_PART_HEADER_BYTES)}\r\n\r\nA`]), 400, /part 1 has \d+ bytes of headers; at most 16384 are accepted/],
])('refuses %s as a whole', (_what, contentType, b, status, message) => {
  expect(readMultipartRelated(contentType, b, bounds)).toEqual({ ok: false, status, message: expect.stringMatching(message) });
});
