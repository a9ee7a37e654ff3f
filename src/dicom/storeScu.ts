/**
 * C-STORE SCU: sends one Part 10 object to a DICOM peer and reports the outcome in words.
 * Success and warning statuses mean delivered; everything else (reject, abort, refused
 * presentation context, failure status, timeout, network error) is not.
 */
import { Client, Dataset, requests } from 'dcmjs-dimse';
import type { ConnectionOptions } from 'node:tls';
import { describeAbort, describeNetworkError, describeReject, RejectInfo } from './associationErrors';
import { destroyClientSocket, onClientTlsHandshake, setClientNoDelay } from './clientSocket';
import { connectionContext, describeTlsFailure, handshakeTimeout, plainToTlsHint } from '../net/tlsFailures';
import { quietDicomLibraries } from './quietLibraries';
import { readFileMeta, readPart10 } from './part10';
import { DimseStatus, describeStoreFailure, statusHex } from './status';
import { errorText } from '../ops/errorText';

export interface StoreTarget {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  timeoutMs: number;
  /** Node TLS options (ca/cert/key as PEM, rejectUnauthorized); absent = plain TCP. */
  tls?: ConnectionOptions;
  /** Where this destination is configured (e.g. `destinations.dicom[0]`), named in TLS advice. */
  settingsKey?: string;
}

export type StoreOutcome =
  | { ok: true; status: number; elapsedMs: number; warning?: string }
  | { ok: false; status?: number; elapsedMs: number; message: string };

/**
 * A Part 10 file's dataset sent as the bytes it was written with. dcmjs-dimse would decode the
 * file into elements and encode them again, which for an SR's deep content tree costs 0.2–0.5 s of
 * CPU (most of the delivery time); the bytes are the same. Only when the peer accepts another
 * transfer syntax than the file's are the elements decoded, for dcmjs-dimse to transcode them.
 */
class StoredDataset extends Dataset {
  private readonly datasetOffset: number;
  private decoded: Record<string, unknown> | undefined;

  constructor(private readonly part10: Buffer) {
    const meta = readFileMeta(part10);
    super({ SOPClassUID: meta.sopClassUid, SOPInstanceUID: meta.sopInstanceUid }, meta.transferSyntaxUid);
    this.datasetOffset = meta.datasetOffset;
  }

  override getElements(): Record<string, unknown> {
    this.decoded ??= readPart10(this.part10).dataset;
    return this.decoded;
  }

  override getDenaturalizedDataset(): Buffer {
    return this.part10.subarray(this.datasetOffset);
  }
}

export function cStore(target: StoreTarget, part10: Buffer): Promise<StoreOutcome> {
  quietDicomLibraries();
  const started = Date.now();
  const { host, port, calledAeTitle, callingAeTitle, timeoutMs } = target;
  const who = `${calledAeTitle}@${host}:${port}`;
  const dataset = new StoredDataset(part10);
  const sopClassUid = String(dataset.getElement('SOPClassUID'));
  const connection = connectionContext(who, host, target.settingsKey ?? 'destinations.dicom[]', target.tls);
  return new Promise((resolve) => {
    let settled = false;
    const client = new Client();
    const finish = (outcome: { ok: true; status: number; warning?: string } | { ok: false; status?: number; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!outcome.ok) destroyClientSocket(client);
      resolve({ ...outcome, elapsedMs: Date.now() - started } as StoreOutcome);
    };
    const timer = setTimeout(() => {
      destroyClientSocket(client);
      const message =
        connection.tls && !connection.handshakeDone
          ? handshakeTimeout(connection, timeoutMs / 1000)
          : `no answer from ${who} within ${timeoutMs / 1000} s. Check the address, firewall, and that the PACS is running.`;
      finish({ ok: false, message });
    }, timeoutMs);

    const request = new requests.CStoreRequest(dataset);
    request.on('response', (response: { getStatus(): number; getErrorComment?(): string | undefined }) => {
      const status = response.getStatus();
      if (status === DimseStatus.Success) return finish({ ok: true, status });
      if ((status & 0xf000) === 0xb000) return finish({ ok: true, status, warning: `${who} stored it with warning status ${statusHex(status)}` });
      const comment = response.getErrorComment?.();
      finish({ ok: false, status, message: `${who}: ${describeStoreFailure(status)}${comment ? ` ("${comment}")` : ''}.` });
    });
    client.addRequest(request);
    client.on('connected', () => {
      setClientNoDelay(client);
      if (connection.tls) onClientTlsHandshake(client, () => (connection.handshakeDone = true));
    });
    let associated = false;
    client.on('associationAccepted', (association: { getAcceptedPresentationContextFromRequest(r: unknown): unknown }) => {
      associated = true;
      if (!association.getAcceptedPresentationContextFromRequest(request)) {
        finish({ ok: false, message: `${who} accepted the association but not SOP class ${sopClassUid} (presentation context refused). Configure the PACS to accept it.` });
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
        message:
          describeTlsFailure('closed', connection) ?? `${who} closed the connection before answering the C-STORE.${associated ? '' : plainToTlsHint(connection)}`,
      }),
    );
    const securityOptions = target.tls
      ? { ca: target.tls.ca as string | undefined, cert: target.tls.cert as string | undefined, key: target.tls.key as string | undefined, rejectUnauthorized: target.tls.rejectUnauthorized }
      : undefined;
    try {
      client.send(host, port, callingAeTitle, calledAeTitle, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs, securityOptions });
    } catch (e) {
      // Node refuses unusable TLS material (a key that does not match its certificate ...) before connecting.
      finish({ ok: false, message: `cannot connect to ${who}: ${errorText(e)}${connection.tls ? `; check ${connection.settingsKey}.tls` : ''}.` });
    }
  });
}
