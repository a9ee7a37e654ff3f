/**
 * MLLP client: frames one HL7 message (VT … FS CR), sends it, and waits for the ACK within a
 * timeout. AA (or CA) = delivered; AE/AR/CE/CR, a wrong ACK, a timeout or a network error = not
 * delivered, with a sentence saying why (the outbox retries).
 */
import { connect as netConnect, isIP, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions } from 'node:tls';
import { connectionContext, describeTlsFailure, handshakeTimeout, plainToTlsHint } from '../net/tlsFailures';
import { errorText } from '../ops/errorText';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;
/** First byte of a TLS alert record: what a TLS-only peer may answer to plain bytes. */
const TLS_ALERT = 0x15;

export interface MllpTarget {
  host: string;
  port: number;
  ackTimeoutMs: number;
  connectTimeoutMs?: number;
  /** Node TLS options (ca/cert/key as PEM, rejectUnauthorized); absent = plain TCP. */
  tls?: ConnectionOptions;
  /** Where this destination is configured (e.g. `destinations.hl7[0]`), named in TLS advice. */
  settingsKey?: string;
}

export type MllpOutcome =
  | { ok: true; ackCode: string; ack: string; elapsedMs: number }
  | { ok: false; ackCode?: string; ack?: string; message: string; elapsedMs: number };

export function frame(message: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(message, 'utf8'), Buffer.from([FS, CR])]);
}

export interface ParsedAck {
  code: string;
  controlId: string;
  text: string;
  error: string;
}

/** Reads MSA (and ERR) of an ACK; the field separator is MSH-1. */
export function parseAck(ack: string): ParsedAck | undefined {
  const segments = ack.split(/\r\n|\r|\n/).filter(Boolean);
  const msh = segments.find((s) => s.startsWith('MSH'));
  const sep = msh ? msh[3] : '|';
  const msa = segments.find((s) => s.startsWith(`MSA${sep}`));
  if (!msa) return undefined;
  const f = msa.split(sep);
  const err = segments.find((s) => s.startsWith(`ERR${sep}`));
  return { code: f[1] ?? '', controlId: f[2] ?? '', text: f[3] ?? '', error: err ? err.split(sep).slice(1).join(' ').trim() : '' };
}

function controlIdOf(message: string): string {
  const msh = message.split('\r')[0];
  return msh.split(msh[3] ?? '|')[9] ?? '';
}

export function sendMllp(target: MllpTarget, message: string): Promise<MllpOutcome> {
  const started = Date.now();
  const where = `${target.host}:${target.port}`;
  const expectedId = controlIdOf(message);
  const connection = connectionContext(where, target.host, target.settingsKey ?? 'destinations.hl7[]', target.tls);
  return new Promise((resolve) => {
    let settled = false;
    let received = Buffer.alloc(0);
    let socket: Socket | undefined;
    const finish = (outcome: { ok: true; ackCode: string; ack: string } | { ok: false; ackCode?: string; ack?: string; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.removeAllListeners('data');
      socket?.destroy();
      resolve({ ...outcome, elapsedMs: Date.now() - started } as MllpOutcome);
    };
    const timer = setTimeout(() => {
      const message =
        connection.tls && !connection.handshakeDone
          ? handshakeTimeout(connection, target.ackTimeoutMs / 1000)
          : `no ACK from ${where} within ${target.ackTimeoutMs / 1000} s (the peer may be down, slow, or not speaking MLLP).`;
      finish({ ok: false, message });
    }, target.ackTimeoutMs);
    const onConnect = () => {
      connection.handshakeDone = connection.tls;
      socket?.setNoDelay(true);
      socket?.write(frame(message));
    };
    try {
      // SNI carries host names only (RFC 6066); the certificate is still checked against an IP address.
      socket = target.tls
        ? tlsConnect({ host: target.host, port: target.port, ...(isIP(target.host) ? {} : { servername: target.host }), ...target.tls }, onConnect)
        : netConnect({ host: target.host, port: target.port }, onConnect);
    } catch (e) {
      // Node refuses unusable TLS material (a key that does not match its certificate ...) before connecting.
      return finish({ ok: false, message: `cannot connect to ${where}: ${errorText(e)}; check ${connection.settingsKey}.tls.` });
    }
    socket.on('data', (chunk: Buffer) => {
      if (!connection.tls && received.length === 0 && chunk[0] === TLS_ALERT && chunk[1] === 3) {
        return finish({ ok: false, message: describeTlsFailure('Unknown PDU type: 21', connection) as string });
      }
      received = Buffer.concat([received, chunk]);
      const start = received.indexOf(VT);
      const end = received.indexOf(Buffer.from([FS, CR]), start + 1);
      if (start < 0 || end < 0) return;
      const ack = received.subarray(start + 1, end).toString('utf8');
      const parsed = parseAck(ack);
      if (!parsed) return finish({ ok: false, ack, message: `${where} answered without an MSA segment: not an HL7 ACK.` });
      if (parsed.controlId !== expectedId) {
        return finish({ ok: false, ackCode: parsed.code, ack, message: `${where} acknowledged message "${parsed.controlId}", not ours ("${expectedId}").` });
      }
      if (parsed.code === 'AA' || parsed.code === 'CA') return finish({ ok: true, ackCode: parsed.code, ack });
      const detail = [parsed.text, parsed.error].filter(Boolean).join('; ');
      const meaning = parsed.code.endsWith('R') ? 'rejected the message' : 'did not accept the message (application error)';
      finish({ ok: false, ackCode: parsed.code, ack, message: `${where} answered ${parsed.code}: it ${meaning}${detail ? ': ' + detail : ''}.` });
    });
    socket.on('error', (e: Error & { code?: string }) => {
      const tlsMessage = describeTlsFailure(e.message, connection);
      if (tlsMessage) return finish({ ok: false, message: tlsMessage });
      const code = e.code ?? '';
      const message =
        code === 'ECONNREFUSED'
          ? `connection refused by ${where}: nothing listens there. Check the host and port, and that the HL7 receiver is running.`
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `host "${target.host}" cannot be resolved. Check the host name or use an IP address.`
            : code === 'ECONNRESET'
              ? `${where} closed the connection abruptly (a TLS or protocol mismatch, or the peer crashed).${plainToTlsHint(connection)}`
              : `network error talking to ${where}: ${e.message}`;
      finish({ ok: false, message });
    });
    socket.on('close', () => {
      const answered = received.length > 0;
      // A TLS 1.3 server checks the client certificate after our side of the handshake is done; some
      // (Python's asyncio) then just close, without an alert that would say why.
      const certificateHint = !connection.tls || answered
        ? ''
        : connection.clientCertificate
          ? ` It may have refused our client certificate (${connection.settingsKey}.tls.certFile); see the peer's log.`
          : ` If it requires a client certificate, set ${connection.settingsKey}.tls.certFile and keyFile.`;
      finish({
        ok: false,
        message:
          describeTlsFailure('closed', connection) ??
          `${where} closed the connection before acknowledging the message.${answered ? '' : plainToTlsHint(connection)}${certificateHint}`,
      });
    });
  });
}
