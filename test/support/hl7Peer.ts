/** Starts the python-hl7 MLLP receiver (hl7_peer.py) and reads what it received. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, startDaemon, waitFor } from './process';
import { SYSTEM_PYTHON } from './hl7';

export interface ReceivedHl7 {
  control_id: string;
  ack: 'AA' | 'AE';
  message: string;
}

export interface Hl7Peer extends Daemon {
  port: number;
  received(): ReceivedHl7[];
}

export interface Hl7PeerTls {
  certFile: string;
  keyFile: string;
  /** Demand a client certificate issued by this CA (mutual TLS). */
  clientCaFile?: string;
}

export async function startHl7Peer(options: { aeFirst?: number; port?: number; tls?: Hl7PeerTls } = {}): Promise<Hl7Peer> {
  const log = join(mkdtempSync(join(tmpdir(), 'hl7peer-')), 'received.jsonl');
  const { tls } = options;
  const args = [
    join(__dirname, 'hl7_peer.py'),
    log,
    ...(options.aeFirst ? ['--ae-first', String(options.aeFirst)] : []),
    ...(options.port ? ['--port', String(options.port)] : []),
    ...(tls ? ['--tls', tls.certFile, tls.keyFile, ...(tls.clientCaFile ? ['--require-client-cert', tls.clientCaFile] : [])] : []),
  ];
  const daemon = startDaemon(SYSTEM_PYTHON, args);
  const port = await waitFor('the HL7 peer to listen', () => {
    const m = /LISTENING (\d+)/.exec(daemon.output());
    if (daemon.child.exitCode !== null) throw new Error(`hl7_peer.py exited: ${daemon.output()}`);
    return m ? Number(m[1]) : undefined;
  });
  return {
    ...daemon,
    port,
    received: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as ReceivedHl7)
        : [],
  };
}
