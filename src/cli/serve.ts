import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command } from './command';
import { parseCommandArgs } from './parse';
import { commandConfig } from './commandConfig';
import { createLogger, flushLogger, Logger } from '../ops/logger';
import { auditFilePath, openAuditLog } from '../ops/audit';
import { startNode } from '../main';
import { VERSION } from '../version';
import { errorText } from '../ops/errorText';

export const serveCommand: Command = {
  words: ['serve'],
  summary: 'run the node (DICOM listener, processing, result delivery)',
  help: `Usage: cd8-node serve [--config FILE]

Runs the node until SIGINT or SIGTERM. SIGHUP reopens the audit log (for
logrotate: move the file, then send SIGHUP). Without --config (and without
$CD8_CONFIG) it runs on the embedded defaults: AE title CD8NODE, port 11112,
any calling AE title accepted (a warning says so), data in ./data.
CD8_* environment variables override single values (see the README).

Options:
  --config FILE   YAML or JSON configuration (default: $CD8_CONFIG, else none)`,
  async run(args, io) {
    const { values } = parseCommandArgs(args, { config: { type: 'string', short: 'c' } }, { min: 0, max: 0 });
    if (values.help) {
      io.out(serveCommand.help);
      return 0;
    }
    // TLS file problems do not keep the node from receiving: they are warnings here, and each send re-checks.
    const loaded = commandConfig(values.config, io, 'cd8-node: not started', { tlsFiles: 'warnings' });
    if (!loaded) return 1;
    const { config } = loaded;
    const logger = createLogger(config.log);
    for (const w of loaded.issues) logger.warn(`configuration: ${w.path}: ${w.message}`);
    const dataDir = resolve(config.storage.dataDir);
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (e) {
      logger.error(`cannot create the data directory ${dataDir}: ${errorText(e)}. Set storage.dataDir (or CD8_DATA_DIR) to a writable directory.`);
      await flushLogger(logger);
      return 1;
    }
    const auditFile = auditFilePath(dataDir, config.log.auditFile);
    let audit;
    try {
      audit = openAuditLog(auditFile);
    } catch (e) {
      logger.error(`cannot open the audit log ${auditFile}: ${errorText(e)}. Set log.auditFile to a file this user can append to.`);
      await flushLogger(logger);
      return 1;
    }
    // Log rotation: logrotate moves audit.log away and sends SIGHUP; the next event starts a new
    // file. Handled from here to the end, start-up and shutdown included: without a handler,
    // SIGHUP would end the process (and a node that starts slowly after an unclean stop, or waits
    // for its jobs when stopping, is in those phases for a while).
    const auditLog = audit;
    // Set once the audit log is closed. The handler stays installed until the process exits: with
    // no handler left, a late SIGHUP (logrotate during the last milliseconds) would end the process
    // by the signal instead of its exit code.
    let auditClosed = false;
    const onHangUp = () => {
      if (auditClosed) return;
      try {
        const { warning } = auditLog.reopen();
        logger.info(`SIGHUP received: audit log reopened at ${auditLog.path}`);
        if (warning) logger.warn(`${warning}; the new audit file is in use`);
      } catch (e) {
        logger.error(`SIGHUP received but the audit log ${auditLog.path} cannot be opened again: ${errorText(e)}; audit lines still go to the file it had open. Check that the node's user can create files in ${dirname(auditLog.path)}.`);
      }
    };
    process.on('SIGHUP', onHangUp);

    // SIGINT and SIGTERM are handled from here, before the start: one that comes while the node
    // starts (docker stop or systemctl stop during a slow start) stops it cleanly once it is up.
    // Without a handler the process would die at once, whatever it was writing.
    const stopSignals = handleStopSignals(logger);
    logger.info(`cd8-node ${VERSION} starting`, {
      configFile: loaded.sources.file ?? '(embedded defaults)',
      envOverrides: loaded.sources.env,
      config,
    });
    audit.record({ event: 'node.started', calledAeTitle: config.dicom.aeTitle });

    let node;
    try {
      node = await startNode(config, { logger, audit, configSource: { file: loaded.file, env: io.env }, auditFile });
    } catch (e) {
      logger.error(`cd8-node could not start: ${errorText(e)}`);
      stopSignals.startFailed();
      auditClosed = true;
      audit.close();
      await flushLogger(logger);
      return 1;
    }

    // Keep the process alive until a signal, whatever the node has open (it may have no socket at all).
    const keepAlive = setInterval(() => undefined, 1 << 30);
    stopSignals.started();
    const signal = await stopSignals.received;
    clearInterval(keepAlive);
    logger.info(`${signal} received: stopping`);
    await node.stop();
    audit.record({ event: 'node.stopped', reason: signal });
    auditClosed = true;
    audit.close();
    logger.info('cd8-node stopped');
    await flushLogger(logger);
    return 0;
  },
};

/**
 * SIGINT and SIGTERM, handled until the process exits (for the same reason as SIGHUP). The first
 * one resolves `received`; one that comes while the node starts is said in the log and kept until
 * the node is up. Any later one, of either kind, means "now": the process leaves at once (exit
 * code 130). After a failed start, any one ends the process at once (exit code 1).
 */
function handleStopSignals(logger: Logger): { received: Promise<NodeJS.Signals>; started(): void; startFailed(): void } {
  let phase: 'starting' | 'running' | 'failed' = 'starting';
  let first: NodeJS.Signals | undefined;
  let resolveSignal: (sig: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveSignal = resolve));
  const onSignal = (sig: NodeJS.Signals) => {
    if (phase === 'failed') process.exit(1);
    if (first !== undefined) process.exit(130);
    first = sig;
    if (phase === 'starting') logger.info(`${sig} received while starting: the node stops once it is up (send it again to stop now)`);
    resolveSignal(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    started() {
      phase = 'running';
    },
    startFailed() {
      phase = 'failed';
    },
  };
}
