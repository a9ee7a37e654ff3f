/** C-ECHO SCU: "can we talk to this AE?" */
import { Client, requests, responses } from 'dcmjs-dimse';
import { describeAbort, describeNetworkError, describeReject, RejectInfo } from './associationErrors';
import { quietDicomLibraries } from './quietLibraries';
import { DimseStatus, statusHex } from './status';
import { destroyClientSocket, setClientNoDelay } from './clientSocket';

export interface EchoTarget {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  timeoutMs: number;
}

export type EchoOutcome = { ok: true; elapsedMs: number } | { ok: false; elapsedMs: number; message: string };

/** The outcome in one line, as `cd8-node echo` and the console say it. */
export function echoOutcomeLine(who: string, outcome: EchoOutcome): string {
  return outcome.ok ? `C-ECHO ${who}: Success (${outcome.elapsedMs} ms)` : `C-ECHO ${who} failed: ${outcome.message}`;
}

export function cEcho(target: EchoTarget): Promise<EchoOutcome> {
  quietDicomLibraries();
  const started = Date.now();
  const { host, port, calledAeTitle, callingAeTitle, timeoutMs } = target;
  return new Promise((resolve) => {
    let settled = false;
    const client = new Client();
    const finish = (outcome: { ok: true } | { ok: false; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, elapsedMs: Date.now() - started } as EchoOutcome);
    };
    const timer = setTimeout(() => {
      destroyClientSocket(client);
      finish({ ok: false, message: `no answer from ${calledAeTitle}@${host}:${port} within ${timeoutMs / 1000} s. Check the address, firewall, and that the peer is running.` });
    }, timeoutMs);

    const request = new requests.CEchoRequest();
    request.on('response', (response: InstanceType<typeof responses.CEchoResponse>) => {
      if (response.getStatus() === DimseStatus.Success) finish({ ok: true });
      else finish({ ok: false, message: `the peer answered C-ECHO with status ${statusHex(response.getStatus())}.` });
    });
    client.addRequest(request);
    client.on('connected', () => setClientNoDelay(client));
    client.on('associationRejected', (r: RejectInfo) => finish({ ok: false, message: describeReject(r, calledAeTitle, callingAeTitle) }));
    client.on('networkError', (e: Error) => finish({ ok: false, message: describeNetworkError(e, host, port) }));
    client.on('abort', (a: { source: number; reason: number } | undefined) =>
      finish({ ok: false, message: describeAbort(a?.source ?? -1, a?.reason ?? -1) }),
    );
    client.on('closed', () => finish({ ok: false, message: `${host}:${port} closed the connection before answering the C-ECHO.` }));
    client.send(host, port, callingAeTitle, calledAeTitle, { connectTimeout: timeoutMs, associationTimeout: timeoutMs, pduTimeout: timeoutMs });
  });
}
