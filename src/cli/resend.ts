import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { formatIssues, loadConfig } from '../config/load';
import { uidProblem } from '../report/valueTypes';
import { engineOf, openStorage, StorageUnavailableError } from '../db/storage';
import { resendStudy } from '../outbox/resend';

export const resendCommand: Command = {
  words: ['resend'],
  summary: 'send the results of a study again (failed or waiting messages, or all with --include-sent)',
  help: `Usage: cd8-node resend STUDY_INSTANCE_UID [--include-sent] [--config FILE]

Puts the study's SR, summary and HL7 messages that failed or are still waiting
back in the outbox for an immediate try, with their attempts counted from zero.
The running node picks them up within a second. Messages already delivered are
left alone unless --include-sent is given (e.g. the PACS lost the SR): they are
then sent once more with the same SOP Instance UID / Message Control ID.

Options:
  --include-sent   Also send again what was already delivered
  --config FILE    Configuration (for storage.dataDir; default: $CD8_CONFIG, else defaults)

Example:
  cd8-node resend 1.2.826.0.1.3680043.2.1125.1.1`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(args, { 'include-sent': { type: 'boolean' }, config: { type: 'string', short: 'c' } }, { min: 1, max: 1 });
    if (values.help) {
      io.out(resendCommand.help);
      return 0;
    }
    const studyUid = positionals[0];
    const problem = uidProblem(studyUid);
    if (problem) throw new UsageError(`STUDY_INSTANCE_UID ${problem}.`);
    const loaded = loadConfig(values.config ?? io.env.CD8_CONFIG ?? null, io.env, { tlsFiles: 'skip' });
    if (!loaded.config) {
      io.err(formatIssues(loaded.issues));
      return 1;
    }
    const dataDir = resolve(loaded.config.storage.dataDir);
    const file = join(dataDir, 'index.sqlite');
    if (engineOf(loaded.config.database.url) === 'sqlite' && !existsSync(file)) {
      io.err(`cd8-node resend: no database at ${file}. Has the node run with this data directory? Set storage.dataDir (or CD8_DATA_DIR) to the node's.`);
      return 1;
    }
    let storage;
    try {
      storage = await openStorage({ url: loaded.config.database.url, dataDir });
    } catch (e) {
      if (e instanceof StorageUnavailableError) {
        io.err(`cd8-node resend: ${e.message}`);
        return 1;
      }
      throw e;
    }
    try {
      const outcome = await resendStudy(storage.outbox, studyUid, values['include-sent'] === true);
      if (!outcome.ok) {
        io.err(`cd8-node resend: ${outcome.message}`);
        return 1;
      }
      for (const line of outcome.lines) io.out(line);
      return 0;
    } finally {
      await storage.close();
    }
  },
};
