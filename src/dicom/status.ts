/**
 * DIMSE statuses (PS3.7 Annex C; C-STORE: PS3.4 Annex B.2.3): the ones we answer with as an SCP
 * and how we put a peer's answer into words as an SCU.
 */
import type { RefusalReason } from './receive';

export const DimseStatus = {
  Success: 0x0000,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  ProcessingFailure: 0x0110,
  SopClassNotSupported: 0x0122,
  NotAuthorized: 0x0124,
  UnrecognizedOperation: 0x0211,
} as const;

/** "0xA700" */
export function statusHex(status: number): string {
  return `0x${status.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** A failure status a storage SCP answered, in words (the ranges of PS3.4 Table B.2-1). */
export function describeStoreFailure(status: number): string {
  const hex = statusHex(status);
  if (status >= 0xa700 && status <= 0xa7ff) return `the peer is out of resources (${hex}); try again later`;
  if (status >= 0xa900 && status <= 0xa9ff) return `the peer says the data set does not match the SOP class (${hex})`;
  if (status >= 0xc000 && status <= 0xcfff) return `the peer cannot understand the object (${hex})`;
  if (status === DimseStatus.SopClassNotSupported) return `the peer does not support this SOP class (${hex})`;
  if (status === DimseStatus.NotAuthorized) return `the peer refuses the store: not authorised (${hex})`;
  return `the peer answered with failure status ${hex}`;
}

/** The C-STORE status that answers a refusal of the store. */
export function storeStatusFor(reason: RefusalReason): number {
  switch (reason) {
    case 'out-of-space':
    case 'index-unavailable':
      return DimseStatus.OutOfResources;
    case 'sop-class-mismatch':
      return DimseStatus.DataSetDoesNotMatchSopClass;
    case 'unreadable':
      return DimseStatus.CannotUnderstand;
    case 'failed':
      return DimseStatus.ProcessingFailure;
  }
}

/** A failure a Query/Retrieve SCP answered to our C-MOVE or C-GET, in words (PS3.4 C.4.2.1.5, C.4.3.1.4). */
export function describeRetrieveFailure(status: number): string {
  const hex = statusHex(status);
  if (status === 0xa801) return 'it does not know the move destination (0xA801): add our AE title, host and port to its list of DICOM nodes';
  if (status === 0xa701 || status === 0xa702) return `it is out of resources (${hex}); try again later`;
  if (status === 0xa900) return 'the identifier does not match the SOP class (0xA900)';
  if (status === 0xfe00) return 'the retrieval was cancelled (0xFE00)';
  if (status === DimseStatus.SopClassNotSupported) return `it does not support this retrieval (${hex})`;
  if (status === DimseStatus.NotAuthorized) return `it refuses the retrieval: not authorised (${hex})`;
  if (status >= 0xc000 && status <= 0xcfff) return `it cannot process the request (${hex}); check that it holds the series`;
  return `it answered with failure status ${hex}`;
}
