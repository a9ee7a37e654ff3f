/**
 * Asked between the extraction's steps by a caller that may stop needing the result (a worker's
 * rehearsal when a job comes); true ends the extraction with ExtractionStopped.
 */
export type StopCheck = () => boolean;

/** The extraction was stopped by its caller's StopCheck: there is no result. */
export class ExtractionStopped extends Error {
  override readonly name = 'ExtractionStopped';
  constructor() {
    super('the feature extraction was stopped: its caller no longer needs the result');
  }
}

export function stopIfAsked(shouldStop: StopCheck | undefined): void {
  if (shouldStop?.()) throw new ExtractionStopped();
}
