/**
 * Result delivery as the node runs it: the outbox on the node's storage, a sender with the
 * configured destinations, backoff and timeouts, and `enqueue(analysis)` for the pipeline.
 * main.ts starts it after the store and stops it before closing the storage.
 */
import type { Config } from '../config/schema';
import type { Logger } from '../ops/logger';
import type { AuditLog } from '../ops/audit';
import type { StudyAnalysis } from '../results/types';
import type { StudyPictures } from '../report/pictures';
import type { NewMessage, Outbox, OutboxStatus } from './outbox';
import { enqueuePictureObjects, enqueueStudyResults, PlannedResults } from './plan';
import { deliverySettingsFromConfig, Sender, startSender } from './sender';
import { configuredTransport } from './transports';

/** C-STORE gives up on a silent PACS after this long (connect, association and each PDU). */
export const DICOM_SEND_TIMEOUT_MS = 30_000;

export interface ResultDelivery {
  outbox: Outbox;
  sender: Sender;
  /** Builds the SR/summary/ORU of this study version and queues them; idempotent per version. */
  enqueue(analysis: StudyAnalysis, pictures?: StudyPictures): Promise<PlannedResults & { newRowIds: number[] }>;
  /** Queues the pictures' objects of a study version whose SR is queued (the pipeline draws them after); idempotent per version. */
  enqueuePictures(analysis: StudyAnalysis, pictures: StudyPictures): Promise<Omit<PlannedResults, 'sr'> & { newRowIds: number[] }>;
  status(): Promise<OutboxStatus>;
  stop(): Promise<void>;
}

export function startResultDelivery(config: Config, deps: { outbox: Outbox; node?: string; logger?: Logger; audit?: AuditLog }): ResultDelivery {
  const { outbox } = deps;
  const sender = startSender({
    outbox,
    node: deps.node,
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
  const queued = <T extends { messages: NewMessage[]; picturesError?: string }>(analysis: StudyAnalysis, planned: T): T => {
    if (planned.picturesError) deps.logger?.warn(`${planned.picturesError}; the SR and ORU are queued without them`, { studyInstanceUid: analysis.study.studyInstanceUid, version: analysis.study.version });
    for (const m of planned.messages) {
      deps.audit?.record({ event: 'result.queued', studyInstanceUid: m.studyInstanceUid, destination: m.destination, sopInstanceUid: m.kind === 'dicom' ? m.messageKey : undefined });
    }
    sender.kick();
    return planned;
  };
  return {
    outbox,
    sender,
    enqueue: async (analysis, pictures) => queued(analysis, await enqueueStudyResults(outbox, analysis, config, pictures)),
    enqueuePictures: async (analysis, pictures) => queued(analysis, await enqueuePictureObjects(outbox, analysis, config, pictures)),
    status: () => outbox.status(),
    stop: () => sender.stop(),
  };
}
