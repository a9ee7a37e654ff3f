/**
 * The instance and study index in PostgreSQL, shared by every node. Recording an instance locks
 * its study row first (FOR UPDATE), so two nodes receiving the same study (the CT on one, the
 * RTSTRUCT on the other) add to it one after the other and agree on its version; the same
 * instance stored by two nodes at once ends as one row.
 */
import { join } from 'node:path';
import { IndexedInstance, InstanceIndex, InstanceRecord, PurgeableInstance, RecordResult, RetentionIndex } from '../../store/types';
import type { StudyIndex, VersionRef } from '../../study/studyIndex';
import { ReadinessFacts, RtStructFacts, SeriesFacts } from '../../study/readiness';
import { ListStudiesOptions, MissingReferences, ReadyReason, STUDY_STATES, StudyInstance, StudyState, StudyVersionSummary } from '../../study/types';
import { SopClass } from '../../dicom/uids';
import { CT_CLASSES_SQL, RTSTRUCT_CLASS_SQL } from '../schema';
import {
  assertUnchanged,
  CountsRow,
  instanceColumns,
  InstanceRow,
  isSameStore,
  MISSING_EXAMPLES,
  referenceRows,
  RefRow,
  splitRefs,
  StudyRow,
  toIndexed,
  toStudyInstance,
  toSummary,
  VersionRow,
} from '../indexRows';
import { inTransaction, PgClient, PgPool } from '../postgres';

type Queryable = PgPool | PgClient;

const COUNTS_SQL = `SELECT COUNT(*)::int AS instances, COUNT(DISTINCT series_uid)::int AS series,
    SUM(CASE WHEN sop_class_uid IN (${CT_CLASSES_SQL}) THEN 1 ELSE 0 END)::int AS ct,
    SUM(CASE WHEN sop_class_uid = ${RTSTRUCT_CLASS_SQL} THEN 1 ELSE 0 END)::int AS rt
  FROM instances WHERE study_uid = $1 AND version <= $2`;

export class PgStudyIndex implements InstanceIndex, StudyIndex, RetentionIndex {
  constructor(
    private readonly pool: PgPool,
    private readonly dataDir: string,
  ) {}

  async findInstance(sopInstanceUid: string): Promise<IndexedInstance | undefined> {
    const r = await this.pool.query<InstanceRow>('SELECT * FROM instances WHERE sop_instance_uid = $1', [sopInstanceUid]);
    return r.rows[0] ? toIndexed(r.rows[0]) : undefined;
  }

  async recordInstance(record: InstanceRecord): Promise<RecordResult> {
    return inTransaction(this.pool, async (c): Promise<RecordResult> => {
      const at = record.receivedAt;
      const created = await c.query(
        `INSERT INTO studies (study_uid, patient_id, study_date, accession_number, current_version, first_received_at, last_received_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT (study_uid) DO NOTHING`,
        [record.studyInstanceUid, record.patientId ?? null, record.studyDate ?? null, record.accessionNumber ?? null, at],
      );
      let version = 1;
      let versionChange: RecordResult['versionChange'] = 'same';
      if (created.rowCount === 1) {
        await c.query(`INSERT INTO study_versions (study_uid, version, state, created_at, updated_at) VALUES ($1, 1, 'receiving', $2, $2)`, [record.studyInstanceUid, at]);
      }
      // The study row is the lock every writer of this study takes (another node may be adding to it).
      const study = (await c.query<StudyRow>('SELECT * FROM studies WHERE study_uid = $1 FOR UPDATE', [record.studyInstanceUid])).rows[0];
      const existing = (await c.query<InstanceRow>('SELECT * FROM instances WHERE sop_instance_uid = $1', [record.sopInstanceUid])).rows[0];
      assertUnchanged(existing, record);
      if (isSameStore(existing, record)) {
        await c.query('UPDATE instances SET duplicates = duplicates + 1 WHERE sop_instance_uid = $1', [record.sopInstanceUid]);
        return { version: existing.version, versionChange: 'same' };
      }
      if (created.rowCount !== 1) {
        version = study.current_version;
        const current = (await c.query<VersionRow>('SELECT * FROM study_versions WHERE study_uid = $1 AND version = $2', [record.studyInstanceUid, version])).rows[0];
        if (current.state === 'ready' || current.state === 'waiting') {
          await c.query(
            `UPDATE study_versions SET state = 'receiving', reason = NULL, ready_reason = NULL, ready_at = NULL, notes = '[]', missing_refs = '[]', updated_at = $1
             WHERE study_uid = $2 AND version = $3`,
            [at, record.studyInstanceUid, version],
          );
          versionChange = 'reopened';
        } else if (current.state !== 'receiving') {
          version += 1;
          await c.query(`INSERT INTO study_versions (study_uid, version, state, created_at, updated_at) VALUES ($1, $2, 'receiving', $3, $3)`, [record.studyInstanceUid, version, at]);
          versionChange = 'new-version';
        }
        await c.query(
          `UPDATE studies SET last_received_at = GREATEST(last_received_at, $1), current_version = $2,
             patient_id = COALESCE($3, patient_id), study_date = COALESCE($4, study_date), accession_number = COALESCE($5, accession_number)
           WHERE study_uid = $6`,
          [at, version, record.patientId ?? null, record.studyDate ?? null, record.accessionNumber ?? null, record.studyInstanceUid],
        );
      }
      const v = instanceColumns(record, version);
      const values = [
        v.sopInstanceUid,
        v.sopClassUid,
        v.studyInstanceUid,
        v.seriesInstanceUid,
        v.patientId,
        v.modality,
        v.frameOfReferenceUid,
        v.instanceNumber,
        v.seriesNumber,
        v.transferSyntaxUid,
        v.callingAeTitle,
        v.receivedAt,
        v.relativePath,
        v.size,
        v.datasetOffset,
        v.version,
      ];
      if (existing) {
        await c.query(
          `UPDATE instances SET sop_class_uid = $2, study_uid = $3, series_uid = $4, patient_id = $5, modality = $6, frame_of_reference_uid = $7,
             instance_number = $8, series_number = $9, transfer_syntax_uid = $10, calling_ae = $11, received_at = $12, path = $13, size = $14,
             dataset_offset = $15, version = $16
           WHERE sop_instance_uid = $1`,
          values,
        );
        await c.query(
          `INSERT INTO instance_replacements (sop_instance_uid, replaced_at, calling_ae, study_version, old_size, new_size, old_transfer_syntax_uid, new_transfer_syntax_uid)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [record.sopInstanceUid, at, record.callingAeTitle, version, existing.size, record.size, existing.transfer_syntax_uid, record.transferSyntaxUid],
        );
      } else {
        await c.query(
          `INSERT INTO instances (sop_instance_uid, sop_class_uid, study_uid, series_uid, patient_id, modality, frame_of_reference_uid,
             instance_number, series_number, transfer_syntax_uid, calling_ae, received_at, path, size, dataset_offset, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
          values,
        );
      }
      const refs = referenceRows(record);
      if (existing || refs.length > 0) await c.query('DELETE FROM rtstruct_refs WHERE rtstruct_uid = $1', [record.sopInstanceUid]);
      if (refs.length > 0) {
        await c.query(
          `INSERT INTO rtstruct_refs (rtstruct_uid, kind, uid) SELECT $1, k, u FROM unnest($2::text[], $3::text[]) AS t(k, u) ON CONFLICT DO NOTHING`,
          [record.sopInstanceUid, refs.map((r) => r.kind), refs.map((r) => r.uid)],
        );
      }
      return { version, versionChange, replaced: existing ? toIndexed(existing) : undefined };
    });
  }

  async recordDuplicate(sopInstanceUid: string, receivedAt: number): Promise<void> {
    await this.pool.query(
      `WITH dup AS (UPDATE instances SET duplicates = duplicates + 1 WHERE sop_instance_uid = $1 RETURNING study_uid)
       UPDATE studies SET last_received_at = GREATEST(last_received_at, $2)
       WHERE study_uid IN (SELECT study_uid FROM dup)
         AND EXISTS (SELECT 1 FROM study_versions v WHERE v.study_uid = studies.study_uid AND v.version = studies.current_version AND v.state = 'receiving')`,
      [sopInstanceUid, receivedAt],
    );
  }

  async currentVersionsIn(state: StudyState): Promise<Array<VersionRef & { lastReceivedAt: number }>> {
    const r = await this.pool.query<{ study_uid: string; current_version: number; last_received_at: number }>(
      `SELECT s.study_uid, s.current_version, s.last_received_at FROM studies s
       JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version WHERE v.state = $1`,
      [state],
    );
    return r.rows.map((x) => ({ studyInstanceUid: x.study_uid, version: x.current_version, lastReceivedAt: x.last_received_at }));
  }

  async readinessFacts(studyInstanceUid: string): Promise<(VersionRef & { state: StudyState; facts: ReadinessFacts }) | undefined> {
    // One snapshot of the study, whatever other nodes add meanwhile.
    return inTransaction(this.pool, (c) => this.readinessFactsIn(c, studyInstanceUid), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  private async readinessFactsIn(c: Queryable, studyInstanceUid: string): Promise<(VersionRef & { state: StudyState; facts: ReadinessFacts }) | undefined> {
    const study = (await c.query<StudyRow>('SELECT * FROM studies WHERE study_uid = $1', [studyInstanceUid])).rows[0];
    if (!study) return undefined;
    const current = (await c.query<VersionRow>('SELECT * FROM study_versions WHERE study_uid = $1 AND version = $2', [studyInstanceUid, study.current_version])).rows[0];
    if (current.state !== 'receiving' && current.state !== 'waiting') return undefined;
    const seriesRows = await c.query<{ series_uid: string; is_ct: number; frame: string | null; n: number }>(
      `SELECT series_uid, MAX(CASE WHEN sop_class_uid IN (${CT_CLASSES_SQL}) THEN 1 ELSE 0 END) AS is_ct, MAX(frame_of_reference_uid) AS frame, COUNT(*)::int AS n
       FROM instances WHERE study_uid = $1 GROUP BY series_uid`,
      [studyInstanceUid],
    );
    const series = seriesRows.rows.map(
      (s): SeriesFacts => ({ seriesInstanceUid: s.series_uid, isCt: s.is_ct === 1, frameOfReferenceUid: s.frame ?? undefined, instanceCount: s.n }),
    );
    const rtRows = await c.query<{ sop_instance_uid: string }>(`SELECT sop_instance_uid FROM instances WHERE study_uid = $1 AND sop_class_uid = ${RTSTRUCT_CLASS_SQL}`, [
      studyInstanceUid,
    ]);
    const rtstructs: RtStructFacts[] = [];
    for (const { sop_instance_uid: uid } of rtRows.rows) {
      const refs = (await c.query<RefRow>('SELECT kind, uid FROM rtstruct_refs WHERE rtstruct_uid = $1', [uid])).rows;
      const missing = await c.query<{ uid: string; n: number }>(
        `SELECT r.uid, COUNT(*) OVER ()::int AS n FROM rtstruct_refs r WHERE r.rtstruct_uid = $1 AND r.kind = 'image'
         AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_instance_uid = r.uid) LIMIT ${MISSING_EXAMPLES}`,
        [uid],
      );
      const missingCount = missing.rows[0]?.n ?? 0;
      rtstructs.push({
        sopInstanceUid: uid,
        frameOfReferenceUids: splitRefs(refs).frameOfReferenceUids,
        seriesUids: splitRefs(refs).seriesUids,
        referencedImageCount: refs.filter((x) => x.kind === 'image').length,
        missingImageCount: missingCount,
        missingImageExamples: missing.rows.map((x) => x.uid),
      });
    }
    return { studyInstanceUid, version: study.current_version, state: current.state, facts: { series, rtstructs, lastReceivedAt: study.last_received_at } };
  }

  async markReady(ref: VersionRef & { lastReceivedAt?: number }, reason: ReadyReason, notes: string[], missing: MissingReferences[], at: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE study_versions SET state = 'ready', ready_reason = $1, notes = $2, missing_refs = $3, ready_at = $4, updated_at = $4
       WHERE study_uid = $5 AND version = $6 AND state IN ('receiving', 'waiting')
         AND version = (SELECT current_version FROM studies WHERE study_uid = $5 AND ($7::bigint IS NULL OR last_received_at = $7))`,
      [reason, JSON.stringify(notes), JSON.stringify(missing), at, ref.studyInstanceUid, ref.version, ref.lastReceivedAt ?? null],
    );
    return r.rowCount === 1;
  }

  async markWaiting(ref: VersionRef, reason: string, notes: string[], at: number): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE study_versions SET state = 'waiting', reason = $1, notes = $2, updated_at = $3
       WHERE study_uid = $4 AND version = $5 AND state IN ('receiving', 'waiting')
         AND version = (SELECT current_version FROM studies WHERE study_uid = $4)`,
      [reason, JSON.stringify(notes), at, ref.studyInstanceUid, ref.version],
    );
    return r.rowCount === 1;
  }

  async countCurrentByState(): Promise<Record<StudyState, number>> {
    const counts = Object.fromEntries(STUDY_STATES.map((s) => [s, 0])) as Record<StudyState, number>;
    const r = await this.pool.query<{ state: StudyState; n: number }>(
      `SELECT v.state, COUNT(*)::int AS n FROM studies s JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version GROUP BY v.state`,
    );
    for (const row of r.rows) counts[row.state] = row.n;
    return counts;
  }

  async transition(ref: VersionRef, from: readonly StudyState[], to: StudyState, reason: string | undefined, at: number, currentOnly: boolean): Promise<boolean> {
    const states = from.filter((s) => STUDY_STATES.includes(s));
    if (states.length === 0) return false;
    const r = await this.pool.query(
      `UPDATE study_versions SET state = $1, reason = $2, updated_at = $3
       WHERE study_uid = $4 AND version = $5 AND state = ANY($6::text[])
       ${currentOnly ? 'AND version = (SELECT current_version FROM studies WHERE study_uid = $4)' : ''}`,
      [to, reason ?? null, at, ref.studyInstanceUid, ref.version, states],
    );
    return r.rowCount === 1;
  }

  async listStudies(options: ListStudiesOptions): Promise<StudyVersionSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!options.includeSuperseded) where.push('v.version = s.current_version');
    if (options.states && options.states.length > 0) {
      params.push(options.states);
      where.push(`v.state = ANY($${params.length}::text[])`);
    }
    const limit = Math.max(1, Math.min(options.limit ?? 50, 10000));
    const r = await this.pool.query<StudyRow & VersionRow>(
      `SELECT s.*, v.* FROM study_versions v JOIN studies s ON s.study_uid = v.study_uid
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY GREATEST(s.last_received_at, (SELECT MAX(x.updated_at) FROM study_versions x WHERE x.study_uid = s.study_uid)) DESC,
         s.study_uid, v.version DESC
       LIMIT ${limit}`,
      params,
    );
    const out: StudyVersionSummary[] = [];
    for (const row of r.rows) out.push(await this.summary(row));
    return out;
  }

  async getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined> {
    const study = (await this.pool.query<StudyRow>('SELECT * FROM studies WHERE study_uid = $1', [studyInstanceUid])).rows[0];
    if (!study) return undefined;
    const v = (await this.pool.query<VersionRow>('SELECT * FROM study_versions WHERE study_uid = $1 AND version = $2', [studyInstanceUid, version ?? study.current_version])).rows[0];
    return v ? this.summary({ ...study, ...v }) : undefined;
  }

  async listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]> {
    const rows = (
      await this.pool.query<InstanceRow>(
        `SELECT * FROM instances WHERE study_uid = $1 AND version <= $2
         ORDER BY series_number IS NULL, series_number, series_uid, instance_number IS NULL, instance_number, sop_instance_uid`,
        [studyInstanceUid, version],
      )
    ).rows;
    const out: StudyInstance[] = [];
    for (const r of rows) {
      const refs =
        r.sop_class_uid === SopClass.RtStructureSetStorage ? (await this.pool.query<RefRow>('SELECT kind, uid FROM rtstruct_refs WHERE rtstruct_uid = $1', [r.sop_instance_uid])).rows : undefined;
      out.push(toStudyInstance(r, this.dataDir, refs));
    }
    return out;
  }

  async purgeCandidates(before: number): Promise<Array<{ studyInstanceUid: string; version: number; doneAt: number; waiting?: string }>> {
    const r = await this.pool.query<{ study_uid: string; version: number; state: StudyState; reason: string | null; updated_at: number; last_received_at: number }>(
      `SELECT s.study_uid, v.version, v.state, v.reason, v.updated_at, s.last_received_at FROM studies s
       JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version
       WHERE ((v.state IN ('done', 'failed') AND v.updated_at < $1) OR (v.state = 'waiting' AND s.last_received_at < $1))
         AND EXISTS (SELECT 1 FROM instances i WHERE i.study_uid = s.study_uid)`,
      [before],
    );
    return r.rows.map((x) =>
      x.state === 'waiting'
        ? { studyInstanceUid: x.study_uid, version: x.version, doneAt: x.last_received_at, waiting: x.reason ?? 'waiting' }
        : { studyInstanceUid: x.study_uid, version: x.version, doneAt: x.updated_at },
    );
  }

  async purgeableInstances(studyInstanceUid: string): Promise<PurgeableInstance[]> {
    const r = await this.pool.query<{ sop_instance_uid: string; path: string }>('SELECT sop_instance_uid, path FROM instances WHERE study_uid = $1', [studyInstanceUid]);
    return r.rows.map((x) => ({ sopInstanceUid: x.sop_instance_uid, relativePath: x.path, path: join(this.dataDir, x.path) }));
  }

  async forgetInstances(studyInstanceUid: string, deleted: ReadonlyArray<{ sopInstanceUid: string; relativePath: string }>, at: number): Promise<number> {
    return inTransaction(this.pool, async (c) => {
      let forgotten = 0;
      for (const d of deleted) {
        const r = await c.query('DELETE FROM instances WHERE study_uid = $1 AND sop_instance_uid = $2 AND path = $3', [studyInstanceUid, d.sopInstanceUid, d.relativePath]);
        if (r.rowCount === 0) continue;
        await c.query('DELETE FROM rtstruct_refs WHERE rtstruct_uid = $1', [d.sopInstanceUid]);
        forgotten++;
      }
      if (forgotten > 0) await c.query('UPDATE studies SET purged_at = $1 WHERE study_uid = $2', [at, studyInstanceUid]);
      return forgotten;
    });
  }

  async isIndexedPath(relativePath: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM instances WHERE path = $1 LIMIT 1', [relativePath]);
    return (r.rowCount ?? 0) > 0;
  }

  private async summary(r: StudyRow & VersionRow): Promise<StudyVersionSummary> {
    const c = (await this.pool.query<CountsRow>(COUNTS_SQL, [r.study_uid, r.version])).rows[0];
    return toSummary(r, c);
  }
}
