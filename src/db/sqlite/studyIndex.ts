/**
 * The instance and study index in SQLite (tables of module "store").
 * Every write is one transaction of the index's own connection (synchronous=NORMAL, see db/sqlite.ts).
 */
import { join } from 'node:path';
import { SqliteDb } from '../sqlite';
import { IndexedInstance, InstanceIndex, InstanceRecord, PurgeableInstance, RecordResult, RetentionIndex } from '../../store/types';
import type { StudyIndex, VersionRef } from '../../study/studyIndex';
import { ReadinessFacts, RtStructFacts, SeriesFacts } from '../../study/readiness';
import { ListStudiesOptions, MissingReferences, ReadyReason, STUDY_STATES, StudyInstance, StudyState, StudyVersionSummary } from '../../study/types';
import { CT_CLASSES_SQL, RTSTRUCT_CLASS_SQL } from '../schema';
import { SopClass } from '../../dicom/uids';
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

export class SqliteStudyIndex implements InstanceIndex, StudyIndex, RetentionIndex {
  private readonly st;
  /** recordInstance's transaction, made once (better-sqlite3 builds a wrapper per db.transaction call). */
  private readonly record: (record: InstanceRecord) => RecordResult;

  /** On a migrated database (db/migrate.ts); `dataDir` turns stored relative paths into absolute ones. */
  constructor(
    private readonly db: SqliteDb,
    private readonly dataDir: string,
  ) {
    this.st = {
      instance: db.prepare('SELECT * FROM instances WHERE sop_instance_uid = ?'),
      study: db.prepare('SELECT * FROM studies WHERE study_uid = ?'),
      version: db.prepare('SELECT * FROM study_versions WHERE study_uid = ? AND version = ?'),
      currentState: db.prepare(
        `SELECT s.current_version AS version, v.state FROM studies s JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version
         WHERE s.study_uid = ?`,
      ),
      insertStudy: db.prepare(
        `INSERT INTO studies (study_uid, patient_id, study_date, accession_number, current_version, first_received_at, last_received_at)
         VALUES (?, ?, ?, ?, 1, ?, ?)`,
      ),
      touchStudy: db.prepare(
        `UPDATE studies SET last_received_at = MAX(last_received_at, ?), current_version = ?,
           patient_id = COALESCE(?, patient_id), study_date = COALESCE(?, study_date), accession_number = COALESCE(?, accession_number)
         WHERE study_uid = ?`,
      ),
      insertVersion: db.prepare(`INSERT INTO study_versions (study_uid, version, state, created_at, updated_at) VALUES (?, ?, 'receiving', ?, ?)`),
      reopenVersion: db.prepare(
        `UPDATE study_versions SET state = 'receiving', reason = NULL, ready_reason = NULL, ready_at = NULL, notes = '[]', missing_refs = '[]', updated_at = ?
         WHERE study_uid = ? AND version = ?`,
      ),
      insertInstance: db.prepare(
        `INSERT INTO instances (sop_instance_uid, sop_class_uid, study_uid, series_uid, patient_id, modality, frame_of_reference_uid,
           instance_number, series_number, transfer_syntax_uid, calling_ae, received_at, path, size, dataset_offset, version)
         VALUES (@sopInstanceUid, @sopClassUid, @studyInstanceUid, @seriesInstanceUid, @patientId, @modality, @frameOfReferenceUid,
           @instanceNumber, @seriesNumber, @transferSyntaxUid, @callingAeTitle, @receivedAt, @relativePath, @size, @datasetOffset, @version)`,
      ),
      replaceInstance: db.prepare(
        `UPDATE instances SET sop_class_uid = @sopClassUid, study_uid = @studyInstanceUid, series_uid = @seriesInstanceUid,
           patient_id = @patientId, modality = @modality, frame_of_reference_uid = @frameOfReferenceUid, instance_number = @instanceNumber,
           series_number = @seriesNumber, transfer_syntax_uid = @transferSyntaxUid, calling_ae = @callingAeTitle, received_at = @receivedAt,
           path = @relativePath, size = @size, dataset_offset = @datasetOffset, version = @version
         WHERE sop_instance_uid = @sopInstanceUid`,
      ),
      insertReplacement: db.prepare(
        `INSERT INTO instance_replacements (sop_instance_uid, replaced_at, calling_ae, study_version, old_size, new_size, old_transfer_syntax_uid, new_transfer_syntax_uid)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteRefs: db.prepare('DELETE FROM rtstruct_refs WHERE rtstruct_uid = ?'),
      insertRef: db.prepare('INSERT OR IGNORE INTO rtstruct_refs (rtstruct_uid, kind, uid) VALUES (?, ?, ?)'),
      refs: db.prepare('SELECT kind, uid FROM rtstruct_refs WHERE rtstruct_uid = ?'),
      countDuplicate: db.prepare('UPDATE instances SET duplicates = duplicates + 1 WHERE sop_instance_uid = ?'),
      touchReceiving: db.prepare(
        `UPDATE studies SET last_received_at = MAX(last_received_at, ?)
         WHERE study_uid = ? AND EXISTS (SELECT 1 FROM study_versions v WHERE v.study_uid = studies.study_uid AND v.version = studies.current_version AND v.state = 'receiving')`,
      ),
      currentIn: db.prepare(
        `SELECT s.study_uid, s.current_version, s.last_received_at FROM studies s
         JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version WHERE v.state = ?`,
      ),
      series: db.prepare(
        `SELECT series_uid, MAX(sop_class_uid IN (${CT_CLASSES_SQL})) AS is_ct, MAX(frame_of_reference_uid) AS frame, COUNT(*) AS n
         FROM instances WHERE study_uid = ? GROUP BY series_uid`,
      ),
      rtstructs: db.prepare(`SELECT sop_instance_uid FROM instances WHERE study_uid = ? AND sop_class_uid = ${RTSTRUCT_CLASS_SQL}`),
      refCount: db.prepare(`SELECT COUNT(*) AS n FROM rtstruct_refs WHERE rtstruct_uid = ? AND kind = 'image'`),
      missingCount: db.prepare(
        `SELECT COUNT(*) AS n FROM rtstruct_refs r WHERE r.rtstruct_uid = ? AND r.kind = 'image'
         AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_instance_uid = r.uid)`,
      ),
      missingExamples: db.prepare(
        `SELECT r.uid FROM rtstruct_refs r WHERE r.rtstruct_uid = ? AND r.kind = 'image'
         AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.sop_instance_uid = r.uid) LIMIT ${MISSING_EXAMPLES}`,
      ),
      markReady: db.prepare(
        `UPDATE study_versions SET state = 'ready', ready_reason = ?, notes = ?, missing_refs = ?, ready_at = ?, updated_at = ?
         WHERE study_uid = ? AND version = ? AND state IN ('receiving', 'waiting')
           AND version = (SELECT current_version FROM studies WHERE study_uid = ? AND (? IS NULL OR last_received_at = ?))`,
      ),
      markWaiting: db.prepare(
        `UPDATE study_versions SET state = 'waiting', reason = ?, notes = ?, updated_at = ?
         WHERE study_uid = ? AND version = ? AND state IN ('receiving', 'waiting')
           AND version = (SELECT current_version FROM studies WHERE study_uid = ?)`,
      ),
      countByState: db.prepare(
        `SELECT v.state, COUNT(*) AS n FROM studies s JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version GROUP BY v.state`,
      ),
      counts: db.prepare(
        `SELECT COUNT(*) AS instances, COUNT(DISTINCT series_uid) AS series,
           SUM(sop_class_uid IN (${CT_CLASSES_SQL})) AS ct, SUM(sop_class_uid = ${RTSTRUCT_CLASS_SQL}) AS rt
         FROM instances WHERE study_uid = ? AND version <= ?`,
      ),
      instancesOf: db.prepare(
        `SELECT * FROM instances WHERE study_uid = ? AND version <= ?
         ORDER BY series_number IS NULL, series_number, series_uid, instance_number IS NULL, instance_number, sop_instance_uid`,
      ),
      pathIndexed: db.prepare('SELECT 1 FROM instances WHERE path = ? LIMIT 1'),
    };
    this.record = db.transaction((record: InstanceRecord) => this.recordRows(record));
  }

  async findInstance(sopInstanceUid: string): Promise<IndexedInstance | undefined> {
    const row = this.st.instance.get(sopInstanceUid) as InstanceRow | undefined;
    return row ? toIndexed(row) : undefined;
  }

  async recordInstance(record: InstanceRecord): Promise<RecordResult> {
    return this.record(record);
  }

  /** recordInstance inside its transaction. Per new instance of a receiving study: 3 look-ups, the study's row and the instance's row. */
  private recordRows(record: InstanceRecord): RecordResult {
    const at = record.receivedAt;
    const existing = this.st.instance.get(record.sopInstanceUid) as InstanceRow | undefined;
    assertUnchanged(existing, record);
    if (isSameStore(existing, record)) {
      this.st.countDuplicate.run(record.sopInstanceUid);
      return { version: existing!.version, versionChange: 'same' };
    }
    const current = this.st.currentState.get(record.studyInstanceUid) as { version: number; state: StudyState } | undefined;
    let version = 1;
    let versionChange: RecordResult['versionChange'] = 'same';
    if (!current) {
      this.st.insertStudy.run(record.studyInstanceUid, record.patientId ?? null, record.studyDate ?? null, record.accessionNumber ?? null, at, at);
      this.st.insertVersion.run(record.studyInstanceUid, 1, at, at);
    } else {
      version = current.version;
      if (current.state === 'ready' || current.state === 'waiting') {
        this.st.reopenVersion.run(at, record.studyInstanceUid, version);
        versionChange = 'reopened';
      } else if (current.state !== 'receiving') {
        version += 1;
        this.st.insertVersion.run(record.studyInstanceUid, version, at, at);
        versionChange = 'new-version';
      }
      // Always written: last_received_at moves with every instance (readiness's quiet timer).
      this.st.touchStudy.run(at, version, record.patientId ?? null, record.studyDate ?? null, record.accessionNumber ?? null, record.studyInstanceUid);
    }
    if (existing) {
      this.st.replaceInstance.run(instanceColumns(record, version));
      this.st.insertReplacement.run(
        record.sopInstanceUid,
        at,
        record.callingAeTitle,
        version,
        existing.size,
        record.size,
        existing.transfer_syntax_uid,
        record.transferSyntaxUid,
      );
    } else {
      this.st.insertInstance.run(instanceColumns(record, version));
    }
    // A new instance has no reference rows (forgetInstances removes them with their instance), as in db/postgres/studyIndex.ts.
    const refs = referenceRows(record);
    if (existing || refs.length > 0) this.st.deleteRefs.run(record.sopInstanceUid);
    for (const ref of refs) this.st.insertRef.run(record.sopInstanceUid, ref.kind, ref.uid);
    return { version, versionChange, replaced: existing ? toIndexed(existing) : undefined };
  }

  async recordDuplicate(sopInstanceUid: string, receivedAt: number): Promise<void> {
    this.db.transaction(() => {
      const row = this.st.instance.get(sopInstanceUid) as InstanceRow | undefined;
      if (!row) return;
      this.st.countDuplicate.run(sopInstanceUid);
      this.st.touchReceiving.run(receivedAt, row.study_uid);
    })();
  }

  async currentVersionsIn(state: StudyState): Promise<Array<VersionRef & { lastReceivedAt: number }>> {
    const rows = this.st.currentIn.all(state) as Array<{ study_uid: string; current_version: number; last_received_at: number }>;
    return rows.map((r) => ({ studyInstanceUid: r.study_uid, version: r.current_version, lastReceivedAt: r.last_received_at }));
  }

  async readinessFacts(studyInstanceUid: string): Promise<(VersionRef & { state: StudyState; facts: ReadinessFacts }) | undefined> {
    return this.db.transaction(() => {
      const study = this.st.study.get(studyInstanceUid) as StudyRow | undefined;
      if (!study) return undefined;
      const current = this.st.version.get(studyInstanceUid, study.current_version) as VersionRow;
      if (current.state !== 'receiving' && current.state !== 'waiting') return undefined;
      const series = (this.st.series.all(studyInstanceUid) as Array<{ series_uid: string; is_ct: number; frame: string | null; n: number }>).map(
        (s): SeriesFacts => ({ seriesInstanceUid: s.series_uid, isCt: s.is_ct === 1, frameOfReferenceUid: s.frame ?? undefined, instanceCount: s.n }),
      );
      const rtstructs = (this.st.rtstructs.all(studyInstanceUid) as Array<{ sop_instance_uid: string }>).map((r): RtStructFacts => {
        const uid = r.sop_instance_uid;
        const refs = this.st.refs.all(uid) as RefRow[];
        const missing = (this.st.missingCount.get(uid) as { n: number }).n;
        return {
          sopInstanceUid: uid,
          frameOfReferenceUids: splitRefs(refs).frameOfReferenceUids,
          seriesUids: splitRefs(refs).seriesUids,
          referencedImageCount: (this.st.refCount.get(uid) as { n: number }).n,
          missingImageCount: missing,
          missingImageExamples: missing > 0 ? (this.st.missingExamples.all(uid) as Array<{ uid: string }>).map((x) => x.uid) : [],
        };
      });
      return {
        studyInstanceUid,
        version: study.current_version,
        state: current.state,
        facts: { series, rtstructs, lastReceivedAt: study.last_received_at },
      };
    })();
  }

  async markReady(ref: VersionRef & { lastReceivedAt?: number }, reason: ReadyReason, notes: string[], missing: MissingReferences[], at: number): Promise<boolean> {
    const judged = ref.lastReceivedAt ?? null;
    const r = this.st.markReady.run(reason, JSON.stringify(notes), JSON.stringify(missing), at, at, ref.studyInstanceUid, ref.version, ref.studyInstanceUid, judged, judged);
    return r.changes === 1;
  }

  async markWaiting(ref: VersionRef, reason: string, notes: string[], at: number): Promise<boolean> {
    return this.st.markWaiting.run(reason, JSON.stringify(notes), at, ref.studyInstanceUid, ref.version, ref.studyInstanceUid).changes === 1;
  }

  async countCurrentByState(): Promise<Record<StudyState, number>> {
    const counts = Object.fromEntries(STUDY_STATES.map((s) => [s, 0])) as Record<StudyState, number>;
    for (const r of this.st.countByState.all() as Array<{ state: StudyState; n: number }>) counts[r.state] = r.n;
    return counts;
  }

  async transition(ref: VersionRef, from: readonly StudyState[], to: StudyState, reason: string | undefined, at: number, currentOnly: boolean): Promise<boolean> {
    const states = from.filter((s) => STUDY_STATES.includes(s));
    if (states.length === 0) return false;
    const sql = `UPDATE study_versions SET state = ?, reason = ?, updated_at = ?
      WHERE study_uid = ? AND version = ? AND state IN (${states.map(() => '?').join(', ')})
      ${currentOnly ? 'AND version = (SELECT current_version FROM studies WHERE study_uid = ?)' : ''}`;
    const params: unknown[] = [to, reason ?? null, at, ref.studyInstanceUid, ref.version, ...states];
    if (currentOnly) params.push(ref.studyInstanceUid);
    return this.db.prepare(sql).run(...params).changes === 1;
  }

  async listStudies(options: ListStudiesOptions): Promise<StudyVersionSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!options.includeSuperseded) where.push('v.version = s.current_version');
    if (options.states && options.states.length > 0) {
      where.push(`v.state IN (${options.states.map(() => '?').join(', ')})`);
      params.push(...options.states);
    }
    const limit = Math.max(1, Math.min(options.limit ?? 50, 10000));
    const rows = this.db
      .prepare(
        `SELECT s.*, v.* FROM study_versions v JOIN studies s ON s.study_uid = v.study_uid
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY MAX(s.last_received_at, (SELECT MAX(x.updated_at) FROM study_versions x WHERE x.study_uid = s.study_uid)) DESC,
           s.study_uid, v.version DESC
         LIMIT ${limit}`,
      )
      .all(...params) as Array<StudyRow & VersionRow>;
    return rows.map((r) => this.summary(r));
  }

  async getStudy(studyInstanceUid: string, version?: number): Promise<StudyVersionSummary | undefined> {
    const study = this.st.study.get(studyInstanceUid) as StudyRow | undefined;
    if (!study) return undefined;
    const v = this.st.version.get(studyInstanceUid, version ?? study.current_version) as VersionRow | undefined;
    return v ? this.summary({ ...study, ...v }) : undefined;
  }

  async listInstances(studyInstanceUid: string, version: number): Promise<StudyInstance[]> {
    const rows = this.st.instancesOf.all(studyInstanceUid, version) as InstanceRow[];
    return rows.map((r) => toStudyInstance(r, this.dataDir, r.sop_class_uid === SopClass.RtStructureSetStorage ? (this.st.refs.all(r.sop_instance_uid) as RefRow[]) : undefined));
  }

  async purgeCandidates(before: number): Promise<Array<{ studyInstanceUid: string; version: number; doneAt: number; waiting?: string }>> {
    const rows = this.db
      .prepare(
        `SELECT s.study_uid, v.version, v.state, v.reason, v.updated_at, s.last_received_at FROM studies s
         JOIN study_versions v ON v.study_uid = s.study_uid AND v.version = s.current_version
         WHERE ((v.state IN ('done', 'failed') AND v.updated_at < ?) OR (v.state = 'waiting' AND s.last_received_at < ?))
           AND EXISTS (SELECT 1 FROM instances i WHERE i.study_uid = s.study_uid)`,
      )
      .all(before, before) as Array<{ study_uid: string; version: number; state: StudyState; reason: string | null; updated_at: number; last_received_at: number }>;
    return rows.map((r) =>
      r.state === 'waiting'
        ? { studyInstanceUid: r.study_uid, version: r.version, doneAt: r.last_received_at, waiting: r.reason ?? 'waiting' }
        : { studyInstanceUid: r.study_uid, version: r.version, doneAt: r.updated_at },
    );
  }

  async purgeableInstances(studyInstanceUid: string): Promise<PurgeableInstance[]> {
    const rows = this.db.prepare('SELECT sop_instance_uid, path FROM instances WHERE study_uid = ?').all(studyInstanceUid) as Array<{ sop_instance_uid: string; path: string }>;
    return rows.map((r) => ({ sopInstanceUid: r.sop_instance_uid, relativePath: r.path, path: join(this.dataDir, r.path) }));
  }

  async forgetInstances(studyInstanceUid: string, deleted: ReadonlyArray<{ sopInstanceUid: string; relativePath: string }>, at: number): Promise<number> {
    return this.db.transaction(() => {
      const forget = this.db.prepare('DELETE FROM instances WHERE study_uid = ? AND sop_instance_uid = ? AND path = ?');
      let forgotten = 0;
      for (const d of deleted) {
        if (forget.run(studyInstanceUid, d.sopInstanceUid, d.relativePath).changes === 0) continue;
        this.st.deleteRefs.run(d.sopInstanceUid);
        forgotten++;
      }
      if (forgotten > 0) this.db.prepare('UPDATE studies SET purged_at = ? WHERE study_uid = ?').run(at, studyInstanceUid);
      return forgotten;
    })();
  }

  /** A full scan (no index on path): only for spool files whose name does not carry their SOP Instance UID. */
  async isIndexedPath(relativePath: string): Promise<boolean> {
    return this.st.pathIndexed.get(relativePath) !== undefined;
  }

  private summary(r: StudyRow & VersionRow): StudyVersionSummary {
    return toSummary(r, this.st.counts.get(r.study_uid, r.version) as CountsRow);
  }
}
