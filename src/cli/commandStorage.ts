/**
 * The node's storage, read-only, for a command that reads what the node stored (status, export):
 * the embedded SQLite index or the shared PostgreSQL database, as database.url says.
 */
import { join, resolve } from 'node:path';
import { CommandIo } from './command';
import { commandConfig } from './commandConfig';
import { DatabaseMissingError } from '../db/sqlite';
import { openStorage, Storage, StorageUnavailableError } from '../db/storage';
import { errorText } from '../ops/errorText';
import { ID_HASH_KEY_FILE, IdHasher, idHasher, IdHashKeyError, loadIdHashKey } from '../ops/idHash';

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

/**
 * The installation's Patient ID hasher for a command that prints hashed IDs (status, exports), so
 * they match the node's logs and console; made here if the node never started on `dataDir` (it
 * then finds the same key). Prints why not and returns undefined (exit 1) when it cannot be read.
 */
export function commandIdHasher(dataDir: string, io: CommandIo, what: string): IdHasher | undefined {
  try {
    return idHasher(loadIdHashKey(dataDir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const path = join(dataDir, ID_HASH_KEY_FILE);
    if (code === 'EACCES' || code === 'EPERM') io.err(`${what}: cannot read ${path} (the key of hashed Patient IDs, mode 0600): run the command as the user the node runs as.`);
    else io.err(`${what}: ${e instanceof IdHashKeyError ? e.message : `cannot read or create ${path}: ${errorText(e)}`}`);
    return undefined;
  }
}
