/** The node's index, read-only, for a command that reads what the node stored (status, export). */
import { resolve } from 'node:path';
import { CommandIo } from './command';
import { commandConfig } from './commandConfig';
import { DatabaseMissingError, openIndexDatabaseReadOnly, SqliteDatabase } from '../store/database';

/** Opens storage.dataDir's index of the configuration, or prints why not and returns undefined (exit 1). */
export function commandIndex(option: string | undefined, io: CommandIo, what: string): { db: SqliteDatabase; dataDir: string } | undefined {
  const loaded = commandConfig(option, io, what);
  if (!loaded) return undefined;
  const dataDir = resolve(loaded.config.storage.dataDir);
  try {
    return { db: openIndexDatabaseReadOnly(dataDir), dataDir };
  } catch (e) {
    if (e instanceof DatabaseMissingError) {
      io.err(`${what}: ${e.message}`);
      return undefined;
    }
    throw e;
  }
}
