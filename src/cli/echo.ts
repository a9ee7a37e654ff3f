import { Command, UsageError } from './command';
import { parseCommandArgs } from './parse';
import { parseAeAddress, aeTitleProblem } from '../config/aeTitle';
import { cEcho, echoOutcomeLine } from '../dicom/echo';
import { errorText } from '../ops/errorText';

export const echoCommand: Command = {
  words: ['echo'],
  summary: 'DICOM C-ECHO to a peer (verification)',
  help: `Usage: cd8-node echo AET@HOST:PORT [--calling-aet AET] [--timeout SECONDS]

Opens an association to the peer, sends a C-ECHO and reports the outcome.
Exit 0 when the peer answered Success; 1 otherwise, with the reason
(connection refused, timeout, wrong AE title, ...).

Options:
  --calling-aet AET   Our calling AE title (default: $CD8_AE_TITLE or CD8NODE)
  --timeout SECONDS   Give up after this long (default 10)

Example:
  cd8-node echo PACS@10.0.0.5:104`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      args,
      { 'calling-aet': { type: 'string' }, timeout: { type: 'string' } },
      { min: 1, max: 1 },
    );
    if (values.help) {
      io.out(echoCommand.help);
      return 0;
    }
    let target;
    try {
      target = parseAeAddress(positionals[0]);
    } catch (e) {
      throw new UsageError(errorText(e));
    }
    const calling = values['calling-aet'] ?? io.env.CD8_AE_TITLE ?? 'CD8NODE';
    const problem = aeTitleProblem(calling);
    if (problem) throw new UsageError(`--calling-aet: ${problem}`);
    const timeoutS = values.timeout === undefined ? 10 : Number(values.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}".`);

    const outcome = await cEcho({ ...target, calledAeTitle: target.aeTitle, callingAeTitle: calling, timeoutMs: timeoutS * 1000 });
    const who = `${target.aeTitle}@${target.host}:${target.port}`;
    (outcome.ok ? io.out : io.err)(echoOutcomeLine(who, outcome));
    return outcome.ok ? 0 : 1;
  },
};
