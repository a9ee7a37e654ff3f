/**
 * Reads the configuration: YAML (or JSON) file → environment overrides → schema → cross-field rules.
 * Never throws for a problem an admin can fix: every problem comes back as a ConfigIssue with its path.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { Config, configSchema } from './schema';
import { ConfigIssue } from './schemaKit';
import { parseAeAddress, parseHostPort } from './aeTitle';
import { crossFieldIssues } from './rules';
import { listenerTlsIssues, tlsFileIssues } from './tlsChecks';
import { errorText } from '../ops/errorText';

export interface LoadedConfig {
  /** Undefined when there were errors. */
  config: Config | undefined;
  issues: ConfigIssue[];
  /** Where the values came from, for the start-up log. */
  sources: { file: string | null; env: string[] };
}

interface EnvOverride {
  name: string;
  path: string[];
  doc: string;
  parse: (text: string) => unknown;
}

const asNumber = (text: string): unknown => (/^\s*-?\d+(\.\d+)?\s*$/.test(text) ? Number(text) : text);
const asBool = (text: string): unknown => (/^(1|true|yes|on)$/i.test(text) ? true : /^(0|false|no|off)$/i.test(text) ? false : text);
const asList = (text: string): string[] => text.split(',').map((t) => t.trim()).filter((t) => t !== '');

/** Single values an admin (or Docker, or a script) can set without a file. */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'CD8_AE_TITLE', path: ['dicom', 'aeTitle'], doc: 'our AE title', parse: (t) => t },
  { name: 'CD8_PORT', path: ['dicom', 'port'], doc: 'DICOM port', parse: asNumber },
  { name: 'CD8_BIND', path: ['dicom', 'bind'], doc: 'DICOM bind address', parse: (t) => t },
  { name: 'CD8_ALLOWED_CALLERS', path: ['dicom', 'allowedCallers'], doc: 'comma list of AET or AET@host; * = any', parse: asList },
  { name: 'CD8_MAX_ASSOCIATIONS', path: ['dicom', 'maxAssociations'], doc: 'simultaneous associations', parse: asNumber },
  { name: 'CD8_MAX_ASSOCIATIONS_PER_HOST', path: ['dicom', 'maxAssociationsPerHost'], doc: 'simultaneous associations from one address', parse: asNumber },
  { name: 'CD8_DATA_DIR', path: ['storage', 'dataDir'], doc: 'data directory', parse: (t) => t },
  { name: 'CD8_DATABASE_URL', path: ['database', 'url'], doc: 'empty = embedded SQLite; postgres://… = shared', parse: (t) => t },
  { name: 'CD8_AUDIT_FILE', path: ['log', 'auditFile'], doc: 'audit log file (relative to the data directory)', parse: (t) => t },
  { name: 'CD8_NODE_ID', path: ['database', 'nodeId'], doc: "this node's name in a cluster", parse: (t) => t },
  { name: 'CD8_FSYNC', path: ['storage', 'fsync'], doc: 'fsync received instances (true/false)', parse: asBool },
  { name: 'CD8_STABLE_AGE_S', path: ['study', 'stableAgeS'], doc: 'stable age in seconds', parse: asNumber },
  {
    name: 'CD8_SR_DESTINATION',
    path: ['destinations', 'dicom'],
    doc: 'comma list of AET@host:port',
    parse: (t) =>
      asList(t).map((item, i) => {
        const a = parseAeAddress(item);
        return { name: `sr-${i + 1}`, aeTitle: a.aeTitle, host: a.host, port: a.port };
      }),
  },
  {
    name: 'CD8_HL7_DESTINATION',
    path: ['destinations', 'hl7'],
    doc: 'comma list of host:port',
    parse: (t) =>
      asList(t).map((item, i) => {
        const a = parseHostPort(item);
        return { name: `hl7-${i + 1}`, host: a.host, port: a.port };
      }),
  },
  { name: 'CD8_SIGNATURE', path: ['score', 'signature'], doc: 'signature file', parse: (t) => t },
  { name: 'CD8_HTTP_PORT', path: ['http', 'port'], doc: 'health/metrics port (0 = off)', parse: asNumber },
  { name: 'CD8_LOG_LEVEL', path: ['log', 'level'], doc: 'error | warn | info | debug', parse: (t) => t },
  { name: 'CD8_LOG_FORMAT', path: ['log', 'format'], doc: 'auto | pretty | json', parse: (t) => t },
];

function setIn(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Turns "a.b[2].c" into the key list the YAML document understands. */
function pathKeys(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((\[\d+\])*)$/.exec(part);
    if (!m) return keys;
    if (m[1]) keys.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) keys.push(Number(idx[1]));
  }
  return keys;
}

/**
 * How the TLS files named by destinations are checked: 'errors' (config check: a missing or
 * unusable file fails the check), 'warnings' (serve: the node starts and receives studies; sends
 * to that destination fail with the reason and wait in the outbox until the file is fixed) or
 * 'skip' (status, resend, score, lesions: the files may be readable by the node's user only).
 */
export type TlsFileChecks = 'errors' | 'warnings' | 'skip';

export interface LoadOptions {
  tlsFiles?: TlsFileChecks;
}

export function parseConfigText(
  text: string,
  fileName: string,
  env: NodeJS.ProcessEnv = {},
  options: LoadOptions = {},
): LoadedConfig {
  const issues: ConfigIssue[] = [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  for (const e of doc.errors) {
    // linePos is only filled in with prettyErrors; the offset is always there.
    const where = `${fileName}:${lineCounter.linePos(e.pos[0]).line}`;
    const duplicate = e.code === 'DUPLICATE_KEY';
    const message = duplicate ? 'the same key appears twice in one section; keep one of them.' : `not valid YAML/JSON: ${e.message.split('\n')[0]}`;
    // The parser may report one mistake several times on the same line.
    if (!issues.some((i) => i.path === where && i.message === message)) issues.push({ path: where, message, severity: 'error' });
  }
  if (issues.length > 0) return { config: undefined, issues, sources: { file: fileName, env: [] } };
  const raw = (doc.toJS() ?? {}) as unknown;
  const located = (path: string): string => {
    const node = doc.getIn(pathKeys(path), true) as { range?: [number, number, number] } | undefined;
    const keyPath = pathKeys(path);
    // Unknown keys have no value node we can ask for; fall back to the parent section.
    const parent = node?.range ? node : (doc.getIn(keyPath.slice(0, -1), true) as { range?: [number, number, number] } | undefined);
    if (parent?.range) return `${fileName}:${lineCounter.linePos(parent.range[0]).line}: ${path}`;
    return path;
  };
  const result = validateRaw(raw, env, fileName, options);
  result.issues = result.issues.map((i) => (i.path.startsWith('env ') ? i : { ...i, path: located(i.path) }));
  return result;
}

/** Applies environment overrides to a raw (parsed, unvalidated) configuration and validates it. */
export function validateRaw(raw: unknown, env: NodeJS.ProcessEnv, fileName: string | null, options: LoadOptions = {}): LoadedConfig {
  const issues: ConfigIssue[] = [];
  const isSection = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const tree: Record<string, unknown> = isSection ? structuredClone(raw as Record<string, unknown>) : {};
  if (!isSection && raw !== null && raw !== undefined) {
    issues.push({ path: '(top level)', message: 'the configuration must be a section of keys (YAML mapping or JSON object).', severity: 'error' });
  }
  const usedEnv: string[] = [];
  const envPaths = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const text = env[o.name];
    if (text === undefined || text === '') continue;
    try {
      setIn(tree, o.path, o.parse(text));
      usedEnv.push(o.name);
      envPaths.set(o.path.join('.'), o.name);
    } catch (e) {
      issues.push({ path: `env ${o.name}`, message: `${errorText(e)} (${o.doc})`, severity: 'error' });
    }
  }
  const schemaIssues: ConfigIssue[] = [];
  const config = configSchema.parse(tree, '', schemaIssues);
  for (const i of schemaIssues) {
    const fromEnv = [...envPaths.entries()].find(([p]) => i.path === p || i.path.startsWith(`${p}.`) || i.path.startsWith(`${p}[`));
    issues.push(fromEnv ? { ...i, path: `env ${fromEnv[1]} (${i.path})` } : i);
  }
  issues.push(...crossFieldIssues(config));
  const tlsFiles = options.tlsFiles ?? 'errors';
  if (tlsFiles !== 'skip') {
    for (const i of tlsFileIssues(config)) issues.push(tlsFiles === 'warnings' && i.severity === 'error' ? { ...i, severity: 'warning', message: `${i.message} Results for this destination wait in the outbox until this is fixed.` } : i);
    issues.push(...listenerTlsIssues(config));
  }
  const ok = !issues.some((i) => i.severity === 'error');
  return { config: ok ? config : undefined, issues, sources: { file: fileName, env: usedEnv } };
}

/** Loads FILE (or, without one, the embedded defaults) and applies the environment. */
export function loadConfig(file: string | null, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): LoadedConfig {
  if (file === null) return validateRaw({}, env, null, options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : errorText(e);
    return {
      config: undefined,
      issues: [{ path: file, message: `the configuration file ${why}. Check the path, or run without --config to use the defaults.`, severity: 'error' }],
      sources: { file, env: [] },
    };
  }
  return parseConfigText(text, file, env, options);
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.severity === 'error' ? 'error' : 'warning'}: ${i.path}: ${i.message}`).join('\n');
}
