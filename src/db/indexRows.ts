/** The instance index's rows as both engines return them, and what the index makes of them. */
import { join } from 'node:path';
import { IndexChangedError, IndexedInstance, InstanceRecord } from '../store/types';
import type { MissingReferences, ReadyReason, StudyInstance, StudyState, StudyVersionSummary } from '../study/types';
import { SopClass } from '../dicom/uids';

export interface StudyRow {
  study_uid: string;
  patient_id: string | null;
  study_date: string | null;
  accession_number: string | null;
  current_version: number;
  first_received_at: number;
  last_received_at: number;
}

export interface VersionRow {
  study_uid: string;
  version: number;
  state: StudyState;
  reason: string | null;
  ready_reason: ReadyReason | null;
  notes: string;
  missing_refs: string;
  created_at: number;
  ready_at: number | null;
  updated_at: number;
}

export interface InstanceRow {
  sop_instance_uid: string;
  sop_class_uid: string;
  study_uid: string;
  series_uid: string;
  modality: string | null;
  frame_of_reference_uid: string | null;
  instance_number: number | null;
  series_number: number | null;
  transfer_syntax_uid: string;
  calling_ae: string;
  received_at: number;
  path: string;
  size: number;
  dataset_offset: number;
  version: number;
}

export interface RefRow {
  kind: string;
  uid: string;
}

export interface CountsRow {
  instances: number;
  series: number;
  ct: number | null;
  rt: number | null;
}

/** How many missing referenced images the readiness notes name. */
export const MISSING_EXAMPLES = 3;

export function toIndexed(row: InstanceRow): IndexedInstance {
  return {
    sopInstanceUid: row.sop_instance_uid,
    sopClassUid: row.sop_class_uid,
    studyInstanceUid: row.study_uid,
    seriesInstanceUid: row.series_uid,
    transferSyntaxUid: row.transfer_syntax_uid,
    relativePath: row.path,
    size: row.size,
    datasetOffset: row.dataset_offset,
  };
}

/** Throws IndexChangedError when the row is not the one the store decided on (InstanceRecord.expectedPath). */
export function assertUnchanged(existing: InstanceRow | undefined, record: InstanceRecord): void {
  if (record.expectedPath !== undefined && (existing?.path ?? null) !== record.expectedPath) throw new IndexChangedError(existing && toIndexed(existing));
}

/**
 * The same instance stored again through another node at the same moment (a shared spool): the
 * row already names this very file with this size, so recording it again changes nothing.
 */
export function isSameStore(existing: InstanceRow | undefined, record: InstanceRecord): boolean {
  return existing !== undefined && existing.path === record.relativePath && existing.size === record.size && existing.transfer_syntax_uid === record.transferSyntaxUid;
}

/** The columns of an instance row, by name (both engines bind these). */
export function instanceColumns(record: InstanceRecord, version: number) {
  return {
    sopInstanceUid: record.sopInstanceUid,
    sopClassUid: record.sopClassUid,
    studyInstanceUid: record.studyInstanceUid,
    seriesInstanceUid: record.seriesInstanceUid,
    patientId: record.patientId ?? null,
    modality: record.modality ?? null,
    frameOfReferenceUid: record.frameOfReferenceUid ?? null,
    instanceNumber: record.instanceNumber ?? null,
    seriesNumber: record.seriesNumber ?? null,
    transferSyntaxUid: record.transferSyntaxUid,
    callingAeTitle: record.callingAeTitle,
    receivedAt: record.receivedAt,
    relativePath: record.relativePath,
    size: record.size,
    datasetOffset: record.datasetOffset,
    version,
  };
}

/** The RTSTRUCT reference rows of a record: what it was drawn on. */
export function referenceRows(record: InstanceRecord): Array<{ kind: 'frame' | 'series' | 'image'; uid: string }> {
  const r = record.rtstruct;
  if (!r) return [];
  return [
    ...r.frameOfReferenceUids.map((uid) => ({ kind: 'frame' as const, uid })),
    ...r.seriesUids.map((uid) => ({ kind: 'series' as const, uid })),
    ...r.imageUids.map((uid) => ({ kind: 'image' as const, uid })),
  ];
}

export function splitRefs(refs: RefRow[]): { frameOfReferenceUids: string[]; seriesUids: string[]; imageUids: string[] } {
  return {
    frameOfReferenceUids: refs.filter((x) => x.kind === 'frame').map((x) => x.uid),
    seriesUids: refs.filter((x) => x.kind === 'series').map((x) => x.uid),
    imageUids: refs.filter((x) => x.kind === 'image').map((x) => x.uid),
  };
}

export function toStudyInstance(r: InstanceRow, dataDir: string, refs: RefRow[] | undefined): StudyInstance {
  const instance: StudyInstance = {
    sopInstanceUid: r.sop_instance_uid,
    sopClassUid: r.sop_class_uid,
    seriesInstanceUid: r.series_uid,
    modality: r.modality ?? undefined,
    frameOfReferenceUid: r.frame_of_reference_uid ?? undefined,
    instanceNumber: r.instance_number ?? undefined,
    seriesNumber: r.series_number ?? undefined,
    transferSyntaxUid: r.transfer_syntax_uid,
    path: join(dataDir, r.path),
    size: r.size,
    datasetOffset: r.dataset_offset,
    receivedAt: new Date(r.received_at),
    callingAeTitle: r.calling_ae,
  };
  if (r.sop_class_uid === SopClass.RtStructureSetStorage) instance.rtstruct = splitRefs(refs ?? []);
  return instance;
}

function parseJsonList<T>(text: string): T[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export function toSummary(r: StudyRow & VersionRow, c: CountsRow): StudyVersionSummary {
  return {
    studyInstanceUid: r.study_uid,
    version: r.version,
    state: r.state,
    reason: r.reason ?? undefined,
    readyReason: r.ready_reason ?? undefined,
    notes: parseJsonList<string>(r.notes),
    missingReferences: parseJsonList<MissingReferences>(r.missing_refs),
    patientId: r.patient_id ?? undefined,
    studyDate: r.study_date ?? undefined,
    accessionNumber: r.accession_number ?? undefined,
    instanceCount: c.instances,
    seriesCount: c.series,
    ctImageCount: c.ct ?? 0,
    rtstructCount: c.rt ?? 0,
    firstReceivedAt: new Date(r.first_received_at),
    lastReceivedAt: new Date(r.last_received_at),
    readyAt: r.ready_at === null ? undefined : new Date(r.ready_at),
    updatedAt: new Date(r.updated_at),
    superseded: r.version < r.current_version,
  };
}
