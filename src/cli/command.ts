/** The shape of one `cd8-node` subcommand: its help text and what it does. */
export interface Command {
  /** Words that select it, e.g. ["config", "check"]. */
  words: string[];
  summary: string;
  /** Full help: usage line, options, examples. */
  help: string;
  /** Returns the process exit code. Throwing a UsageError prints the help. */
  run(args: string[], io: CommandIo): Promise<number>;
}

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** Wrong arguments: the CLI prints the message and the command's help, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
