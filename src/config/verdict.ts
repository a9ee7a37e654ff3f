/**
 * What `cd8-node config check` and the console's configuration page say about a configuration:
 * every issue (the database it names included), the verdict in one sentence, where each value
 * came from, and the values with secrets and key paths hidden.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Config } from './schema';
import { ConfigIssue } from './schemaKit';
import { ENV_OVERRIDES, loadConfig } from './load';
import { loadSignatureFile } from './signatureFile';
import { checkDatabase } from '../db/storage';
import { redactUrl } from '../db/postgres';

export interface ConfigVerdict {
  /** What was checked: the file, or "embedded defaults". */
  name: string;
  issues: ConfigIssue[];
  ok: boolean;
  /** One sentence, e.g. "config.yaml: valid (with CD8_PORT from the environment), 1 warning." */
  verdict: string;
}

const counts = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The configuration FILE (null: the defaults) with `env` applied, the signature it names, and the database it uses. */
export async function checkConfiguration(file: string | null, env: NodeJS.ProcessEnv): Promise<ConfigVerdict> {
  const loaded = loadConfig(file, env);
  const name = file ?? 'embedded defaults';
  const issues = [...loaded.issues];
  if (loaded.config) {
    // The signature is part of what the node runs on: a broken one must not pass the check.
    issues.push(...loadSignatureFile(loaded.config.score.signature).issues);
    // The database the node would use: reachable, login accepted, privileges, schema not newer than this code.
    const db = await checkDatabase(loaded.config.database.url, resolve(loaded.config.storage.dataDir));
    issues.push(...db.problems.map((message): ConfigIssue => ({ path: 'database.url', message, severity: 'error' })));
  }
  return verdictOf(name, issues, loaded.sources.env);
}

export function verdictOf(name: string, issues: ConfigIssue[], envUsed: string[] = []): ConfigVerdict {
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  if (errors > 0) {
    return { name, issues, ok: false, verdict: `${name}: ${counts(errors, 'error')}, ${counts(warnings, 'warning')}. Fix the errors above; the node will not start with this configuration.` };
  }
  const envNote = envUsed.length > 0 ? ` (with ${envUsed.join(', ')} from the environment)` : '';
  return { name, issues, ok: true, verdict: `${name}: valid${envNote}${warnings > 0 ? `, ${counts(warnings, 'warning')}` : ''}.` };
}

export interface ConfigValueRow {
  path: string;
  /** The value as shown: secrets and key paths replaced by "(hidden)". */
  value: string;
  source: 'default' | 'file' | `environment ${string}`;
}

// The DICOMweb destinations' password and bearer token are secrets held in clear (the node must send them).
const HIDDEN_KEYS = /(passwordHash|tokenSha256|password|bearerToken|keyFile|certFile|caFile)$/;
/** Values that may carry a password in their URL (database.url, a DICOMweb destination's url): shown with the password replaced. */
const URL_KEYS = /(^|\.)url$/;

function leaves(value: unknown, path: string, out: Array<[string, unknown]>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else if (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object')) {
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else out.push([path, value]);
}

function given(raw: unknown, path: string): boolean {
  let node = raw;
  for (const key of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (node === null || typeof node !== 'object' || !(key in (node as object))) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** Every value of the effective configuration with where it came from; secrets and key file paths hidden. */
export function configValueRows(config: Config, file: string | null, env: NodeJS.ProcessEnv): ConfigValueRow[] {
  let raw: unknown = {};
  if (file !== null) {
    try {
      raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
    } catch {
      raw = {};
    }
  }
  const fromEnv = ENV_OVERRIDES.filter((o) => env[o.name] !== undefined && env[o.name] !== '');
  const out: Array<[string, unknown]> = [];
  leaves(config, '', out);
  return out.map(([path, value]): ConfigValueRow => {
    const override = fromEnv.find((o) => path === o.path.join('.') || path.startsWith(`${o.path.join('.')}.`) || path.startsWith(`${o.path.join('.')}[`));
    const source: ConfigValueRow['source'] = override ? `environment ${override.name}` : given(raw, path) ? 'file' : 'default';
    const shown = HIDDEN_KEYS.test(path) && value !== null ? '(hidden)' : typeof value === 'string' && URL_KEYS.test(path) ? redactUrl(value) : Array.isArray(value) ? (value.length === 0 ? '(none)' : value.join(', ')) : value === null ? '(none)' : String(value);
    return { path, value: shown, source };
  });
}
