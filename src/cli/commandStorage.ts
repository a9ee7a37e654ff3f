/**
 * The node's storage, read-only, for a command that reads what the node stored (status, export):
 * the embedded SQLite index or the shared PostgreSQL database, as database.url says.
 */
import { resolve } from 'node:path';
import { CommandIo } from './command';
import { commandConfig } from './commandConfig';
import { DatabaseMissingError } from '../db/sqlite';
import { openStorage, Storage, StorageUnavailableError } from '../db/storage';
import { errorText } from '../ops/errorText';

/** Opens the configuration's storage, or prints why not and returns undefined (exit 1). */
export async function commandStorage(option: string | undefined, io: CommandIo, what: string): Promise<{ storage: Storage; dataDir: string } | undefined> {
  const loaded = commandConfig(option, io, what);
  if (!loaded) return undefined;
  const dataDir = resolve(loaded.config.storage.dataDir);
  try {
    return { storage: await openStorage({ url: loaded.config.database.url, dataDir, readOnly: true }), dataDir };
  } catch (e) {
    if (e instanceof DatabaseMissingError || e instanceof StorageUnavailableError) {
      io.err(`${what}: ${e.message}`);
      return undefined;
    }
    if (/no such table/.test(errorText(e))) {
      io.err(`${what}: the index in ${dataDir} has no study tables yet; the node has not finished its first start there.`);
      return undefined;
    }
    throw e;
  }
}
