/**
 * STOW-RS client (DICOMweb, PS3.18 §10.5): POSTs Part 10 objects to <base URL>/studies as
 * multipart/related and reads the store response: 200 with every object in the Referenced SOP
 * Sequence is delivered; a Failed SOP Sequence entry, another status, a network or TLS error, or
 * silence is not, each said in words.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { readFileMeta } from './part10';
import { writeDicomMultipart } from './multipart';

export interface StowTarget {
  /** Base URL of the DICOMweb service (…/dicom-web). */
  url: string;
  auth?: { bearer: string } | { username: string; password: string };
  /** Silence bound; the whole request (upload and answer) ends by twice this, inside the outbox's lease. */
  timeoutMs: number;
  /** For https: CA, client certificate and key (PEM), rejectUnauthorized. */
  tls?: ConnectionOptions;
  /** Where this destination is configured, named in advice. */
  settingsKey?: string;
}

export type StowOutcome = { ok: true; status: number; elapsedMs: number; warning?: string } | { ok: false; status?: number; elapsedMs: number; message: string };

const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';

type JsonDataset = Record<string, { vr?: string; Value?: unknown[] }>;

function uidsIn(response: JsonDataset, sequence: string): Array<{ uid: string; reason?: number }> {
  const items = (response[sequence]?.Value ?? []) as JsonDataset[];
  return items.map((i) => ({ uid: String(i[REFERENCED_SOP_INSTANCE_UID]?.Value?.[0] ?? ''), reason: i[FAILURE_REASON]?.Value?.[0] as number | undefined }));
}

/** The store URL of a base URL: <base>/studies, without doubled slashes. */
export function studiesUrl(base: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/studies`;
  return u;
}

export function stowRs(target: StowTarget, objects: readonly Buffer[]): Promise<StowOutcome> {
  const started = Date.now();
  const url = studiesUrl(target.url);
  const where = `${url.origin}${url.pathname}`;
  const uids = objects.map((o) => readFileMeta(o).sopInstanceUid);
  const { contentType, body } = writeDicomMultipart(objects);
  const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': body.length, accept: 'application/dicom+json' };
  if (target.auth && 'bearer' in target.auth) headers.authorization = `Bearer ${target.auth.bearer}`;
  else if (target.auth) headers.authorization = `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`).toString('base64')}`;
  const key = target.settingsKey ?? 'destinations.dicomweb[]';

  return new Promise((resolve) => {
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    const finish = (o: { ok: true; status: number; warning?: string } | { ok: false; status?: number; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...o, elapsedMs: Date.now() - started } as StowOutcome);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', headers, timeout: target.timeoutMs, ...(url.protocol === 'https:' ? target.tls : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        // A store response is small; an endless one is cut off.
        if ((size += c.length) <= 1 << 20) chunks.push(c);
      });
      res.on('error', (e) => finish({ ok: false, message: `${where}: the response broke off: ${e.message}.` }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        if (status === 401 || status === 403) {
          return finish({ ok: false, status, message: `${where} answered ${status} ${res.statusMessage ?? ''}: not authorised; check ${key}.bearerToken or username/password.` });
        }
        let json: JsonDataset | undefined;
        try {
          json = text ? (JSON.parse(text) as JsonDataset) : undefined;
        } catch {
          json = undefined;
        }
        const failed = json ? uidsIn(json, FAILED_SOP_SEQUENCE).filter((f) => uids.includes(f.uid)) : [];
        if (failed.length > 0) {
          const reasons = failed.map((f) => `${f.uid}${f.reason !== undefined ? ` (failure reason 0x${f.reason.toString(16).toUpperCase()})` : ''}`).join(', ');
          return finish({ ok: false, status, message: `${where} refused ${failed.length} of ${uids.length} object(s): ${reasons}.` });
        }
        if (status === 200 || status === 202) {
          const stored = json ? new Set(uidsIn(json, REFERENCED_SOP_SEQUENCE).map((r) => r.uid)) : new Set<string>();
          const missing = uids.filter((u) => !stored.has(u));
          // 200 without a response body: the archive says stored; trust the status.
          if (missing.length > 0 && json) return finish({ ok: false, status, message: `${where} answered ${status} but does not list ${missing.join(', ')} as stored.` });
          return finish({ ok: true, status, ...(status === 202 ? { warning: `${where} stored with warnings (202)` } : {}) });
        }
        finish({ ok: false, status, message: `${where} answered ${status} ${res.statusMessage ?? ''}${text ? `: ${text.slice(0, 200)}` : ''}.` });
      });
    });
    // The socket timeout bounds silence only: an archive that answers a byte now and then would
    // hold the delivery past the outbox's lease, and another sender would deliver the row again.
    deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, message: `${where} had not answered the store request after ${(2 * target.timeoutMs) / 1000} s; it was stopped. Check the archive's load and the network.` });
    }, 2 * target.timeoutMs);
    req.on('timeout', () => {
      req.destroy();
      finish({ ok: false, message: `no answer from ${where} within ${target.timeoutMs / 1000} s. Check the URL, firewall, and that the archive is running.` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const hint =
        e.code === 'ECONNREFUSED'
          ? 'connection refused: is the archive running and the port right?'
          : e.code === 'ENOTFOUND'
            ? `host ${url.hostname} not found`
            : /certificate|SSL|TLS/i.test(e.message)
              ? `TLS failed (${e.message}); check ${key}.tls.caFile`
              : e.message;
      finish({ ok: false, message: `cannot reach ${where}: ${hint}.` });
    });
    req.end(body);
  });
}
