/** Reads a signature file (I/O edge of cd8/): JSON → validated Signature with its issues. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseSignature, Signature } from '../cd8/signatureSchema';
import { ConfigIssue } from './schemaKit';
import { loadRadiomicsSettings, RadiomicsSettingsError } from '../radiomics/settings';
import { errorText } from '../ops/errorText';

/** The install directory (where config/ ships), from dist/config or src/config. */
export const INSTALL_DIR = join(__dirname, '..', '..');

/** A relative path is looked up in the working directory, then in the install directory. */
export function resolveInstallPath(path: string): string {
  if (isAbsolute(path)) return path;
  const fromCwd = resolve(path);
  return existsSync(fromCwd) ? fromCwd : join(INSTALL_DIR, path);
}

export interface LoadedSignature {
  signature: Signature | undefined;
  /** Absolute path of the file. */
  path: string;
  /** Absolute path of its radiomics settings file. */
  radiomicsSettingsPath: string | undefined;
  issues: ConfigIssue[];
}

export function looksLikeSignature(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'terms' in raw && 'intercept' in raw;
}

export function loadSignatureFile(file: string): LoadedSignature {
  const path = resolveInstallPath(file);
  const fail = (message: string): LoadedSignature => ({ signature: undefined, path, radiomicsSettingsPath: undefined, issues: [{ path, message, severity: 'error' }] });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'the signature file does not exist; check score.signature (or CD8_SIGNATURE).' : `cannot read the signature file: ${errorText(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${errorText(e)}`);
  }
  const parsed = parseSignature(raw);
  const issues = parsed.issues.map((i) => ({ ...i, path: `${path}: ${i.path}` }));
  let radiomicsSettingsPath: string | undefined;
  if (parsed.signature) {
    radiomicsSettingsPath = resolve(dirname(path), parsed.signature.preprocessing.radiomicsSettings);
    if (!existsSync(radiomicsSettingsPath)) {
      issues.push({
        path: `${path}: preprocessing.radiomicsSettings`,
        severity: 'error',
        message: `${radiomicsSettingsPath} does not exist (the path is relative to the signature file).`,
      });
      return { signature: undefined, path, radiomicsSettingsPath, issues };
    }
    // The settings file is part of the signature: check it with the same care.
    try {
      loadRadiomicsSettings(radiomicsSettingsPath);
    } catch (e) {
      if (!(e instanceof RadiomicsSettingsError)) throw e;
      for (const i of e.issues.filter((x) => x.severity === 'error')) {
        issues.push({ path: `${radiomicsSettingsPath}: ${i.path}`, severity: 'error', message: i.message });
      }
      return { signature: undefined, path, radiomicsSettingsPath, issues };
    }
  }
  return { signature: parsed.signature, path, radiomicsSettingsPath, issues };
}
