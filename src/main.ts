/**
 * Wires the node together: the only module that knows every other one.
 * Each capability (listener, assembler, queue, workers, outbox, schedules, HTTP) is started here
 * in data-flow order and stopped in reverse.
 */
import { mallocAdvice, runsOnGlibc } from './ops/mallocSetting';
import { hostname, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { Config } from './config/schema';
import { Logger } from './ops/logger';
import { AuditLog } from './ops/audit';
import { openStorage } from './db/storage';
import { InstanceStore } from './store/instanceStore';
import { reconcileSpool } from './store/reconcile';
import { StudyAssembler } from './study/assembler';
import { Retrieval } from './study/retrieval';
import { retrievalSources } from './study/retrievalSources';
import { StudyCatalog, StudyReadyEvent } from './study/types';
import { startDicomListener } from './dicom/scp';
import { JOB_RETRY_BACKOFF } from './jobs/queue';
import { backoffMs } from './ops/backoff';
import { startWorkers } from './jobs/worker';
import { startResultDelivery } from './outbox/delivery';
import { loadScoringSetup } from './pipeline/setup';
import { startAnalysisRunner } from './pipeline/runAnalysis';
import { lastAnalysedJob } from './pipeline/rehearsal';
import { removeOrphanedSyntheticStudyDirs } from './pipeline/syntheticRehearsal';
import { studyProcessor } from './pipeline/processStudy';
import { countingAudit } from './ops/countingAudit';
import { nodeMetrics, Gauge } from './ops/metrics';
import { HttpRoutes, ReadinessCheck, startHttpEndpoint } from './ops/http';
import { stowRoutes, STOW_IDLE_TIMEOUT_MS, STOW_MAX_READ_MS, STOW_PATH } from './dicom/stowRoutes';
import { startSchedules } from './ops/schedule';
import { watchDatabase } from './ops/databaseWatch';
import { assertNodeIdFree, defaultNodeId, isAlive, NodeInfo, scheduleSlot, startHeartbeat } from './ops/cluster';
import { dailySummary, purgeOldStudies, sweepStuckStudies } from './pipeline/housekeeping';
import { errorText } from './ops/errorText';
import { auditFilePath } from './ops/audit';
import { consoleRoutes } from './console/routes';
import { idHasher, loadIdHashKey } from './ops/idHash';
import { pendingItems } from './cd8/signatureSchema';
import { boundDcmjsReads } from './dicom/dcmjsBounds';

export interface NodeServices {
  logger: Logger;
  audit: AuditLog;
  /** An extra study-ready listener (embedding, tests); registered before start-up recovery announces anything. */
  onStudyReady?: (event: StudyReadyEvent) => void;
  /** False: receive and assemble only, queue nothing (tests of the ingest stage alone). Default true. */
  processStudies?: boolean;
  /** Where the configuration came from (the console's configuration page); default: embedded defaults, no environment. */
  configSource?: { file: string | null; env: NodeJS.ProcessEnv };
  /** The audit file the console searches (default: log.auditFile in the data directory). */
  auditFile?: string;
}

export interface RunningNode {
  /** The DICOM listener's bound port (useful when dicom.port is 0). */
  dicomPort: number;
  /** The DICOM TLS port, when dicom.tls.enabled. */
  dicomTlsPort?: number;
  /** The HTTP endpoint's bound port (0 when disabled). */
  httpPort: number;
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
  const { logger } = services;
  // Before any peer's data reaches dcmjs (a C-GET's sub-operations parse in dcmjs-dimse, not in our readers).
  boundDcmjsReads();
  const metrics = nodeMetrics();
  // Every audit event also feeds the metrics (instances received, associations rejected ...).
  const audit = countingAudit(services.audit, metrics);
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) {
      try {
        await part.stop();
      } catch (e) {
        logger.error(`stopping ${part.name} failed`, { error: errorText(e) });
      }
    }
  };

  try {
    // A broken signature is a configuration error: refuse to start rather than fail every study.
    const setup = loadScoringSetup(config);
    for (const w of setup.warnings) logger.warn(`signature: ${w}`);
    logger.info(`signature ${setup.signature.id} ${setup.signature.version}`, { file: setup.signaturePath, radiomicsSettings: setup.radiomicsSettingsPath });

    const dataDir = resolve(config.storage.dataDir);
    const storage = await openStorage({
      url: config.database.url,
      dataDir,
      queue: { maxAttempts: config.jobs.maxAttempts, backoffMs: JOB_RETRY_BACKOFF },
    });
    started.push({ name: 'database', stop: () => storage.close() });
    // Loaded once: every hashed Patient ID (log, console) uses the installation's key.
    const hashId = idHasher(loadIdHashKey(dataDir));
    const shared = storage.engine === 'postgres';
    const { index, jobs: queue, results } = storage;
    const nodeId = config.database.nodeId || defaultNodeId(config.dicom.port);
    logger.info(`database: ${storage.engine === 'sqlite' ? 'embedded SQLite' : 'PostgreSQL (shared)'} at ${storage.location}`, { node: nodeId });
    // Before anything takes this node's jobs back or touches the spool as this node.
    if (shared) await assertNodeIdFree(storage.cluster, { nodeId, host: hostname(), pid: process.pid }, Date.now());

    const store = new InstanceStore({ dataDir, fsync: config.storage.fsync, minFreeDiskMb: config.storage.minFreeDiskMb, index, nodeTag: shared ? nodeId : undefined });
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
      for (const q of r.quarantined) logger.warn(`moved ${q} to ${dataDir}/quarantine: not a whole DICOM instance (${r.reasons[q] ?? 'unreadable'}); inspect and delete it`);
    }
    if (!config.storage.fsync) logger.warn('storage.fsync is off: an instance answered Success may be lost in a power cut. Use this for benchmarks only.');
    const malloc = mallocAdvice(process.env, process.platform, runsOnGlibc);
    if (malloc) logger.info(malloc);

    // Results out: the outbox and its sender (survives restarts; re-sends what was not acknowledged).
    const delivery = startResultDelivery(config, { outbox: storage.outbox, node: nodeId, logger, audit });
    started.push({ name: 'result delivery', stop: () => delivery.stop() });
    if (config.destinations.dicom.length + config.destinations.dicomweb.length + config.destinations.hl7.length === 0) {
      logger.warn('no result destination is configured (destinations.dicom / destinations.dicomweb / destinations.hl7, or CD8_SR_DESTINATION / CD8_HL7_DESTINATION): results stay in the data directory and in "cd8-node status".');
    }

    // The durable queue between "study ready" and "results written".
    const handedBack = await queue.recoverRunning(nodeId);
    if (handedBack > 0) logger.warn(`${handedBack} job(s) were running when the node stopped; they run again now`);

    // Missing images fetched from the configured PACS (C-MOVE to our own AE title, or C-GET).
    let recheck = (_study: string) => {};
    let arrived = (_study: string) => {};
    const retrieval = new Retrieval(
      retrievalSources(config, { store, audit, logger, arrived: (study) => arrived(study) }),
      {
        maxAttempts: config.sources.maxAttempts,
        backoffMs: (failures) => backoffMs(failures, config.sources.initialBackoffS * 1000, config.sources.maxBackoffS * 1000),
        logger,
        audit,
        onChange: (study) => recheck(study),
      },
    );
    const assembler = new StudyAssembler(index, {
      stableAgeS: config.study.stableAgeS,
      waitPolicy: { withoutContours: config.study.withoutContours, withoutImages: config.study.withoutImages },
      retrieval,
      logger,
      audit,
      // With a shared database any node may have received a study: each judges those due.
      sweepEveryMs: shared ? Math.min(5_000, config.study.stableAgeS * 1000) : 0,
    });
    recheck = (study) => assembler.recheck(study);
    arrived = (study) => assembler.instanceArrived(study);
    started.push({ name: 'study assembly', stop: () => (retrieval.stop(), assembler.stop()) });
    // Analyses in a worker thread, one kept started (and warmed up) ahead of the next job, reused while its memory stays small.
    const analysis = startAnalysisRunner({ spare: services.processStudies !== false, warmUpConfig: config, logger });
    started.push({ name: 'analysis workers', stop: () => analysis.stop() });
    // The spare rehearses the last study analysed here, so that a restarted node's first study runs on settled code.
    if (services.processStudies !== false)
      void lastAnalysedJob(assembler, config)
        .then((job) => job && analysis.rehearseWith(job))
        .catch(() => undefined);
    // A node killed while its spare had a synthetic study (SIGKILL) left it in the temporary
    // directory. The stop waits for this sweep: its log line must come before the logger ends.
    const sweep = removeOrphanedSyntheticStudyDirs().then((n) => {
      if (n > 0) logger.debug(`removed ${n} synthetic rehearsal directories left by stopped processes in ${tmpdir()}`);
    });
    started.push({ name: 'sweep of leftover rehearsal directories', stop: () => sweep });
    const workers = startWorkers({
      queue,
      node: nodeId,
      leaseMs: config.jobs.leaseS * 1000,
      concurrency: config.jobs.concurrency,
      logger,
      process: studyProcessor({
        config,
        catalog: assembler,
        results,
        deliver: (analysis) => delivery.enqueue(analysis),
        deliverPictures: (analysis, pictures) => delivery.enqueuePictures(analysis, pictures),
        analyse: (job, onScored) => analysis.run(job, onScored),
        setup,
        logger,
        metrics,
        maxAttempts: config.jobs.maxAttempts,
      }),
    });
    // Stopped after the listener, before the assembly and the databases. A job still running after
    // the grace is handed back to the queue and runs again at the next start (docker stop waits 10 s).
    started.push({ name: 'job workers', stop: () => workers.stop(8_000) });
    assembler.onStudyReady((e) => {
      if (services.processStudies === false) return;
      queue.enqueue(e.studyInstanceUid, e.version).then(
        (job) => {
          // The assembler has said "study ready" and why; this line says what the node does with it.
          logger.info('study queued for processing', { studyInstanceUid: e.studyInstanceUid, version: e.version, job: job.id, recovered: e.recovered });
          workers.wake();
        },
        // The study stays ready: the stuck-study sweep queues it once the database answers again.
        (err: unknown) => logger.error(`cannot queue study ${e.studyInstanceUid} v${e.version}: ${errorText(err)}; the stuck-study sweep queues it later`),
      );
    });
    if (services.onStudyReady) assembler.onStudyReady(services.onStudyReady);
    const recovered = await assembler.start();
    if (recovered.receiving + recovered.announcedAgain > 0) {
      logger.info('study assembly resumed', { receivingStudies: recovered.receiving, readyStudiesAnnouncedAgain: recovered.announcedAgain });
    }

    const schedules = startSchedules(
      [
        { name: 'outbox retry', cron: config.schedules.outboxRetry, run: () => delivery.sender.kick(), everyNode: true },
        { name: 'retention', cron: config.schedules.retention, run: () => purgeOldStudies(index, config.retention.spoolDays, logger, audit).then(() => undefined) },
        // Only where studies are processed (an ingest-only node queues nothing).
        ...(services.processStudies === false
          ? []
          : [{ name: 'stuck-study sweep', cron: config.schedules.stuckStudySweep, run: () => sweepStuckStudies(assembler, queue, logger, workers.wake).then(() => undefined) }]),
        { name: 'daily summary', cron: config.schedules.dailySummary, run: () => dailySummary(assembler, results, queue, () => delivery.status(), logger).then(() => undefined) },
      ],
      logger,
      // Nodes sharing a database run retention, the sweep and the summary once per cluster.
      shared ? { claim: (name) => storage.cluster.claimScheduledRun(name, scheduleSlot(Date.now()), nodeId, Date.now()) } : {},
    );
    started.push({ name: 'schedules', stop: () => schedules.stop() });

    const database = watchDatabase(() => storage.check(), logger, { everyMs: shared ? 2_000 : 0 });
    started.push({ name: 'database watch', stop: () => database.stop() });
    const listener = await startDicomListener(config.dicom, {
      store,
      logger,
      audit,
      hashId,
      onStored: (instance) => assembler.instanceArrived(instance.studyInstanceUid),
      unavailable: () => database.problem(),
    });
    let listening = true;
    started.push({
      name: 'DICOM listener',
      stop: async () => {
        listening = false;
        await listener.stop();
      },
    });

    // The cluster's state as the gauges show it, read from the database before each scrape.
    let cluster = {
      outbox: {} as Record<string, number>,
      jobs: {} as Record<string, number>,
      runningPerNode: {} as Record<string, number>,
      nodes: [] as NodeInfo[],
      studies: {} as Record<string, number>,
    };
    const readClusterState = async () => {
      const [outbox, jobs, runningPerNode, nodes, studies] = await Promise.all([
        delivery.status(),
        queue.counts(),
        queue.runningPerNode(),
        storage.cluster.nodes(),
        index.countCurrentByState(),
      ]);
      cluster = { outbox: outbox.counts, jobs, runningPerNode, nodes, studies };
    };
    const byLabel = (label: string, values: Record<string, number>) => Object.entries(values).map(([key, value]) => ({ labels: { [label]: key }, value }));
    metrics.registry.add(new Gauge('cd8_outbox_messages', 'Result messages in the outbox, by state.', () => byLabel('state', cluster.outbox)));
    metrics.registry.add(new Gauge('cd8_jobs', 'Processing jobs, by state.', () => byLabel('state', cluster.jobs)));
    metrics.registry.add(new Gauge('cd8_jobs_running', 'Running jobs, by the node that runs them.', () => byLabel('node', cluster.runningPerNode)));
    metrics.registry.add(
      new Gauge('cd8_cluster_nodes_alive', 'Nodes sharing the database that sent a heartbeat recently.', () => cluster.nodes.filter((n) => isAlive(n, Date.now())).length),
    );
    metrics.registry.add(
      new Gauge('cd8_studies', 'Studies by the state of their current version (waiting = lacks contours or images after the stable age).', () => byLabel('state', cluster.studies)),
    );
    metrics.registry.add(
      new Gauge('cd8_retrievals', 'Retrievals of missing images from sources.dicom[] since the start, by state (running, retry = waiting for the next attempt, gave-up, finished).', () =>
        Object.entries(retrieval.counts()).map(([state, value]) => ({ labels: { state }, value })),
      ),
    );
    metrics.registry.add(new Gauge('cd8_dicom_associations_active', 'Open DICOM associations.', () => listener.activeAssociations()));

    let httpPort = 0;
    if (config.http.port > 0) {
      const checks: ReadinessCheck[] = [
        {
          name: 'database',
          check: () => database.checkNow(),
        },
        {
          name: 'disk',
          check: () => {
            const free = store.freeDiskMb();
            return free < config.storage.minFreeDiskMb ? `only ${free} MB free in ${dataDir} (storage.minFreeDiskMb is ${config.storage.minFreeDiskMb}); new instances are refused` : undefined;
          },
        },
        { name: 'dicom listener', check: () => (listening ? undefined : 'the DICOM listener is not accepting associations') },
      ];
      const webConsole = consoleRoutes({
        config,
        dataDir,
        configSource: services.configSource ?? { file: null, env: {} },
        catalog: assembler,
        storage,
        kickSender: () => delivery.sender.kick(),
        checks,
        auditFile: services.auditFile ?? auditFilePath(dataDir, config.log.auditFile),
        audit,
        logger,
        hashId,
        signature: { name: setup.signature.name, version: setup.signature.version, file: setup.signaturePath, pending: pendingItems(setup.signature) },
      });
      // Each module that serves HTTP adds its routes here (one line each).
      const httpRoutes: HttpRoutes[] = [webConsole];
      if (config.dicomweb.receive) {
        const MB = 1024 * 1024;
        httpRoutes.push(
          stowRoutes(
            {
              store,
              onStored: (instance) => assembler.instanceArrived(instance.studyInstanceUid),
              audit,
              logger,
              hashId,
              bounds: { maxBodyBytes: config.dicomweb.maxRequestMb * MB, maxParts: config.dicomweb.maxInstances, maxPartBytes: config.dicomweb.maxInstanceMb * MB },
              // The console's credentials (http.auth): sender or admin tokens store, viewers never.
              authorise: (authorization, ip) => webConsole.auth.storeAccess(authorization, ip),
            },
            { maxConcurrent: config.dicomweb.maxConcurrentRequests, idleTimeoutMs: STOW_IDLE_TIMEOUT_MS, maxReadMs: STOW_MAX_READ_MS },
          ),
        );
      }
      const http = await startHttpEndpoint({
        port: config.http.port,
        bind: config.http.bind,
        trustProxy: config.http.trustProxy,
        routes: httpRoutes,
        metrics: async () => {
          await readClusterState();
          return metrics.registry.render();
        },
        checks,
        guardProbes: config.http.auth.protectProbes
          ? (request, reply) => {
              const p = webConsole.auth.identify({ ip: request.ip, headers: request.headers });
              if (p && 'via' in p && p.via === 'token') return true;
              void reply.code(401).header('WWW-Authenticate', 'Bearer').type('text/plain; charset=utf-8').send('http.auth.protectProbes is on: send Authorization: Bearer <viewer or admin token>\n');
              return false;
            }
          : undefined,
      });
      httpPort = http.port;
      started.push({ name: 'HTTP endpoint', stop: () => http.close() });
      logger.info(
        `HTTP endpoint on http://${config.http.bind}:${http.port} (web console at /, /healthz, /readyz, /metrics${config.dicomweb.receive ? `, STOW-RS at POST ${STOW_PATH}` : ''})${webConsole.auth.open ? '; no http.auth credential: the console is read-only, loopback only' : ''}`,
      );
    }

    // After the HTTP endpoint: the heartbeat carries the port it really listens on (status, console).
    const heartbeat = startHeartbeat(
      storage.cluster,
      { nodeId, host: hostname(), pid: process.pid, dicomPort: listener.port, httpPort: httpPort > 0 ? httpPort : null, startedAt: Date.now() },
      logger,
    );
    started.push({ name: 'cluster heartbeat', stop: () => heartbeat.stop() });

    logger.info('node ready', { aeTitle: config.dicom.aeTitle, port: listener.port, httpPort, dataDir });
    return { dicomPort: listener.port, dicomTlsPort: listener.tlsPort, httpPort, studies: assembler, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
