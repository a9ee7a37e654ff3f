/**
 * The configured PACS as retrieval sources (the DIMSE edge of study/retrieval.ts): C-MOVE to our
 * own AE title, or C-GET, whose images come back on our association and are stored here like any
 * C-STORE (same store, same audit, then judged by the assembler).
 */
import type { Config } from '../config/schema';
import type { AuditLog } from '../ops/audit';
import type { Logger } from '../ops/logger';
import { cMove, MoveProgress, MoveQuery } from '../dicom/moveScu';
import { cGet, RetrievedImage, retrievedImageProblem, SUB_REFUSED } from '../dicom/getScu';
import { STORAGE_CLASSES } from '../dicom/uids';
import { InstanceReceiver, isRefusal, receiveWholeDataset, storedAuditEvent } from '../dicom/receive';
import { DimseStatus, statusHex, storeStatusFor } from '../dicom/status';
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
    // A C-GET's images come on our association: stored like any C-STORE, answered with its status;
    // only the study and series asked for (a PACS cannot push other studies in this way).
    const storeRetrieved = async (image: RetrievedImage, query: MoveQuery) => {
      const notAsked = retrievedImageProblem(image, query);
      if (notAsked) {
        logger.warn(`C-GET sub-operation ${image.sopInstanceUid.slice(0, 64)} from ${source.name} refused: ${notAsked}.`, { studyInstanceUid: query.studyInstanceUid });
        audit.record({ event: 'instance.rejected', peer: `${source.host}:${source.port}`, callingAeTitle: source.aeTitle, sopInstanceUid: image.sopInstanceUid.slice(0, 64), status: statusHex(SUB_REFUSED.notAsked), reason: notAsked });
        return SUB_REFUSED.notAsked;
      }
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
      move: (query: MoveQuery, onProgress: (p: MoveProgress) => void) => {
        const options = { onProgress, idleTimeoutMs: config.sources.idleTimeoutS * 1000, maxImages: config.sources.maxImagesPerRetrieval, maxDurationMs: config.sources.maxRetrievalMinutes * 60_000 };
        return source.method === 'get'
          ? cGet(target, query, (image) => storeRetrieved(image, query), options)
          : cMove(target, source.moveDestination ?? config.dicom.aeTitle, query, options);
      },
    };
  });
}
