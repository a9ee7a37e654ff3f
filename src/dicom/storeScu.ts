/**
 * C-STORE SCU: sends one Part 10 object to a DICOM peer and reports the outcome in words.
 * Success and warning statuses mean delivered; everything else (reject, abort, refused
 * presentation context, failure status, timeout, network error) is not.
 */
import { Dataset, requests } from 'dcmjs-dimse';
import { scuRequest, ScuTarget } from './scuAssociation';
import { readFileMeta, readPart10 } from './part10';
import { DimseStatus, describeStoreFailure, statusHex } from './status';

export type StoreTarget = ScuTarget;

export type StoreOutcome =
  | { ok: true; status: number; elapsedMs: number; warning?: string }
  | { ok: false; status?: number; elapsedMs: number; message: string };

/**
 * A Part 10 file's dataset sent as the bytes it was written with. dcmjs-dimse would decode the
 * file into elements and encode them again, which for an SR's deep content tree costs 0.2–0.5 s of
 * CPU (most of the delivery time); the bytes are the same. Only when the peer accepts another
 * transfer syntax than the file's are the elements decoded, for dcmjs-dimse to transcode them.
 */
class StoredDataset extends Dataset {
  private readonly datasetOffset: number;
  private decoded: Record<string, unknown> | undefined;

  constructor(private readonly part10: Buffer) {
    const meta = readFileMeta(part10);
    super({ SOPClassUID: meta.sopClassUid, SOPInstanceUID: meta.sopInstanceUid }, meta.transferSyntaxUid);
    this.datasetOffset = meta.datasetOffset;
  }

  override getElements(): Record<string, unknown> {
    this.decoded ??= readPart10(this.part10).dataset;
    return this.decoded;
  }

  override getDenaturalizedDataset(): Buffer {
    return this.part10.subarray(this.datasetOffset);
  }
}

export function cStore(target: StoreTarget, part10: Buffer): Promise<StoreOutcome> {
  const dataset = new StoredDataset(part10);
  const sopClassUid = String(dataset.getElement('SOPClassUID'));
  return scuRequest<{ status: number; warning?: string }>(target, {
    request: new requests.CStoreRequest(dataset),
    operation: 'C-STORE',
    what: `SOP class ${sopClassUid}`,
    settingsKey: 'destinations.dicom[]',
    onResponse(r, settle, who) {
      const response = r as { getStatus(): number; getErrorComment?(): string | undefined };
      const status = response.getStatus();
      if (status === DimseStatus.Success) return settle({ ok: true, status });
      if ((status & 0xf000) === 0xb000) return settle({ ok: true, status, warning: `${who} stored it with warning status ${statusHex(status)}` });
      const comment = response.getErrorComment?.();
      settle({ ok: false, status, message: `${who}: ${describeStoreFailure(status)}${comment ? ` ("${comment}")` : ''}.` });
    },
  });
}
