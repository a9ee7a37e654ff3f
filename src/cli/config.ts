import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { Command } from './command';
import { parseCommandArgs } from './parse';
import { formatIssues, loadConfig } from '../config/load';
import { defaultConfigYaml } from '../config/document';
import { loadSignatureFile, looksLikeSignature } from '../config/signatureFile';
import { checkConfiguration, verdictOf } from '../config/verdict';

/** A JSON file with "terms" and "intercept" is a signature file, anything else a node configuration. */
function isSignatureFile(file: string): boolean {
  try {
    return looksLikeSignature(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return false;
  }
}

export const configCheckCommand: Command = {
  words: ['config', 'check'],
  summary: 'validate a configuration file and explain every problem',
  help: `Usage: cd8-node config check [FILE] [--no-env]
       cd8-node config check --signature FILE

Validates FILE (YAML or JSON; without FILE: $CD8_CONFIG, else the embedded
defaults) with the CD8_* environment overrides applied, and the signature file it names
(score.signature), and prints every problem with its place in the file and
what to do. A signature file (JSON with "terms") given as FILE is checked as
one. Exit 0 when valid (warnings allowed), 1 on error.

Options:
  --signature FILE   Check a signature file only
  --no-env           Ignore CD8_* environment variables (check the file alone)

Examples:
  cd8-node config check /etc/cd8-node/config.yaml
  cd8-node config check --signature config/signatures/cd8-sun2018.json`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { 'no-env': { type: 'boolean' }, signature: { type: 'string' } }, { min: 0, max: 1 });
    if (values.help) {
      io.out(configCheckCommand.help);
      return 0;
    }
    // The file `serve` would run with: FILE, else $CD8_CONFIG (unless the environment is ignored).
    const file = positionals[0] ?? (values['no-env'] ? undefined : io.env.CD8_CONFIG) ?? null;
    const signatureOnly = values.signature ?? (file !== null && isSignatureFile(file) ? file : undefined);
    const verdict = signatureOnly !== undefined ? verdictOf(signatureOnly, loadSignatureFile(signatureOnly).issues) : await checkConfiguration(file, values['no-env'] ? {} : io.env);
    const { issues } = verdict;
    if (issues.length > 0) (verdict.ok ? io.out : io.err)(formatIssues(issues));
    (verdict.ok ? io.out : io.err)(verdict.verdict);
    return verdict.ok ? 0 : 1;
  },
};

export const configShowCommand: Command = {
  words: ['config', 'show'],
  summary: 'print the effective configuration (defaults + file + environment)',
  help: `Usage: cd8-node config show [FILE] [--json]

Prints the configuration the node would run with: the defaults, overridden by
FILE (default: $CD8_CONFIG, else none), overridden by CD8_* environment variables.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, { min: 0, max: 1 });
    if (values.help) {
      io.out(configShowCommand.help);
      return 0;
    }
    const loaded = loadConfig(positionals[0] ?? io.env.CD8_CONFIG ?? null, io.env, { tlsFiles: 'skip' });
    if (!loaded.config) {
      io.err(formatIssues(loaded.issues));
      return 1;
    }
    io.out(values.json ? JSON.stringify(loaded.config, null, 2) : stringify(loaded.config).trimEnd());
    return 0;
  },
};

export const configInitCommand: Command = {
  words: ['config', 'init'],
  summary: 'print a commented configuration file with every default',
  help: `Usage: cd8-node config init > config.yaml

Prints every key with its default and a comment saying what it means.
config/default.yaml in the install directory is this output.`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, {}, { min: 0, max: 0 });
    if (values.help) {
      io.out(configInitCommand.help);
      return 0;
    }
    io.out(defaultConfigYaml().trimEnd());
    return 0;
  },
};
