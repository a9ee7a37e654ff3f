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
import { reconcileSpool } from './store/reconcile';
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
    // The instance index has its own connection with synchronous=NORMAL: the spool is its record
    // and reconciliation rebuilds lost rows (store/reconcile.ts). Modules whose rows are the only
    // record (job queue, outbox) open theirs with openIndexDatabase(dataDir): synchronous=FULL.
    const storeDb = openIndexDatabase(dataDir, { synchronous: 'NORMAL' });
    started.push({ name: 'index database', stop: () => void storeDb.close() });
    const index = new SqliteStudyIndex(storeDb, dataDir);

    const store = new InstanceStore({ dataDir, fsync: config.storage.fsync, minFreeDiskMb: config.storage.minFreeDiskMb, index });
    const spool = await store.open();
    started.push({ name: 'spool', stop: () => store.close() });
    if (spool.leftovers > 0) logger.warn(`removed ${spool.leftovers} incomplete instance file(s) left in the spool by the previous run (never acknowledged to the sender)`);
    if (spool.uncleanStop) {
      const began = Date.now();
      const r = await reconcileSpool({ dataDir, spoolDir: store.spoolDir, tmpDir: store.tmpDir, index });
      const level = r.reindexed.length + r.quarantined.length > 0 ? 'warn' : 'info';
      logger.log(level, `the previous run did not stop cleanly: checked ${r.checked} spool file(s) against the index`, {
        reindexed: r.reindexed.length,
        quarantined: r.quarantined.length,
        removedOlderCopies: r.removed.length,
        seconds: Number(((Date.now() - began) / 1000).toFixed(1)),
      });
      for (const q of r.quarantined) logger.warn(`moved ${q} to ${dataDir}/quarantine: not a whole DICOM instance (it was never acknowledged); inspect and delete it`);
    }
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

    const listener = await startDicomListener(config.dicom, {
      store,
      logger,
      audit,
      onStored: (instance) => assembler.instanceArrived(instance.studyInstanceUid),
    });
    started.push({ name: 'DICOM listener', stop: () => listener.stop() });

    logger.info('node ready', { aeTitle: config.dicom.aeTitle, port: listener.port, dataDir });
    return { dicomPort: listener.port, studies: assembler, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
