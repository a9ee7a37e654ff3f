/**
 * multipart/related bodies of DICOMweb STOW-RS (PS3.18 §10.5): writing one for the client, and
 * reading one for the receiver with a bound on every size and count an uploader controls. Pure:
 * bytes in, parts or an error with its HTTP status out.
 */
import { randomBytes } from 'node:crypto';

export interface MultipartPart {
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface MultipartBounds {
  maxParts: number;
  maxPartBytes: number;
}

export type MultipartRead = { ok: true; type: string | undefined; parts: MultipartPart[] } | { ok: false; status: number; message: string };

/** A multipart/related body of application/dicom parts, and its Content-Type. */
export function writeDicomMultipart(objects: readonly Buffer[]): { contentType: string; body: Buffer } {
  const boundary = `cd8-${randomBytes(16).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const o of objects) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'), o, Buffer.from('\r\n', 'latin1'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** Media type and parameters of a Content-Type header (parameter names lower-cased, quotes removed). */
export function parseContentType(header: string | undefined): { mediaType: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const [type, ...rest] = header.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    params[p.slice(0, eq).trim().toLowerCase()] = value;
  }
  return { mediaType: type.trim().toLowerCase(), params };
}

/** Longest boundary accepted. */
export const MAX_BOUNDARY = 200;
/** Largest header block of one part (a part's headers are a few short lines; this bounds what is parsed and logged). */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/**
 * The parts of a multipart/related body. A body without a boundary, without a closing
 * delimiter, or with more or larger parts than the bounds allow is refused as a whole (nothing
 * of it is used), with the status to answer.
 */
export function readMultipartRelated(contentType: string | undefined, body: Buffer, bounds: MultipartBounds): MultipartRead {
  const ct = parseContentType(contentType);
  if (!ct || ct.mediaType !== 'multipart/related') {
    return { ok: false, status: 415, message: `Content-Type must be multipart/related; type="application/dicom" (got ${contentType ? `"${contentType}"` : 'none'}).` };
  }
  const boundary = ct.params.boundary;
  if (!boundary) return { ok: false, status: 400, message: 'the multipart/related Content-Type has no boundary parameter.' };
  // RFC 2046 says at most 70 characters, but real senders exceed it (Orthanc's DICOMweb client
  // uses 73): accept up to MAX_BOUNDARY, which still bounds the search.
  if (boundary.length > MAX_BOUNDARY) return { ok: false, status: 400, message: `the multipart boundary is ${boundary.length} characters long; at most ${MAX_BOUNDARY} are accepted (RFC 2046 allows 70).` };
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let at = body.indexOf(delimiter);
  if (at < 0) return { ok: false, status: 400, message: `the body does not contain the boundary "${boundary}" its Content-Type announces.` };
  const parts: MultipartPart[] = [];
  for (;;) {
    at += delimiter.length;
    // "--" after a delimiter closes the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) break;
    const headerStart = body.indexOf('\r\n', at);
    if (headerStart < 0) return { ok: false, status: 400, message: 'the body ends inside a part (no closing boundary): it was cut off.' };
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) return { ok: false, status: 400, message: `part ${parts.length + 1} has no end of headers (blank line).` };
    if (headerEnd - headerStart > MAX_PART_HEADER_BYTES) return { ok: false, status: 400, message: `part ${parts.length + 1} has ${headerEnd - headerStart} bytes of headers; at most ${MAX_PART_HEADER_BYTES} are accepted.` };
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`, 'latin1'), headerEnd + 4);
    if (next < 0) return { ok: false, status: 400, message: `part ${parts.length + 1} has no closing boundary: the body was cut off.` };
    if (parts.length + 1 > bounds.maxParts) return { ok: false, status: 413, message: `the body holds more than ${bounds.maxParts} parts; send at most ${bounds.maxParts} instances per request.` };
    const size = next - (headerEnd + 4);
    if (size > bounds.maxPartBytes) return { ok: false, status: 413, message: `part ${parts.length + 1} is ${size} bytes, more than the ${bounds.maxPartBytes} allowed for one instance.` };
    const headers: Record<string, string> = {};
    for (const line of body.subarray(headerStart + 2, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return { ok: true, type: ct.params.type?.toLowerCase(), parts };
}
