/**
 * The audit trail: one JSON line per security-relevant event (who connected, what was received,
 * sent or rejected), appended to a file that is only ever appended to. Events carry identifiers
 * and outcomes only: the type below has no field that could hold pixel data or patient names.
 */
import { appendFileSync, mkdirSync, openSync, closeSync, fsyncSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorText } from './errorText';

export type AuditEventName =
  | 'node.started'
  | 'node.stopped'
  | 'association.accepted'
  | 'association.rejected'
  | 'association.released'
  | 'association.aborted'
  | 'context.refused'
  | 'echo.received'
  | 'instance.stored'
  | 'instance.duplicate'
  | 'instance.replaced'
  | 'instance.rejected'
  | 'study.waiting'
  | 'retrieval.done'
  | 'retrieval.failed'
  | 'study.ready'
  | 'study.processed'
  | 'study.failed'
  | 'result.queued'
  | 'result.sent'
  | 'result.failed'
  | 'retention.deleted'
  | 'console.login'
  | 'console.login-failed'
  | 'console.logout'
  | 'console.action'
  | 'console.denied';

export interface AuditEvent {
  event: AuditEventName;
  /** Remote address:port of the peer, where there is one. */
  peer?: string;
  callingAeTitle?: string;
  calledAeTitle?: string;
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  transferSyntaxUid?: string;
  destination?: string;
  status?: string;
  reason?: string;
  count?: number;
  bytes?: number;
  /** Console role of the person acting (viewer, admin). */
  role?: string;
  /** Console action, e.g. "resend", "retry", "echo". */
  action?: string;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  close(): void;
}

/** Where log.auditFile lives: a relative name is taken from the data directory, an absolute path as given. */
export function auditFilePath(dataDir: string, auditFile: string): string {
  return resolve(dataDir, auditFile);
}

/** The audit trail in a file; `reopen()` lets logrotate move the file away (SIGHUP to `serve`). */
export interface FileAuditLog extends AuditLog {
  readonly path: string;
  /**
   * Opens the path again (a new file if logrotate moved the old one), then flushes and closes the
   * old descriptor. When the path cannot be opened, the log keeps appending to the file it had
   * and the error is thrown for the caller to report: no event is lost either way. Returns a
   * warning when the old file could not be flushed or closed (the new one is in use regardless).
   * Does nothing once the log is closed.
   */
  reopen(): { warning?: string };
}

/**
 * Appends synchronously: an audit line must not be lost in a buffer when the process is killed,
 * and events are few (per association and per instance), so the cost is small.
 */
export function openAuditLog(path: string): FileAuditLog {
  const open = () => {
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'a', 0o640);
  };
  let fd = open();
  let closed = false;
  const flushAndClose = (descriptor: number) => {
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  };
  return {
    path,
    record(event: AuditEvent): void {
      const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n';
      appendFileSync(fd, line);
    },
    reopen(): { warning?: string } {
      if (closed) return {};
      const next = open();
      const previous = fd;
      fd = next;
      try {
        flushAndClose(previous);
        return {};
      } catch (e) {
        return { warning: `the previous audit file could not be flushed or closed: ${errorText(e)}` };
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      flushAndClose(fd);
    },
  };
}

/** An audit log that keeps events in memory (for offline CLI runs and tests of callers). */
export function memoryAuditLog(): AuditLog & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (e) => events.push({ ...e }), close: () => undefined };
}
