/** Analyses and lesion scores in PostgreSQL: one cohort for every node. */
import { analysisRow, AnalysisRow, LATEST_PAGE, ResultStore, scoredLesions, signatureKey } from '../../results/resultStore';
import type { StudyAnalysis } from '../../results/types';
import { inTransaction, PgPool } from '../postgres';

export class PgResultStore implements ResultStore {
  constructor(private readonly pool: PgPool) {}

  async save(a: StudyAnalysis): Promise<AnalysisRow> {
    const now = Date.now();
    const row = analysisRow(a, now);
    const signature = signatureKey(a.signature);
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO analyses (study_uid, version, status, lesion_count, scored_count, outcome, analysis, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (study_uid, version) DO UPDATE SET status = excluded.status, lesion_count = excluded.lesion_count, scored_count = excluded.scored_count,
           outcome = excluded.outcome, analysis = excluded.analysis, created_at = excluded.created_at`,
        [row.studyInstanceUid, row.version, row.status, row.lesionCount, row.scoredCount, row.outcome, JSON.stringify(a), now],
      );
      await c.query(`DELETE FROM lesion_scores WHERE study_uid = $1 AND version = $2`, [row.studyInstanceUid, row.version]);
      for (const l of scoredLesions(a)) {
        await c.query(`INSERT INTO lesion_scores (study_uid, version, tracking_uid, site, score, signature) VALUES ($1, $2, $3, $4, $5, $6)`, [
          row.studyInstanceUid,
          row.version,
          l.trackingUid,
          l.site,
          l.score,
          signature,
        ]);
      }
    });
    return row;
  }

  async get(studyInstanceUid: string, version: number): Promise<StudyAnalysis | undefined> {
    const r = await this.pool.query<{ analysis: string }>(`SELECT analysis FROM analyses WHERE study_uid = $1 AND version = $2`, [studyInstanceUid, version]);
    return r.rows[0] ? (JSON.parse(r.rows[0].analysis) as StudyAnalysis) : undefined;
  }

  async cohortScores(signature: string, excludeStudy?: string): Promise<number[]> {
    const r = await this.pool.query<{ score: number }>(
      `SELECT s.score FROM lesion_scores s
       JOIN (SELECT study_uid, MAX(version) AS version FROM analyses GROUP BY study_uid) latest
         ON latest.study_uid = s.study_uid AND latest.version = s.version
       WHERE s.study_uid <> $1 AND s.signature = $2`,
      [excludeStudy ?? '', signature],
    );
    return r.rows.map((x) => x.score);
  }

  async counts(sinceMs: number): Promise<{ analysed: number; scored: number; notScored: number }> {
    const r = await this.pool.query<{ n: number; scored: number }>(
      `SELECT COUNT(*)::int AS n, COALESCE(SUM(CASE WHEN status = 'scored' THEN 1 ELSE 0 END), 0)::int AS scored FROM analyses WHERE created_at >= $1`,
      [sinceMs],
    );
    const { n, scored } = r.rows[0];
    return { analysed: n, scored, notScored: n - scored };
  }

  async *latest(sinceMs: number): AsyncIterable<StudyAnalysis> {
    // Pages by (created_at, study_uid): the whole table's JSON is never in memory at once.
    let after: [number, string] = [-1, ''];
    for (;;) {
      const r = await this.pool.query<{ analysis: string; created_at: string; study_uid: string }>(
        `SELECT a.analysis, a.created_at, a.study_uid FROM analyses a
         JOIN (SELECT study_uid, MAX(version) AS version FROM analyses GROUP BY study_uid) latest
           ON latest.study_uid = a.study_uid AND latest.version = a.version
         WHERE a.created_at >= $1 AND (a.created_at, a.study_uid) > ($2, $3)
         ORDER BY a.created_at, a.study_uid LIMIT ${LATEST_PAGE}`,
        [sinceMs, after[0], after[1]],
      );
      for (const x of r.rows) yield JSON.parse(x.analysis) as StudyAnalysis;
      if (r.rows.length < LATEST_PAGE) return;
      const last = r.rows[r.rows.length - 1];
      after = [Number(last.created_at), last.study_uid];
    }
  }
}
