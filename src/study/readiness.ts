/**
 * When is a study complete? Pure rules over facts the index gathers.
 *
 * Don't wait when you can know: an RTSTRUCT lists the images it was drawn on (Contour Image
 * Sequence). When every RTSTRUCT of the study matches a received CT series by frame of reference
 * and every image it lists has arrived, the study is complete now. Otherwise (no list, or a list
 * naming images that never come, as in re-identified data) it is complete when nothing arrived
 * for the stable age, and the notes say what was missing.
 */
import { MissingReferences, ReadyReason } from './types';

/**
 * What to do when the stable age passed and the study cannot be scored yet: `wait` keeps it
 * waiting (nothing is sent; a later instance makes it judged again), `report` processes it so
 * that its SR and ORU say what is missing.
 */
export type IncompletePolicy = 'wait' | 'report';

export interface WaitPolicy {
  /** CT but no RTSTRUCT. */
  withoutContours: IncompletePolicy;
  /** RTSTRUCT but no CT series in its frame of reference. */
  withoutImages: IncompletePolicy;
}

export const WAIT_BY_DEFAULT: WaitPolicy = { withoutContours: 'wait', withoutImages: 'wait' };
export const REPORT_ALWAYS: WaitPolicy = { withoutContours: 'report', withoutImages: 'report' };

/** Why a study waits after its stable age: what it lacks. */
export type WaitingFor = 'contours' | 'images';

export interface SeriesFacts {
  seriesInstanceUid: string;
  /** True when the series holds CT images (CT Image or Enhanced CT Image Storage). */
  isCt: boolean;
  frameOfReferenceUid?: string;
  instanceCount: number;
}

export interface RtStructFacts {
  sopInstanceUid: string;
  frameOfReferenceUids: string[];
  /** Series named in its RT Referenced Series (what a retrieval asks for). */
  seriesUids?: string[];
  /** Images named in its Contour Image Sequences. */
  referencedImageCount: number;
  missingImageCount: number;
  /** Some of the missing ones (the index returns a few, not all). */
  missingImageExamples: string[];
}

export interface ReadinessFacts {
  series: SeriesFacts[];
  rtstructs: RtStructFacts[];
  /** Arrival time of the last instance, ms since the epoch. */
  lastReceivedAt: number;
}

export type ReadinessDecision =
  | { ready: true; reason: ReadyReason; notes: string[]; missingReferences: MissingReferences[] }
  | { ready: false; checkAt: number }
  /** The stable age passed but the study lacks what it needs and the policy says wait. */
  | { ready: false; waitingFor: WaitingFor; reason: string; notes: string[] };

const EXAMPLES = 3;

export function decideReadiness(facts: ReadinessFacts, now: number, stableAgeMs: number, policy: WaitPolicy = WAIT_BY_DEFAULT): ReadinessDecision {
  const ctFrames = new Set(facts.series.filter((s) => s.isCt && s.frameOfReferenceUid).map((s) => s.frameOfReferenceUid as string));
  const hasCt = facts.series.some((s) => s.isCt);
  const matches = (r: RtStructFacts) => r.frameOfReferenceUids.some((f) => ctFrames.has(f));

  const referencesComplete =
    hasCt &&
    facts.rtstructs.length > 0 &&
    facts.rtstructs.every((r) => matches(r) && r.referencedImageCount > 0 && r.missingImageCount === 0);
  const missingReferences: MissingReferences[] = facts.rtstructs
    .filter((r) => r.missingImageCount > 0)
    .map((r) => ({
      rtstructSopInstanceUid: r.sopInstanceUid,
      referenced: r.referencedImageCount,
      missing: r.missingImageCount,
      examples: r.missingImageExamples.slice(0, EXAMPLES),
    }));
  if (referencesComplete) return { ready: true, reason: 'references-complete', notes: [], missingReferences };

  const quietSince = now - facts.lastReceivedAt;
  if (quietSince < stableAgeMs) return { ready: false, checkAt: facts.lastReceivedAt + stableAgeMs };

  const notes: string[] = [];
  if (!hasCt) notes.push('no CT image series was received.');
  if (facts.rtstructs.length === 0) notes.push('no RTSTRUCT was received.');
  for (const r of facts.rtstructs) {
    if (hasCt && !matches(r)) {
      const frames = r.frameOfReferenceUids.length > 0 ? r.frameOfReferenceUids.join(', ') : '(none given)';
      notes.push(`RTSTRUCT ${r.sopInstanceUid} references frame of reference ${frames}, but no CT series with that frame was received.`);
    }
    if (r.referencedImageCount === 0) {
      notes.push(`RTSTRUCT ${r.sopInstanceUid} lists no contour images, so completeness was judged by the stable age.`);
    } else if (r.missingImageCount > 0) {
      const examples = r.missingImageExamples.slice(0, EXAMPLES).join(', ');
      notes.push(
        `RTSTRUCT ${r.sopInstanceUid} lists ${r.referencedImageCount} contour images; ${r.missingImageCount} of them were not received (e.g. ${examples}).`,
      );
    }
  }
  if (policy.withoutContours === 'wait' && hasCt && facts.rtstructs.length === 0) {
    return { ready: false, waitingFor: 'contours', reason: 'waiting for contours: a CT series arrived but no RTSTRUCT; it is processed when one arrives.', notes };
  }
  if (policy.withoutImages === 'wait' && facts.rtstructs.length > 0 && !facts.rtstructs.some(matches)) {
    const what = hasCt ? 'no CT series in the frame of reference its RTSTRUCT references' : 'an RTSTRUCT arrived but no CT series';
    return { ready: false, waitingFor: 'images', reason: `waiting for images: ${what}; it is processed when the CT arrives.`, notes };
  }
  return { ready: true, reason: 'stable-age', notes, missingReferences };
}

/** Images the study's RTSTRUCTs reference that have not arrived: what a retrieval would fetch. */
export function missingImages(facts: ReadinessFacts): { seriesUids: string[]; referenced: number; missing: number } {
  const present = new Set(facts.series.filter((s) => s.isCt).map((s) => s.frameOfReferenceUid));
  const lacking = facts.rtstructs.filter((r) => r.missingImageCount > 0 || !r.frameOfReferenceUids.some((f) => present.has(f)));
  return {
    seriesUids: [...new Set(lacking.flatMap((r) => r.seriesUids ?? []))],
    referenced: lacking.reduce((n, r) => n + r.referencedImageCount, 0),
    missing: lacking.reduce((n, r) => n + r.missingImageCount, 0),
  };
}
