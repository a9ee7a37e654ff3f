/**
 * C-GET SCU (Study Root Query/Retrieve): the PACS sends the images on the same association (its
 * C-STORE sub-operations, for which we propose every storage SOP class in the SCP role), so no
 * route back to us is needed. Each image is handed to `store`, whose DIMSE status is the answer;
 * the PACS's pending responses report the progress.
 */
import { Dataset, requests, responses } from 'dcmjs-dimse';
import { scuRequest, ScuTarget } from './scuAssociation';
import { interpretRetrieveResponse, MoveOutcome, MoveProgress, MoveQuery } from './moveScu';

/** One image the PACS sent: its dataset as encoded, with its transfer syntax and UIDs. */
export interface RetrievedImage {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  dataset: Buffer;
}

export function cGet(target: ScuTarget, query: MoveQuery, store: (image: RetrievedImage) => Promise<number>, onProgress?: (p: MoveProgress) => void, idleTimeoutMs?: number): Promise<MoveOutcome> {
  const request = query.seriesInstanceUid
    ? requests.CGetRequest.createSeriesGetRequest(query.studyInstanceUid, query.seriesInstanceUid)
    : requests.CGetRequest.createStudyGetRequest(query.studyInstanceUid);
  let last: MoveProgress | undefined;
  return scuRequest<{ status: number; progress: MoveProgress; warning?: string }>(target, {
    request,
    operation: 'C-GET',
    what: 'Study Root Query/Retrieve – GET',
    settingsKey: 'sources.dicom[]',
    idleTimeoutMs,
    onClient(client, keepAlive) {
      client.on('cStoreRequest', (sub: { getDataset(): Dataset | undefined }, callback: (r: unknown) => void) => {
        keepAlive();
        const response = responses.CStoreResponse.fromRequest(sub as never);
        const dataset = sub.getDataset();
        const answer = (status: number) => {
          response.setStatus(status);
          callback(response);
        };
        if (!dataset) return answer(0xc000);
        const image: RetrievedImage = {
          sopClassUid: String(dataset.getElement('SOPClassUID') ?? ''),
          sopInstanceUid: String(dataset.getElement('SOPInstanceUID') ?? ''),
          transferSyntaxUid: dataset.getTransferSyntaxUid(),
          dataset: Buffer.from(dataset.getDenaturalizedDataset()),
        };
        store(image).then(answer, () => answer(0x0110));
      });
    },
    onResponse(r, settle, who) {
      last = interpretRetrieveResponse(r, last, settle, who, onProgress);
    },
  }) as Promise<MoveOutcome>;
}
