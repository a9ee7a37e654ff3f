#!/usr/bin/env node
/** `cd8-node` command line: picks the subcommand and runs it. */
import { Command, CommandIo, UsageError } from './cli/command';
import { serveCommand } from './cli/serve';
import { configCheckCommand, configInitCommand, configShowCommand } from './cli/config';
import { echoCommand } from './cli/echo';
import { statusCommand } from './cli/status';
import { lesionsCommand } from './cli/lesions';
import { featuresCommand } from './cli/features';
import { scoreCommand } from './cli/score';
import { resendCommand } from './cli/resend';
import { signatureCheckCommand } from './cli/signatureCheck';
import { exportFeaturesCommand } from './cli/exportFeatures';
import { signatureFitCommand } from './cli/signatureFit';
import { signatureValidateCommand } from './cli/signatureValidate';
import { consoleHashPasswordCommand } from './cli/consoleCredentials';
import { dbCopyCommand, dbMigrateCommand } from './cli/db';
import { VERSION } from './version';

// One command per line: each capability registers itself here.
export const COMMANDS: Command[] = [
  serveCommand,
  statusCommand,
  configCheckCommand,
  configShowCommand,
  configInitCommand,
  echoCommand,
  lesionsCommand,
  featuresCommand,
  scoreCommand,
  resendCommand,
  exportFeaturesCommand,
  signatureCheckCommand,
  signatureFitCommand,
  signatureValidateCommand,
  consoleHashPasswordCommand,
  dbMigrateCommand,
  dbCopyCommand,
];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`);
  return `cd8-node ${VERSION}: DICOM node computing the CD8 radiomic score of CT lesions

Usage: cd8-node <command> [options]

Commands:
${lines.join('\n')}

Run "cd8-node <command> --help" for the options of a command.`;
}

export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(topHelp());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    io.out(VERSION);
    return 0;
  }
  // Longest match first, so "config check" wins over a hypothetical "config".
  const command = [...COMMANDS]
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((w, i) => argv[i] === w));
  if (!command) {
    const group = COMMANDS.filter((c) => c.words[0] === argv[0]);
    const hint = group.length > 0 ? `"${argv[0]}" needs one of: ${group.map((c) => c.words.join(' ')).join(', ')}.` : `unknown command "${argv.join(' ')}".`;
    io.err(`cd8-node: ${hint}\n\n${topHelp()}`);
    return 2;
  }
  try {
    return await command.run(argv.slice(command.words.length), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cd8-node ${command.words.join(' ')}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  const io: CommandIo = {
    out: (t) => process.stdout.write(t + '\n'),
    err: (t) => process.stderr.write(t + '\n'),
    env: process.env,
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cd8-node: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
