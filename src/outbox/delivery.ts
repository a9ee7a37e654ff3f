/**
 * Result delivery as the node runs it: the outbox on the node's database, a sender with the
 * configured destinations, backoff and timeouts, and `enqueue(analysis)` for the pipeline.
 * main.ts starts it after the store (same database handle) and stops it before closing the db.
 */
import type { Database } from 'better-sqlite3';
import type { Config } from '../config/schema';
import type { Logger } from '../ops/logger';
import type { AuditLog } from '../ops/audit';
import type { StudyAnalysis } from '../results/types';
import type { StudyPictures } from '../report/pictures';
import { Outbox, OutboxStatus } from './outbox';
import { enqueueStudyResults, PlannedResults } from './plan';
import { deliverySettingsFromConfig, Sender, startSender } from './sender';
import { configuredTransport } from './transports';

/** C-STORE gives up on a silent PACS after this long (connect, association and each PDU). */
export const DICOM_SEND_TIMEOUT_MS = 30_000;

export interface ResultDelivery {
  outbox: Outbox;
  sender: Sender;
  /** Builds the SR/summary/ORU of this study version and queues them; idempotent per version. */
  enqueue(analysis: StudyAnalysis, pictures?: StudyPictures): PlannedResults & { newRowIds: number[] };
  status(): OutboxStatus;
  stop(): Promise<void>;
}

export function startResultDelivery(config: Config, deps: { db: Database; logger?: Logger; audit?: AuditLog }): ResultDelivery {
  const outbox = new Outbox(deps.db);
  const sender = startSender({
    outbox,
    transport: configuredTransport({
      destinations: config.destinations,
      callingAeTitle: config.dicom.aeTitle,
      dicomTimeoutMs: DICOM_SEND_TIMEOUT_MS,
      ackTimeoutMs: config.hl7.ackTimeoutS * 1000,
    }),
    settings: deliverySettingsFromConfig(config, DICOM_SEND_TIMEOUT_MS),
    logger: deps.logger,
    audit: deps.audit,
  });
  return {
    outbox,
    sender,
    enqueue(analysis, pictures) {
      const planned = enqueueStudyResults(outbox, analysis, config, pictures);
      if (planned.picturesError) deps.logger?.warn(`${planned.picturesError}; the SR and ORU are queued without them`, { studyInstanceUid: analysis.study.studyInstanceUid, version: analysis.study.version });
      for (const m of planned.messages) {
        deps.audit?.record({ event: 'result.queued', studyInstanceUid: m.studyInstanceUid, destination: m.destination, sopInstanceUid: m.kind === 'dicom' ? m.messageKey : undefined });
      }
      sender.kick();
      return planned;
    },
    status: () => outbox.status(),
    stop: () => sender.stop(),
  };
}
