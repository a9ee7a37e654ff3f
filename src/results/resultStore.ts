/**
 * The analyses the node produced (one row per study version), and the scores of their lesions:
 * the node's own cohort for a percentile cut-off, and what `cd8-node status` shows.
 */
import type { StudyAnalysis } from './types';
import { significant } from '../ops/format';

/** How the cohort knows a signature: its name and version as every output states them. */
export function signatureKey(s: Pick<StudyAnalysis['signature'], 'name' | 'version'>): string {
  return `${s.name} ${s.version}`;
}

export interface AnalysisRow {
  studyInstanceUid: string;
  version: number;
  status: StudyAnalysis['status'];
  lesionCount: number;
  scoredCount: number;
  /** One line for an admin, e.g. "2 lesions, 2 scored: mean 0.95, min 0.41 (1 hot)". */
  outcome: string;
  createdAt: Date;
}

const fmt = (v: number | null) => significant(v, 3);

/** The one-line outcome of an analysis, as `cd8-node status` and the study index show it. */
export function outcomeLine(a: StudyAnalysis): string {
  const n = a.lesions.length;
  const lesions = `${n} lesion${n === 1 ? '' : 's'}`;
  if (a.status === 'scored') {
    const s = a.summary;
    const hot = a.lesions.filter((l) => l.classification === 'hot').length;
    const classed = a.lesions.filter((l) => l.classification !== null).length;
    const classes = classed > 0 ? `, ${hot} hot / ${classed - hot} cold` : ', no hot/cold cut-off yet';
    return `${lesions}, ${s.count} scored: CD8 score mean ${fmt(s.mean)}, min ${fmt(s.min)}, max ${fmt(s.max)}${classes}`;
  }
  const why = a.problems.map((p) => p.message).join(' ') || 'no lesion could be scored';
  return `not scored (${lesions}): ${why}`;
}

/**
 * Where analyses are kept: db/sqlite/results.ts (one node) and db/postgres/results.ts (shared).
 */
export interface ResultStore {
  /** Saves (or replaces) the analysis of a study version and its lesion scores, atomically. */
  save(a: StudyAnalysis): Promise<AnalysisRow>;
  get(studyInstanceUid: string, version: number): Promise<StudyAnalysis | undefined>;
  /**
   * The node's cohort: the lesion scores of the latest analysed version of every study except
   * `excludeStudy`, given by the signature `signature` (signatureKey) only: scores of another
   * signature, or another version of it, are on another scale.
   */
  cohortScores(signature: string, excludeStudy?: string): Promise<number[]>;
  counts(sinceMs: number): Promise<{ analysed: number; scored: number; notScored: number }>;
  /**
   * The latest analysed version of every study analysed at or after `sinceMs`, oldest first (the
   * research export), read a page at a time so the whole table's JSON is never in memory at once.
   */
  latest(sinceMs: number): AsyncIterable<StudyAnalysis>;
}

/** Analyses per page of `latest`. */
export const LATEST_PAGE = 100;

/** The row an analysis becomes (what both engines store beside the analysis's JSON). */
export function analysisRow(a: StudyAnalysis, now: number): AnalysisRow {
  return {
    studyInstanceUid: a.study.studyInstanceUid,
    version: a.study.version,
    status: a.status,
    lesionCount: a.lesions.length,
    scoredCount: a.summary.count,
    outcome: outcomeLine(a),
    createdAt: new Date(now),
  };
}

/** The scores an analysis adds to the cohort. */
export function scoredLesions(a: StudyAnalysis): Array<{ trackingUid: string; site: string; score: number }> {
  return a.lesions.flatMap((l) => (l.score === null ? [] : [{ trackingUid: l.trackingUid, site: l.site, score: l.score }]));
}
