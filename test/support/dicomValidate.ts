/** dicom3tools' dciodvfy and DCMTK's dsrdump on a file, with their findings sorted out. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './process';

/**
 * Warnings we accept, each for a reason:
 * - "Missing attribute ... needed to build DICOMDIR": the phantom has no Study Date/ID; we copy
 *   the source study as it is rather than invent values.
 * - "Retired Person Name form": the phantom's patient name "PAT1" has no "^" (copied as received).
 * - "Unrecognized defined term <99CD8>": dciodvfy knows only the standard coding schemes; 99CD8 is
 *   our private scheme, declared in Coding Scheme Identification Sequence as PS3.3 asks.
 */
export const ACCEPTED_WARNINGS = [/needed to build DICOMDIR/, /Retired Person Name form/, /Unrecognized defined term <99CD8>/];

export interface Validation {
  iod: string;
  errors: string[];
  warnings: string[];
  unexplainedWarnings: string[];
  output: string;
}

export async function dciodvfy(file: string): Promise<Validation> {
  const r = await run('dciodvfy', [file], { timeoutMs: 60000 });
  const output = r.stdout + r.stderr;
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('Error'));
  const warnings = lines.filter((l) => l.startsWith('Warning'));
  return {
    iod: lines.find((l) => !l.startsWith('Error') && !l.startsWith('Warning')) ?? '',
    errors,
    warnings,
    unexplainedWarnings: warnings.filter((w) => !ACCEPTED_WARNINGS.some((re) => re.test(w))),
    output,
  };
}

/**
 * dsrdump's errors (E:, F:) are problems. Its one warning we see, "The VR checker does not support
 * this Specific Character Set: ISO_IR 192", says DCMTK 3.6.7 does not check UTF-8 text; it is
 * reported in `warnings`, not a problem of the file.
 */
export async function dsrdump(file: string): Promise<{ code: number | null; text: string; problems: string[]; warnings: string[] }> {
  const r = await run('dsrdump', [file], { timeoutMs: 60000 });
  const text = r.stdout + r.stderr;
  const lines = text.split('\n');
  return { code: r.code, text, problems: lines.filter((l) => /^[EF]: /.test(l)), warnings: lines.filter((l) => /^W: /.test(l)) };
}

export function tempFile(name: string, bytes: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'cd8-report-'));
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
