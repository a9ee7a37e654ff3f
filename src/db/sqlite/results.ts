/** Analyses and lesion scores in SQLite. */
import { analysisRow, AnalysisRow, LATEST_PAGE, ResultStore, scoredLesions, signatureKey } from '../../results/resultStore';
import type { StudyAnalysis } from '../../results/types';
import { hasTable, SqliteDb, statementCache } from '../sqlite';

export class SqliteResultStore implements ResultStore {
  private readonly q;

  constructor(private readonly db: SqliteDb) {
    this.q = statementCache(db);
  }

  async save(a: StudyAnalysis): Promise<AnalysisRow> {
    const now = Date.now();
    const row = analysisRow(a, now);
    const signature = signatureKey(a.signature);
    this.db.transaction(() => {
      this.q(`INSERT OR REPLACE INTO analyses (study_uid, version, status, lesion_count, scored_count, outcome, analysis, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
        row.studyInstanceUid,
        row.version,
        row.status,
        row.lesionCount,
        row.scoredCount,
        row.outcome,
        JSON.stringify(a),
        now,
      );
      this.q(`DELETE FROM lesion_scores WHERE study_uid = ? AND version = ?`).run(row.studyInstanceUid, row.version);
      const insert = this.q(`INSERT INTO lesion_scores (study_uid, version, tracking_uid, site, score, signature) VALUES (?, ?, ?, ?, ?, ?)`);
      for (const l of scoredLesions(a)) insert.run(row.studyInstanceUid, row.version, l.trackingUid, l.site, l.score, signature);
    })();
    return row;
  }

  async get(studyInstanceUid: string, version: number): Promise<StudyAnalysis | undefined> {
    // A read-only tool may open a database an older node made before results existed.
    if (!hasTable(this.db, 'analyses')) return undefined;
    const r = this.q(`SELECT analysis FROM analyses WHERE study_uid = ? AND version = ?`).get(studyInstanceUid, version) as { analysis: string } | undefined;
    return r ? (JSON.parse(r.analysis) as StudyAnalysis) : undefined;
  }

  async cohortScores(signature: string, excludeStudy?: string): Promise<number[]> {
    const rows = this.q(
      `SELECT s.score FROM lesion_scores s
       JOIN (SELECT study_uid, MAX(version) AS version FROM analyses GROUP BY study_uid) latest
         ON latest.study_uid = s.study_uid AND latest.version = s.version
       WHERE s.study_uid <> ? AND s.signature = ?`,
    ).all(excludeStudy ?? '', signature) as Array<{ score: number }>;
    return rows.map((r) => r.score);
  }

  async counts(sinceMs: number): Promise<{ analysed: number; scored: number; notScored: number }> {
    const r = this.q(`SELECT COUNT(*) AS n, SUM(CASE WHEN status = 'scored' THEN 1 ELSE 0 END) AS scored FROM analyses WHERE created_at >= ?`).get(sinceMs) as {
      n: number;
      scored: number | null;
    };
    return { analysed: r.n, scored: r.scored ?? 0, notScored: r.n - (r.scored ?? 0) };
  }

  async *latest(sinceMs: number): AsyncIterable<StudyAnalysis> {
    if (!hasTable(this.db, 'analyses')) return;
    // Pages by (created_at, study_uid): the whole table's JSON is never in memory at once.
    let after: [number, string] = [-1, ''];
    for (;;) {
      const rows = this.q(
        `SELECT a.analysis, a.created_at, a.study_uid FROM analyses a
         JOIN (SELECT study_uid, MAX(version) AS version FROM analyses GROUP BY study_uid) latest
           ON latest.study_uid = a.study_uid AND latest.version = a.version
         WHERE a.created_at >= ? AND (a.created_at > ? OR (a.created_at = ? AND a.study_uid > ?))
         ORDER BY a.created_at, a.study_uid LIMIT ${LATEST_PAGE}`,
      ).all(sinceMs, after[0], after[0], after[1]) as Array<{ analysis: string; created_at: number; study_uid: string }>;
      for (const r of rows) yield JSON.parse(r.analysis) as StudyAnalysis;
      if (rows.length < LATEST_PAGE) return;
      const last = rows[rows.length - 1];
      after = [last.created_at, last.study_uid];
    }
  }
}
