/**
 * The configured PACS as retrieval sources (the DIMSE edge of study/retrieval.ts): C-MOVE to our
 * own AE title, or C-GET, whose images come back on our association and are stored here like any
 * C-STORE (same store, same audit, then judged by the assembler).
 */
import type { Config } from '../config/schema';
import type { AuditLog } from '../ops/audit';
import type { Logger } from '../ops/logger';
import { cMove, MoveProgress, MoveQuery } from '../dicom/moveScu';
import { cGet, RetrievedImage } from '../dicom/getScu';
import { STORAGE_CLASSES } from '../dicom/uids';
import { InstanceReceiver, isRefusal, receiveWholeDataset, storedAuditEvent } from '../dicom/receive';
import { DimseStatus, storeStatusFor } from '../dicom/status';
import { errorText } from '../ops/errorText';
import { loadTlsOptions } from '../net/tlsFiles';
import type { RetrievalSource } from './retrieval';

export function retrievalSources(
  config: Config,
  deps: { store: InstanceReceiver; audit: AuditLog; logger: Logger; arrived(studyInstanceUid: string): void },
): RetrievalSource[] {
  const { store, audit, logger, arrived } = deps;
  return config.sources.dicom.map((source, i) => {
    const target = {
      host: source.host,
      port: source.port,
      calledAeTitle: source.aeTitle,
      callingAeTitle: source.callingAeTitle ?? config.dicom.aeTitle,
      timeoutMs: 30_000,
      tls: loadTlsOptions(source.tls, `sources.dicom[${i}].tls`),
      settingsKey: `sources.dicom[${i}]`,
    };
    const idleMs = config.sources.idleTimeoutS * 1000;
    // A C-GET's images come on our association: stored like any C-STORE, answered with its status.
    const storeRetrieved = async (image: RetrievedImage) => {
      if (!STORAGE_CLASSES.has(image.sopClassUid)) return DimseStatus.SopClassNotSupported;
      try {
        const stored = await receiveWholeDataset(store, { ...image, callingAeTitle: source.aeTitle }, image.dataset);
        audit.record(storedAuditEvent(stored, `${source.host}:${source.port}`, source.aeTitle));
        arrived(stored.studyInstanceUid);
        return DimseStatus.Success;
      } catch (e) {
        logger.warn(`C-GET sub-operation ${image.sopInstanceUid} from ${source.name} not stored: ${errorText(e)}`);
        return isRefusal(e) ? storeStatusFor(e.reason) : DimseStatus.ProcessingFailure;
      }
    };
    return {
      name: source.name,
      move: (query: MoveQuery, onProgress: (p: MoveProgress) => void) =>
        source.method === 'get'
          ? cGet(target, query, storeRetrieved, onProgress, idleMs)
          : cMove(target, source.moveDestination ?? config.dicom.aeTitle, query, onProgress, idleMs),
    };
  });
}
