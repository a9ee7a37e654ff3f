/** DCMTK peers for tests: storescp (a store SCP that accepts any called AE) and dcmqrscp (one that checks it). */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, freePort, run, startDaemon, waitForPort } from './process';

export interface DicomPeer extends Daemon {
  aeTitle: string;
  port: number;
  dir: string;
}

/** DCMTK storescp writing what it receives into a fresh directory. */
export async function startStorescp(aeTitle = 'STORESCP', extraArgs: string[] = []): Promise<DicomPeer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'storescp-'));
  const daemon = startDaemon('storescp', ['--aetitle', aeTitle, '--output-directory', dir, ...extraArgs, String(port)]);
  await waitForPort(port);
  return { ...daemon, aeTitle, port, dir };
}

/** DCMTK dcmqrscp: unlike storescp it rejects associations whose called AE title it does not know. */
export async function startDcmqrscp(aeTitle = 'QRSCP'): Promise<DicomPeer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dcmqrscp-'));
  const cfg = join(dir, 'dcmqrscp.cfg');
  writeFileSync(
    cfg,
    [
      `NetworkTCPPort = ${port}`,
      'MaxPDUSize = 16384',
      'MaxAssociations = 16',
      'HostTable BEGIN',
      'HostTable END',
      'VendorTable BEGIN',
      'VendorTable END',
      'AETable BEGIN',
      `${aeTitle} ${dir} RW (10, 1024mb) ANY`,
      'AETable END',
      '',
    ].join('\n'),
  );
  const daemon = startDaemon('dcmqrscp', ['-c', cfg]);
  await waitForPort(port);
  return { ...daemon, aeTitle, port, dir };
}

/** The Study Instance UID of the first file (by name) in a directory, read by dcmdump. */
export async function studyUidIn(dir: string): Promise<string> {
  const file = join(dir, readdirSync(dir).sort()[0]);
  const dump = await run('dcmdump', ['+P', 'StudyInstanceUID', file]);
  const m = /\[([0-9.]+)\]/.exec(dump.stdout);
  if (!m) throw new Error(`no Study Instance UID in ${file}: ${dump.stdout}${dump.stderr}`);
  return m[1];
}
