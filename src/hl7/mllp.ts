/**
 * MLLP client: frames one HL7 message (VT … FS CR), sends it, and waits for the ACK within a
 * timeout. AA (or CA) = delivered; AE/AR/CE/CR, a wrong ACK, a timeout or a network error = not
 * delivered, with a sentence saying why (the outbox retries).
 */
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions } from 'node:tls';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

export interface MllpTarget {
  host: string;
  port: number;
  ackTimeoutMs: number;
  connectTimeoutMs?: number;
  /** Node TLS options (ca/cert/key as PEM, rejectUnauthorized); absent = plain TCP. */
  tls?: ConnectionOptions;
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
  return new Promise((resolve) => {
    let settled = false;
    let received = Buffer.alloc(0);
    let socket: Socket;
    const finish = (outcome: { ok: true; ackCode: string; ack: string } | { ok: false; ackCode?: string; ack?: string; message: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      resolve({ ...outcome, elapsedMs: Date.now() - started } as MllpOutcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, message: `no ACK from ${where} within ${target.ackTimeoutMs / 1000} s (the peer may be down, slow, or not speaking MLLP).` }),
      target.ackTimeoutMs,
    );
    const onConnect = () => {
      socket.setNoDelay(true);
      socket.write(frame(message));
    };
    socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, servername: target.host, ...target.tls }, onConnect)
      : netConnect({ host: target.host, port: target.port }, onConnect);
    socket.on('data', (chunk: Buffer) => {
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
      const code = e.code ?? '';
      const message =
        code === 'ECONNREFUSED'
          ? `connection refused by ${where}: nothing listens there. Check the host and port, and that the HL7 receiver is running.`
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `host "${target.host}" cannot be resolved. Check the host name or use an IP address.`
            : `network error talking to ${where}: ${e.message}`;
      finish({ ok: false, message });
    });
    socket.on('close', () => finish({ ok: false, message: `${where} closed the connection before acknowledging the message.` }));
  });
}
