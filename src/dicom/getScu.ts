/**
 * C-GET SCU (Study Root Query/Retrieve): the PACS sends the images on the same association (its
 * C-STORE sub-operations, for which we propose every storage SOP class in the SCP role), so no
 * route back to us is needed. Each image is handed to `store`, whose DIMSE status is the answer;
 * the PACS's pending responses report the progress.
 */
import { Dataset, requests, responses as responses_ } from 'dcmjs-dimse';
import { scuRequest, ScuTarget } from './scuAssociation';
import { MoveOutcome, MoveProgress, MoveQuery, retrieveResponses, RetrieveOptions } from './moveScu';

/** One image the PACS sent: its dataset as encoded, with its transfer syntax and UIDs. */
export interface RetrievedImage {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  dataset: Buffer;
}

/** Why a C-GET sub-operation is not what was asked for (another study or series), or undefined. */
export function retrievedImageProblem(image: Pick<RetrievedImage, 'studyInstanceUid' | 'seriesInstanceUid'>, query: MoveQuery): string | undefined {
  if (image.studyInstanceUid !== query.studyInstanceUid) return `it belongs to study ${image.studyInstanceUid.slice(0, 64) || '(none)'}, not to the study asked for`;
  if (query.seriesInstanceUid !== undefined && image.seriesInstanceUid !== query.seriesInstanceUid) return `it belongs to series ${image.seriesInstanceUid.slice(0, 64) || '(none)'}, not to the series asked for`;
  return undefined;
}

/** C-STORE sub-operation statuses we answer with when we refuse an image. */
export const SUB_REFUSED = { notAsked: 0xc000, tooMany: 0xa700, unreadable: 0xc000 } as const;

/** Gets the query's images; `store` keeps each (or refuses it) and answers with its DIMSE status. */
export function cGet(target: ScuTarget, query: MoveQuery, store: (image: RetrievedImage) => Promise<number>, options: RetrieveOptions): Promise<MoveOutcome> {
  const request = query.seriesInstanceUid
    ? requests.CGetRequest.createSeriesGetRequest(query.studyInstanceUid, query.seriesInstanceUid)
    : requests.CGetRequest.createStudyGetRequest(query.studyInstanceUid);
  let images = 0;
  const responses = retrieveResponses(options);
  return scuRequest<{ status: number; progress: MoveProgress; warning?: string }>(target, {
    request,
    operation: 'C-GET',
    what: 'Study Root Query/Retrieve – GET',
    settingsKey: 'sources.dicom[]',
    idleTimeoutMs: options.idleTimeoutMs,
    maxDurationMs: options.maxDurationMs,
    onClient(client, keepAlive, settle, who) {
      client.on('cStoreRequest', (sub: { getDataset(): Dataset | undefined }, callback: (r: unknown) => void) => {
        keepAlive();
        const response = responses_.CStoreResponse.fromRequest(sub as never);
        const answer = (status: number) => {
          response.setStatus(status);
          callback(response);
        };
        images++;
        // The PACS decides how many images it pushes: beyond the bound, the retrieval stops.
        if (images > options.maxImages) {
          answer(SUB_REFUSED.tooMany);
          settle({ ok: false, message: `${who} sent more than the ${options.maxImages} images one retrieval may bring (sources.maxImagesPerRetrieval); the retrieval was stopped.` });
          return;
        }
        const dataset = sub.getDataset();
        if (!dataset) return answer(SUB_REFUSED.unreadable);
        const text = (name: string) => String(dataset.getElement(name) ?? '');
        const image: RetrievedImage = {
          sopClassUid: text('SOPClassUID'),
          sopInstanceUid: text('SOPInstanceUID'),
          studyInstanceUid: text('StudyInstanceUID'),
          seriesInstanceUid: text('SeriesInstanceUID'),
          transferSyntaxUid: dataset.getTransferSyntaxUid(),
          dataset: Buffer.from(dataset.getDenaturalizedDataset()),
        };
        store(image).then(answer, () => answer(0x0110));
      });
    },
    onResponse: responses,
  }) as Promise<MoveOutcome>;
}
