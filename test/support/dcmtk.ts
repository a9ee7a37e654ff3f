/** DCMTK peers for tests: storescp (a store SCP that accepts any called AE) and dcmqrscp (one that checks it). */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, freePort, run, RunResult, startDaemon, waitForPort } from './process';

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

/** What storescu reported for each file it was given. */
export interface StorescuOutcome {
  result: RunResult;
  /** Files it got a Success (or Warning: stored all the same) response for. */
  succeeded: string[];
  /** The others: refused, failed, or never sent because the association ended first. */
  notSucceeded: string[];
}

/**
 * storescu over an explicit list of files (one association), reading its verbose log
 * ("Sending file: …" then "Received Store Response (…)") for the response each file got.
 */
export async function storescuFiles(port: number, files: string[], calledAe = 'CD8NODE'): Promise<StorescuOutcome> {
  const result = await run('storescu', ['-v', '-aec', calledAe, '-to', '30', '127.0.0.1', String(port), ...files], { timeoutMs: 180_000 });
  const ok = new Set<string>();
  let current: string | undefined;
  for (const line of result.stderr.split('\n')) {
    const sending = /^I: Sending file: (.+)$/.exec(line);
    if (sending) current = sending[1];
    else if (current !== undefined && /^I: Received Store Response \((Success|Warning)/.test(line)) ok.add(current);
  }
  return { result, succeeded: files.filter((f) => ok.has(f)), notSucceeded: files.filter((f) => !ok.has(f)) };
}

/** SOP Instance UID of each file, read by one dcmdump. */
export async function sopInstanceUids(files: string[]): Promise<Map<string, string>> {
  const dump = await run('dcmdump', ['-q', '+F', '+P', 'SOPInstanceUID', ...files], { timeoutMs: 120_000 });
  const uids = new Map<string, string>();
  let file: string | undefined;
  for (const line of dump.stdout.split('\n')) {
    const header = /^# dcmdump \(\d+\/\d+\): (.+)$/.exec(line);
    if (header) file = header[1];
    const uid = /^\(0008,0018\) UI \[([0-9.]+)\]/.exec(line);
    if (uid && file !== undefined) uids.set(file, uid[1]);
  }
  if (uids.size !== files.length) throw new Error(`dcmdump read ${uids.size} SOP Instance UIDs from ${files.length} files: ${dump.stderr}`);
  return uids;
}
