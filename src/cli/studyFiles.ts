/** What the offline commands on a CT directory and an RTSTRUCT file (lesions, score) share. */
import { UsageError } from './command';
import type { ImagingError } from '../imaging/load';

/** The --ct and --rtstruct options, both required. */
export function requiredStudyFiles(values: { ct?: string; rtstruct?: string }): { ct: string; rtstruct: string } {
  if (!values.ct) throw new UsageError('--ct DIR is required.');
  if (!values.rtstruct) throw new UsageError('--rtstruct FILE is required.');
  return { ct: values.ct, rtstruct: values.rtstruct };
}

/** Why the study cannot be used, one problem a line with its code, after the command's name. */
export function unusableStudyMessage(command: string, e: ImagingError): string {
  return `${command}: the study cannot be used:\n${e.problems.map((p) => `  - [${p.code}] ${p.message}`).join('\n')}`;
}
