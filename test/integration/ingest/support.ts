/**
 * Helpers for the ingest tests: a node started in this process (so a test can watch its events
 * and its index), DCMTK storescu runs, fixtures derived from ../shared/data, and a raw DICOM
 * association for what no DCMTK tool can do (hold an association open and stay silent).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startNode, RunningNode } from '../../../src/main';
import { validateRaw } from '../../../src/config/load';
import { createLogger } from '../../../src/ops/logger';
import { AuditEvent, memoryAuditLog } from '../../../src/ops/audit';
import { StudyReadyEvent } from '../../../src/study/types';
import { readFileMeta } from '../../../src/dicom/part10';
import { run, RunResult, SHARED } from '../../support/process';
import { associateRq, VERIFICATION } from '../../support/rawScu';

export const PHANTOM = join(SHARED, 'data', 'ibsi-ct-phantom', 'dicom');
export const PHANTOM_CT = join(PHANTOM, 'image');
export const PHANTOM_RTSTRUCT = join(PHANTOM, 'mask', 'DCM_RS_00060.dcm');
export const STS_001 = join(SHARED, 'data', 'sts', 'STS_001', 'CT');

export interface LogLine {
  level: string;
  message: string;
  timestamp: string;
  [key: string]: unknown;
}

export interface IngestNode {
  node: RunningNode;
  port: number;
  dataDir: string;
  audit: AuditEvent[];
  logs: LogLine[];
  /** Ready events with the time (ms) they arrived. */
  ready: Array<StudyReadyEvent & { at: number }>;
  stop(): Promise<void>;
}

export interface NodeSettings {
  dicom?: Record<string, unknown>;
  storage?: Record<string, unknown>;
  study?: Record<string, unknown>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cd8-${prefix}-`));
}

/** Starts the node in this process on a free port with its own data directory (or the one given). */
export async function startIngestNode(settings: NodeSettings = {}, dataDir = tempDir('ingest')): Promise<IngestNode> {
  const loaded = validateRaw(
    {
      dicom: { port: 0, bind: '127.0.0.1', ...settings.dicom },
      storage: { dataDir, minFreeDiskMb: 0, ...settings.storage },
      study: { stableAgeS: 30, ...settings.study },
      http: { port: 0 },
      log: { level: 'debug', format: 'json' },
    },
    {},
    null,
  );
  if (!loaded.config) throw new Error(`test configuration invalid: ${JSON.stringify(loaded.issues)}`);
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const audit = memoryAuditLog();
  const ready: IngestNode['ready'] = [];
  const node = await startNode(loaded.config, {
    logger: createLogger(loaded.config.log, sink),
    audit,
    onStudyReady: (e) => ready.push({ ...e, at: Date.now() }),
    // These tests are about receiving; processing has its own tests (test/integration/node).
    processStudies: false,
  });
  return { node, port: node.dicomPort, dataDir, audit: audit.events, logs, ready, stop: () => node.stop() };
}

export interface StorescuResult extends RunResult {
  /** C-STORE responses with status Success. */
  successes: number;
  /** Files answered Success, in order. */
  stored: string[];
}

/** DCMTK storescu in verbose mode; counts the Success responses per file. */
export async function storescu(port: number, inputs: string[], options: { aet?: string; aec?: string; args?: string[] } = {}): Promise<StorescuResult> {
  const r = await run(
    'storescu',
    ['-v', '-aet', options.aet ?? 'STORESCU', '-aec', options.aec ?? 'CD8NODE', ...(options.args ?? []), '127.0.0.1', String(port), ...inputs],
    { timeoutMs: 120000 },
  );
  return { ...r, ...parseStorescu(r.stdout + r.stderr) };
}

/** Reads storescu -v output: which file was sent, and whether its response was Success. */
export function parseStorescu(output: string): { successes: number; stored: string[] } {
  const stored: string[] = [];
  let current: string | undefined;
  for (const line of output.split('\n')) {
    const sending = /Sending file: (.+)$/.exec(line);
    if (sending) current = sending[1].trim();
    if (/Received Store Response \(Success\)/.test(line) && current) stored.push(current);
  }
  return { successes: stored.length, stored };
}

export function dicomFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? dicomFiles(join(dir, e.name)) : e.name.endsWith('.dcm') ? [join(dir, e.name)] : []));
}

/**
 * Instances begun and not finished: files in spool/tmp/, and files made ahead in spool/.free/
 * that something was written into (an instance is written where its file was made ahead).
 */
export function halfStored(dataDir: string): string[] {
  const tmp = join(dataDir, 'spool', 'tmp');
  const free = join(dataDir, 'spool', '.free');
  return [...readdirSync(tmp).map((n) => join(tmp, n)), ...readdirSync(free).map((n) => join(free, n)).filter((f) => statSync(f).size > 0)];
}

/** The dataset bytes of a Part 10 file (everything after its meta information). */
export function datasetOf(file: string): Buffer {
  const bytes = readFileSync(file);
  return bytes.subarray(readFileMeta(bytes).datasetOffset);
}

export function sopInstanceUidOf(file: string): string {
  return readFileMeta(readFileSync(file)).sopInstanceUid;
}

/** Copies the phantom (60 CT + RTSTRUCT) into a fresh directory. */
export function copyPhantom(): { dir: string; ct: string; rtstruct: string } {
  const dir = tempDir('phantom');
  const ct = join(dir, 'image');
  mkdirSync(ct);
  for (const f of readdirSync(PHANTOM_CT)) copyFileSync(join(PHANTOM_CT, f), join(ct, f));
  mkdirSync(join(dir, 'mask'));
  const rtstruct = join(dir, 'mask', 'DCM_RS_00060.dcm');
  copyFileSync(PHANTOM_RTSTRUCT, rtstruct);
  return { dir, ct, rtstruct };
}

/** Polls until `probe` returns a value (not undefined/false). */
export async function eventually<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An A-ASSOCIATE-RQ proposing Verification (PS3.8 §9.3.2), built by hand. */
export function associateRequest(callingAe: string, calledAe: string): Buffer {
  return associateRq(callingAe, calledAe, [VERIFICATION]);
}

export interface RawPeer {
  socket: Socket;
  /** PDU types received (0x02 accept, 0x03 reject, 0x07 abort, ...). */
  pduTypes: number[];
  /** The PDUs received, whole. */
  pdus: Buffer[];
  closed: Promise<number>;
}

/** A TCP connection to the node (from `localAddress`, e.g. 127.0.0.2 to be another host); optionally sends an association request, then only listens. */
export async function rawPeer(port: number, request?: Buffer, options: { localAddress?: string } = {}): Promise<RawPeer> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: options.localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const pduTypes: number[] = [];
  const pdus: Buffer[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 6 && pending.length >= 6 + pending.readUInt32BE(2)) {
      pduTypes.push(pending.readUInt8(0));
      pdus.push(pending.subarray(0, 6 + pending.readUInt32BE(2)));
      pending = pending.subarray(6 + pending.readUInt32BE(2));
    }
  });
  socket.on('error', () => undefined);
  const opened = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  if (request) socket.write(request);
  return { socket, pduTypes, pdus, closed };
}
