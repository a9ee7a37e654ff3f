/** The configuration a command runs with: --config FILE, else $CD8_CONFIG, else the defaults; CD8_* overrides. */
import { Config } from '../config/schema';
import { LoadedConfig, LoadOptions, formatIssues, loadConfig } from '../config/load';
import { CommandIo } from './command';

/**
 * Loads it, or prints every error and the way to check it and returns undefined
 * (the command then exits 1). `what` names the command in the message. TLS files are not
 * checked unless asked (serve asks for warnings): they may be readable by the node's user only.
 */
export function commandConfig(
  option: string | undefined,
  io: CommandIo,
  what: string,
  options: LoadOptions = { tlsFiles: 'skip' },
): (LoadedConfig & { config: Config; file: string | null }) | undefined {
  const file = option ?? io.env.CD8_CONFIG ?? null;
  const loaded = loadConfig(file, io.env, options);
  if (!loaded.config) {
    io.err(formatIssues(loaded.issues));
    io.err(`${what}: the configuration has errors; fix them (run "cd8-node config check${file ? ` ${file}` : ''}" to see them all).`);
    return undefined;
  }
  return { ...loaded, config: loaded.config, file };
}
