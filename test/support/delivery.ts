/** An outbox on a temporary database (SQLite in the data directory, or CD8_DATABASE_URL's) with a sender, configured for short test waits. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { Config } from '../../src/config/schema';
import type { Outbox } from '../../src/outbox/outbox';
import { openStorage, Storage } from '../../src/db/storage';
import { DeliverySettings, Sender, startSender } from '../../src/outbox/sender';
import { configuredTransport } from '../../src/outbox/transports';
import { ResultSettings } from '../../src/outbox/plan';
import { DicomPeer } from './dcmtk';
import { startDaemon, waitForPort } from './process';

/** DCMTK storescp on a given port (a PACS that comes back where the configuration says it is). */
export async function startStorescpOn(aeTitle: string, port: number): Promise<DicomPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'storescp-'));
  const daemon = startDaemon('storescp', ['--aetitle', aeTitle, '--output-directory', dir, String(port)]);
  await waitForPort(port);
  return { ...daemon, aeTitle, port, dir };
}

export function defaultConfig(): Config {
  const c = loadConfig(null, {}).config;
  if (!c) throw new Error('the embedded default configuration does not validate');
  return c;
}

export function resultSettings(destinations: Partial<Config['destinations']>, report: Partial<Config['report']> = {}): ResultSettings {
  const c = defaultConfig();
  return { report: { ...c.report, ...report }, hl7: c.hl7, destinations: { dicom: [], hl7: [], ...destinations } };
}

export const dicomDestination = (name: string, aeTitle: string, port: number): Config['destinations']['dicom'][number] => ({
  name,
  aeTitle,
  host: '127.0.0.1',
  port,
  callingAeTitle: null,
  tls: { enabled: false, caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true },
});

export const hl7Destination = (name: string, port: number): Config['destinations']['hl7'][number] => ({
  name,
  host: '127.0.0.1',
  port,
  receivingApplication: 'RIS',
  receivingFacility: 'HOSPITAL',
  tls: { enabled: false, caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true },
});

/** Short waits so that retries happen within seconds (the config's minimum is 1 s). */
export const FAST: DeliverySettings = { maxAttempts: 20, initialBackoffMs: 300, maxBackoffMs: 1500, leaseMs: 30000, pollIntervalMs: 200 };

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'cd8-outbox-'));
}

/** The node's storage in a data directory: SQLite there, or a database URL (PostgreSQL) when given. */
export function openTestStorage(dataDir: string, url = ''): Promise<Storage> {
  return openStorage({ url, dataDir });
}

export interface RunningSender {
  storage: Storage;
  outbox: Outbox;
  sender: Sender;
  /** Stops the sender and closes the database, as a process exit would. */
  shutdown(): Promise<void>;
}

export async function runSender(dataDir: string, destinations: ResultSettings['destinations'], settings: DeliverySettings = FAST, url = ''): Promise<RunningSender> {
  const storage = await openTestStorage(dataDir, url);
  const outbox = storage.outbox;
  const sender = startSender({
    outbox,
    transport: configuredTransport({ destinations, callingAeTitle: 'CD8NODE', dicomTimeoutMs: 10000, ackTimeoutMs: 5000 }),
    settings,
  });
  return {
    storage,
    outbox,
    sender,
    async shutdown() {
      await sender.stop();
      await storage.close();
    },
  };
}
