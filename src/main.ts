/**
 * Wires the node together: the only module that knows every other one.
 * Each capability (listener, assembler, queue, workers, outbox, schedules, HTTP) is started here
 * in data-flow order and stopped in reverse.
 */
import { resolve } from 'node:path';
import { Config } from './config/schema';
import { Logger } from './ops/logger';
import { AuditLog } from './ops/audit';
import { openIndexDatabase } from './store/database';
import { SqliteStudyIndex } from './store/sqliteIndex';
import { InstanceStore } from './store/instanceStore';
import { StudyAssembler } from './study/assembler';
import { StudyCatalog, StudyReadyEvent } from './study/types';
import { startDicomListener } from './dicom/scp';

export interface NodeServices {
  logger: Logger;
  audit: AuditLog;
  /** An extra study-ready listener (embedding, tests); registered before start-up recovery announces anything. */
  onStudyReady?: (event: StudyReadyEvent) => void;
}

export interface RunningNode {
  /** The DICOM listener's bound port (useful when dicom.port is 0). */
  dicomPort: number;
  /** Studies, their states and the "ready" event, for the stages after ingest. */
  studies: StudyCatalog;
  /** Stops accepting work, finishes or hands back what runs, and closes resources. */
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}

export async function startNode(config: Config, services: NodeServices): Promise<RunningNode> {
  const { logger, audit } = services;
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) {
      try {
        await part.stop();
      } catch (e) {
        logger.error(`stopping ${part.name} failed`, { error: (e as Error).message });
      }
    }
  };

  try {
    const dataDir = resolve(config.storage.dataDir);
    const db = openIndexDatabase(dataDir);
    started.push({ name: 'index database', stop: () => void db.close() });
    const index = new SqliteStudyIndex(db, dataDir);

    const store = new InstanceStore({ dataDir, fsync: config.storage.fsync, minFreeDiskMb: config.storage.minFreeDiskMb, index });
    const leftovers = await store.open();
    if (leftovers > 0) logger.warn(`removed ${leftovers} incomplete instance file(s) left in the spool by the previous run (never acknowledged to the sender)`);
    if (!config.storage.fsync) logger.warn('storage.fsync is off: an instance answered Success may be lost in a power cut. Use this for benchmarks only.');

    const assembler = new StudyAssembler(index, { stableAgeS: config.study.stableAgeS, logger, audit });
    started.push({ name: 'study assembly', stop: () => assembler.stop() });
    // Until the job queue takes over, a ready study is announced in the log.
    assembler.onStudyReady((e) =>
      logger.debug('study ready event', { studyInstanceUid: e.studyInstanceUid, version: e.version, reason: e.readyReason, recovered: e.recovered }),
    );
    if (services.onStudyReady) assembler.onStudyReady(services.onStudyReady);
    const recovered = await assembler.start();
    if (recovered.receiving + recovered.announcedAgain > 0) {
      logger.info('study assembly resumed', { receivingStudies: recovered.receiving, readyStudiesAnnouncedAgain: recovered.announcedAgain });
    }

    const startedAt = Date.now();
    const listener = await startDicomListener(config.dicom, {
      store,
      logger,
      audit,
      onStored: (instance) => assembler.instanceArrived(instance.studyInstanceUid),
    });
    started.push({ name: 'DICOM listener', stop: () => listener.stop() });

    // Files a crash left between rename and index commit: never acknowledged, safe to remove.
    void store.sweepOrphans(startedAt).then(
      (n) => n > 0 && logger.warn(`removed ${n} unindexed spool file(s) left by an interrupted store (never acknowledged)`),
      (e: Error) => logger.error(`spool orphan sweep failed: ${e.message}`),
    );

    logger.info('node ready', { aeTitle: config.dicom.aeTitle, port: listener.port, dataDir });
    return { dicomPort: listener.port, studies: assembler, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
