import { parseArgs, ParseArgsConfig } from 'node:util';
import { UsageError } from './command';
import { errorText } from '../ops/errorText';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** util.parseArgs, with its errors turned into UsageError so the user sees the help. */
export type ParsedValues<O extends Options> = {
  [K in keyof O]?: O[K] extends { multiple: true }
    ? O[K]['type'] extends 'boolean' ? boolean[] : string[]
    : O[K]['type'] extends 'boolean' ? boolean : string;
} & { help?: boolean };

export function parseCommandArgs<O extends Options>(
  args: string[],
  options: O,
  positionals: { min: number; max: number },
): { values: ParsedValues<O>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(errorText(e));
  }
  if (!parsed.values.help) {
    const n = parsed.positionals.length;
    if (n < positionals.min) throw new UsageError(`missing argument${positionals.min - n > 1 ? 's' : ''}.`);
    if (n > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}".`);
  }
  return { values: parsed.values as ParsedValues<O>, positionals: parsed.positionals };
}
