/**
 * Searching the audit trail for the console: the newest events of the audit file that match a
 * date, an AE title and a study. Reads at most the last MAX_BYTES of the file (rotated files are
 * for grep), and returns at most `limit` events.
 */
import { open } from 'node:fs/promises';
import type { AuditEvent } from './audit';

export const AUDIT_SEARCH_MAX_BYTES = 16 * 1024 * 1024;
export const AUDIT_SEARCH_MAX_RESULTS = 1000;

export type AuditLine = AuditEvent & { time: string };

export interface AuditFilter {
  /** YYYY-MM-DD (UTC day of the event's time). */
  date?: string;
  /** Calling or called AE title, case-insensitive substring. */
  aeTitle?: string;
  /** Study Instance UID, exact or prefix. */
  study?: string;
  limit?: number;
}

export interface AuditSearchResult {
  events: AuditLine[];
  /** True when the file is longer than what was read. */
  truncated: boolean;
  /** True when more events matched than the limit. */
  more: boolean;
}

async function tail(path: string, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', truncated: false };
    throw e;
  }
  try {
    const size = (await fh.stat()).size;
    const length = Math.min(size, maxBytes);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    let text = buf.toString('utf8');
    // Cut the first, probably partial, line when the read began inside the file.
    if (length < size) text = text.slice(text.indexOf('\n') + 1);
    return { text, truncated: length < size };
  } finally {
    await fh.close();
  }
}

export async function searchAuditTrail(path: string, filter: AuditFilter, maxBytes = AUDIT_SEARCH_MAX_BYTES): Promise<AuditSearchResult> {
  const limit = Math.min(filter.limit ?? 200, AUDIT_SEARCH_MAX_RESULTS);
  const { text, truncated } = await tail(path, maxBytes);
  const ae = filter.aeTitle?.trim().toUpperCase();
  const events: AuditLine[] = [];
  let more = false;
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line.startsWith('{')) continue;
    let e: AuditLine;
    try {
      e = JSON.parse(line) as AuditLine;
    } catch {
      continue;
    }
    if (filter.date && !String(e.time).startsWith(filter.date)) continue;
    if (ae && !`${e.callingAeTitle ?? ''} ${e.calledAeTitle ?? ''}`.toUpperCase().includes(ae)) continue;
    if (filter.study && !(e.studyInstanceUid ?? '').startsWith(filter.study)) continue;
    if (events.length === limit) {
      more = true;
      break;
    }
    events.push(e);
  }
  return { events, truncated, more };
}
