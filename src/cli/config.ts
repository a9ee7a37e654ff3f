import { stringify } from 'yaml';
import { Command } from './command';
import { parseCommandArgs } from './parse';
import { formatIssues, loadConfig } from '../config/load';
import { defaultConfigYaml } from '../config/document';

export const configCheckCommand: Command = {
  words: ['config', 'check'],
  summary: 'validate a configuration file and explain every problem',
  help: `Usage: cd8-node config check [FILE] [--no-env]

Validates FILE (YAML or JSON; without FILE: the embedded defaults) with the
CD8_* environment overrides applied, and prints every problem with its place
in the file and what to do. Exit 0 when valid (warnings allowed), 1 on error.

Options:
  --no-env   Ignore CD8_* environment variables (check the file alone)

Example:
  cd8-node config check /etc/cd8-node/config.yaml`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { 'no-env': { type: 'boolean' } }, { min: 0, max: 1 });
    if (values.help) {
      io.out(configCheckCommand.help);
      return 0;
    }
    const file = positionals[0] ?? null;
    const loaded = loadConfig(file, values['no-env'] ? {} : io.env);
    const errors = loaded.issues.filter((i) => i.severity === 'error');
    const warnings = loaded.issues.filter((i) => i.severity === 'warning');
    const name = file ?? 'embedded defaults';
    if (loaded.issues.length > 0) (errors.length > 0 ? io.err : io.out)(formatIssues(loaded.issues));
    if (errors.length > 0) {
      io.err(`${name}: ${errors.length} error${errors.length > 1 ? 's' : ''}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}. Fix the errors above; the node will not start with this configuration.`);
      return 1;
    }
    const env = loaded.sources.env.length > 0 ? ` (with ${loaded.sources.env.join(', ')} from the environment)` : '';
    io.out(`${name}: valid${env}${warnings.length > 0 ? `, ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : ''}.`);
    return 0;
  },
};

export const configShowCommand: Command = {
  words: ['config', 'show'],
  summary: 'print the effective configuration (defaults + file + environment)',
  help: `Usage: cd8-node config show [FILE] [--json]

Prints the configuration the node would run with: the defaults, overridden by
FILE, overridden by CD8_* environment variables.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, { min: 0, max: 1 });
    if (values.help) {
      io.out(configShowCommand.help);
      return 0;
    }
    const loaded = loadConfig(positionals[0] ?? null, io.env);
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
