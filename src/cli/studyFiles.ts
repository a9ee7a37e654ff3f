/** What the offline commands on a CT directory and an RTSTRUCT file (lesions, score, features) share. */
import { Command, CommandIo, UsageError } from './command';
import { Options, parseCommandArgs, ParsedValues } from './parse';
import { commandConfig } from './commandConfig';
import type { Config } from '../config/schema';
import type { ImagingError } from '../imaging/load';

/**
 * Parses an offline command's options (no positional arguments). A number is the exit code to
 * return at once: 0 after printing the help for --help.
 */
export function parseOfflineCommand<O extends Options>(command: Command, args: string[], io: CommandIo, options: O): ParsedValues<O> | number {
  const { values } = parseCommandArgs(args, options, { min: 0, max: 0 });
  if (values.help) {
    io.out(command.help);
    return 0;
  }
  return values;
}

/**
 * The --ct and --rtstruct options (both required) and the configuration (--config, else the
 * defaults). A number is the exit code to return at once (1: the configuration has errors).
 */
export function studyCommandInputs(
  values: { ct?: string; rtstruct?: string; config?: string },
  io: CommandIo,
  what: string,
): { files: { ct: string; rtstruct: string }; config: Config } | number {
  if (!values.ct) throw new UsageError('--ct DIR is required.');
  if (!values.rtstruct) throw new UsageError('--rtstruct FILE is required.');
  const loaded = commandConfig(values.config, io, what);
  if (!loaded) return 1;
  return { files: { ct: values.ct, rtstruct: values.rtstruct }, config: loaded.config };
}

/** Why the study cannot be used, one problem a line with its code, after the command's name. */
export function unusableStudyMessage(command: string, e: ImagingError): string {
  return `${command}: the study cannot be used:\n${e.problems.map((p) => `  - [${p.code}] ${p.message}`).join('\n')}`;
}
