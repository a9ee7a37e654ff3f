/**
 * The analyses the node produced (one row per study version), and the scores of their lesions:
 * the node's own cohort for a percentile cut-off, and what `cd8-node status` shows.
 */
import { migrate, SqliteDatabase } from '../store/database';
import type { StudyAnalysis } from './types';
import { significant } from '../ops/format';

const MODULE = 'results';
const SCHEMA: readonly string[] = [
  `CREATE TABLE analyses (
     study_uid TEXT NOT NULL,
     version INTEGER NOT NULL,
     status TEXT NOT NULL,
     lesion_count INTEGER NOT NULL,
     scored_count INTEGER NOT NULL,
     outcome TEXT NOT NULL,
     analysis TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (study_uid, version)
   );
   CREATE TABLE lesion_scores (
     study_uid TEXT NOT NULL,
     version INTEGER NOT NULL,
     tracking_uid TEXT NOT NULL,
     site TEXT NOT NULL,
     score REAL NOT NULL,
     PRIMARY KEY (study_uid, version, tracking_uid)
   );`,
  // 2: which signature gave each score, so that a percentile cut-off never mixes two signatures'
  // scales (scores saved before this step have none and leave the cohort).
  `ALTER TABLE lesion_scores ADD COLUMN signature TEXT;`,
];

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

export class ResultStore {
  constructor(private readonly db: SqliteDatabase) {
    migrate(db, MODULE, SCHEMA);
  }

  /** Saves (or replaces) the analysis of a study version and its lesion scores, atomically. */
  save(a: StudyAnalysis): AnalysisRow {
    const now = Date.now();
    const row: AnalysisRow = {
      studyInstanceUid: a.study.studyInstanceUid,
      version: a.study.version,
      status: a.status,
      lesionCount: a.lesions.length,
      scoredCount: a.summary.count,
      outcome: outcomeLine(a),
      createdAt: new Date(now),
    };
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO analyses (study_uid, version, status, lesion_count, scored_count, outcome, analysis, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(row.studyInstanceUid, row.version, row.status, row.lesionCount, row.scoredCount, row.outcome, JSON.stringify(a), now);
      this.db.prepare(`DELETE FROM lesion_scores WHERE study_uid = ? AND version = ?`).run(row.studyInstanceUid, row.version);
      const insert = this.db.prepare(`INSERT INTO lesion_scores (study_uid, version, tracking_uid, site, score, signature) VALUES (?, ?, ?, ?, ?, ?)`);
      const signature = signatureKey(a.signature);
      for (const l of a.lesions) if (l.score !== null) insert.run(row.studyInstanceUid, row.version, l.trackingUid, l.site, l.score, signature);
    })();
    return row;
  }

  get(studyInstanceUid: string, version: number): StudyAnalysis | undefined {
    return readAnalysis(this.db, studyInstanceUid, version);
  }

  /**
   * The node's cohort: the lesion scores of the latest analysed version of every study except
   * `excludeStudy`, given by the signature `signature` (signatureKey) only: scores of another
   * signature, or another version of it, are on another scale.
   */
  cohortScores(signature: string, excludeStudy?: string): number[] {
    const rows = this.db
      .prepare(
        `SELECT s.score FROM lesion_scores s
         JOIN (SELECT study_uid, MAX(version) AS version FROM analyses GROUP BY study_uid) latest
           ON latest.study_uid = s.study_uid AND latest.version = s.version
         WHERE s.study_uid <> ? AND s.signature = ?`,
      )
      .all(excludeStudy ?? '', signature) as Array<{ score: number }>;
    return rows.map((r) => r.score);
  }

  counts(sinceMs: number): { analysed: number; scored: number; notScored: number } {
    const r = this.db
      .prepare(`SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'scored' THEN 1 ELSE 0 END) AS scored FROM analyses WHERE created_at >= ?`)
      .get(sinceMs) as { n: number; scored: number | null };
    return { analysed: r.n, scored: r.scored ?? 0, notScored: r.n - (r.scored ?? 0) };
  }
}

/** An analysis from any connection (read-only included); undefined when there is none (or no table yet). */
export function readAnalysis(db: SqliteDatabase, studyInstanceUid: string, version: number): StudyAnalysis | undefined {
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analyses'`).get()) return undefined;
  const r = db.prepare(`SELECT analysis FROM analyses WHERE study_uid = ? AND version = ?`).get(studyInstanceUid, version) as { analysis: string } | undefined;
  return r ? (JSON.parse(r.analysis) as StudyAnalysis) : undefined;
}
