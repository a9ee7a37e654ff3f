/**
 * One request on one association to a DICOM peer (C-STORE, C-MOVE …), with every way it can go
 * wrong turned into a sentence an admin can act on: rejected association, refused presentation
 * context, abort, network and TLS errors, a peer that closes or stays silent. The caller decides
 * what the peer's responses mean (`onResponse` settles the outcome, or leaves it open for
 * pending responses).
 */
import { Client, requests } from 'dcmjs-dimse';
import type { ConnectionOptions } from 'node:tls';
import { describeAbort, describeNetworkError, describeReject, RejectInfo } from './associationErrors';
import { destroyClientSocket, onClientTlsHandshake, setClientNoDelay } from './clientSocket';
import { connectionContext, describeTlsFailure, handshakeTimeout, plainToTlsHint } from '../net/tlsFailures';
import { quietDicomLibraries } from './quietLibraries';
import { errorText } from '../ops/errorText';

export interface ScuTarget {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  timeoutMs: number;
  /** Node TLS options (ca/cert/key as PEM, rejectUnauthorized); absent = plain TCP. */
  tls?: ConnectionOptions;
  /** Where this peer is configured (e.g. `destinations.dicom[0]`), named in TLS advice. */
  settingsKey?: string;
}

export type ScuOutcome<T> = { ok: true; elapsedMs: number } & T;
export type ScuFailure = { ok: false; status?: number; elapsedMs: number; message: string };

type Settle<T> = (outcome: ({ ok: true } & T) | { ok: false; status?: number; message: string }) => void;

export interface ScuExchange<T> {
  request: InstanceType<typeof requests.CStoreRequest> | InstanceType<typeof requests.CMoveRequest> | InstanceType<typeof requests.CGetRequest>;
  /** The DIMSE operation, for messages ("C-STORE", "C-MOVE"). */
  operation: string;
  /** What the request is, for "accepted the association but not …" (e.g. "SOP class 1.2.…"). */
  what: string;
  /** Each response of the peer; call `settle` to finish (a pending response may leave it open). */
  onResponse(response: unknown, settle: Settle<T>, who: string): void;
  /** The peer is silent for this long → failure; every response restarts the clock (long C-MOVEs answer pending). */
  idleTimeoutMs?: number;
  /** The whole exchange ends by then, however lively the peer (a retrieval that never finishes). */
  maxDurationMs?: number;
  /** Default settings key for TLS advice. */
  settingsKey: string;
  /** Called with the client before it connects (e.g. to take the C-STORE sub-operations of a C-GET). */
  onClient?(client: Client, keepAlive: () => void, settle: Settle<T>, who: string): void;
}

export function scuRequest<T>(target: ScuTarget, exchange: ScuExchange<T>): Promise<ScuOutcome<T> | ScuFailure> {
  quietDicomLibraries();
  const started = Date.now();
  const { host, port, calledAeTitle, callingAeTitle, timeoutMs } = target;
  const who = `${calledAeTitle}@${host}:${port}`;
  const connection = connectionContext(who, host, target.settingsKey ?? exchange.settingsKey, target.tls);
  const idleMs = exchange.idleTimeoutMs ?? timeoutMs;
  return new Promise((resolve) => {
    let settled = false;
    const client = new Client();
    let timer: NodeJS.Timeout;
    let deadline: NodeJS.Timeout | undefined;
    const finish: Settle<T> = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(deadline);
      if (!outcome.ok) destroyClientSocket(client);
      resolve({ ...outcome, elapsedMs: Date.now() - started } as ScuOutcome<T> | ScuFailure);
    };
    const arm = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        destroyClientSocket(client);
        const message =
          connection.tls && !connection.handshakeDone
            ? handshakeTimeout(connection, ms / 1000)
            : `no answer from ${who} within ${ms / 1000} s. Check the address, firewall, and that the PACS is running.`;
        finish({ ok: false, message });
      }, ms);
    };
    arm(timeoutMs);
    const maxMs = exchange.maxDurationMs;
    if (maxMs !== undefined) {
      deadline = setTimeout(() => finish({ ok: false, message: `${who} had not finished the ${exchange.operation} after ${Math.round(maxMs / 60_000)} min; it was stopped.` }), maxMs);
    }

    const request = exchange.request;
    exchange.onClient?.(client, () => arm(idleMs), finish, who);
    request.on('response', (response: unknown) => {
      arm(idleMs);
      exchange.onResponse(response, finish, who);
    });
    client.addRequest(request);
    client.on('connected', () => {
      setClientNoDelay(client);
      if (connection.tls) onClientTlsHandshake(client, () => (connection.handshakeDone = true));
    });
    let associated = false;
    client.on('associationAccepted', (association: { getAcceptedPresentationContextFromRequest(r: unknown): unknown }) => {
      associated = true;
      arm(idleMs);
      if (!association.getAcceptedPresentationContextFromRequest(request)) {
        finish({ ok: false, message: `${who} accepted the association but not ${exchange.what} (presentation context refused). Configure the PACS to accept it.` });
      }
    });
    client.on('associationRejected', (r: RejectInfo) => finish({ ok: false, message: `${who}: ${describeReject(r, calledAeTitle, callingAeTitle)}` }));
    client.on('networkError', (e: Error) => {
      const tlsMessage = describeTlsFailure(e.message, connection);
      const message = tlsMessage ?? describeNetworkError(e, host, port);
      finish({ ok: false, message: tlsMessage || !/ECONNRESET/.test(e.message) ? message : message + plainToTlsHint(connection) });
    });
    client.on('abort', (a: { source: number; reason: number } | undefined) => finish({ ok: false, message: `${who}: ${describeAbort(a?.source ?? -1, a?.reason ?? -1)}` }));
    client.on('closed', () =>
      finish({
        ok: false,
        message: describeTlsFailure('closed', connection) ?? `${who} closed the connection before answering the ${exchange.operation}.${associated ? '' : plainToTlsHint(connection)}`,
      }),
    );
    const securityOptions = target.tls
      ? { ca: target.tls.ca as string | undefined, cert: target.tls.cert as string | undefined, key: target.tls.key as string | undefined, rejectUnauthorized: target.tls.rejectUnauthorized }
      : undefined;
    try {
      // pduTimeout: a long retrieval is bounded by our idle timer, not by the library's.
      client.send(host, port, callingAeTitle, calledAeTitle, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: Math.max(timeoutMs, idleMs), securityOptions });
    } catch (e) {
      // Node refuses unusable TLS material (a key that does not match its certificate ...) before connecting.
      finish({ ok: false, message: `cannot connect to ${who}: ${errorText(e)}${connection.tls ? `; check ${connection.settingsKey}.tls` : ''}.` });
    }
  });
}
