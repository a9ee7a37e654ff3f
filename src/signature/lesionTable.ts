/**
 * The research table of analysed lesions (pure): one row per lesion, identity columns then every
 * feature of the tumour and of its ring by IBSI key ("tumour:stat_mean",
 * "ring:cm_contrast[3D merged]"). `cd8-node export features` and `features --batch` write it;
 * `signature fit` and `signature validate` read it. No patient identifier: the patient column is
 * a hash, the lesion ID is the lesion's tracking UID (derived from study, frame and ROI).
 */
import type { LesionSite, StudyAnalysis } from '../results/types';
import { signatureKey } from '../results/resultStore';
import { csvLine, CsvTable } from './csv';

export const ID_COLUMN = 'lesion_id';
export const IDENTITY_COLUMNS = [ID_COLUMN, 'study_uid', 'patient', 'tracking_id', 'site', 'volume_ml', 'kvp', 'flags', 'analysed_at', 'signature'] as const;

export type Region = 'tumour' | 'ring';
export const featureColumn = (region: Region, key: string): string => `${region}:${key}`;

export interface LesionRow {
  lesionId: string;
  studyUid: string;
  patient: string;
  trackingId: string;
  site: LesionSite;
  volumeMl: number;
  kvp: number | null;
  /** Quality flag codes. */
  flags: string[];
  analysedAt: string;
  /**
   * The signature (name and version) the lesion was analysed under: its radiomics settings made
   * the features, so features of different signatures may not be comparable.
   */
  signature: string;
  /** Column name (region:key) → value; NaN for a feature undefined in this lesion. */
  features: Record<string, number>;
}

/** The rows of some analyses (lesions without features, e.g. failed ones, are left out). */
export function lesionRows(analyses: readonly StudyAnalysis[], hashPatient: (id: string) => string): LesionRow[] {
  const rows: LesionRow[] = [];
  for (const a of analyses) {
    for (const l of a.lesions) {
      if (!l.features) continue;
      const features: Record<string, number> = {};
      for (const region of ['tumour', 'ring'] as const) for (const [k, v] of Object.entries(l.features[region])) features[featureColumn(region, k)] = v;
      rows.push({
        lesionId: l.trackingUid,
        studyUid: a.study.studyInstanceUid,
        patient: hashPatient(a.patient.patientId),
        trackingId: l.trackingId,
        site: l.site,
        volumeMl: l.volumeMl,
        kvp: a.evidence?.ct.kvp ?? null,
        flags: l.flags.map((f) => f.code),
        analysedAt: a.analysedAt,
        signature: signatureKey(a.signature),
        features,
      });
    }
  }
  return rows;
}

/** CSV text: identity columns, then the union of feature columns, tumour first, sorted by key. */
export function lesionCsv(rows: readonly LesionRow[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.features)))].sort((a, b) => (a.startsWith('tumour:') === b.startsWith('tumour:') ? a.localeCompare(b) : a.startsWith('tumour:') ? -1 : 1));
  const lines = [csvLine([...IDENTITY_COLUMNS, ...columns])];
  for (const r of rows) {
    lines.push(
      csvLine([r.lesionId, r.studyUid, r.patient, r.trackingId, r.site, r.volumeMl, r.kvp, r.flags.join(';'), r.analysedAt, r.signature, ...columns.map((c) => (c in r.features && Number.isFinite(r.features[c]) ? r.features[c] : ''))]),
    );
  }
  return lines.join('\n') + '\n';
}

export class LesionTableError extends Error {}

/** Reads the table back; feature cells that are empty become NaN (undefined feature). */
export function readLesionTable(t: CsvTable, what: string): LesionRow[] {
  const missing = IDENTITY_COLUMNS.filter((c) => !t.header.includes(c));
  if (missing.length > 0) throw new LesionTableError(`${what}: ${missing.length === 1 ? 'column' : 'columns'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing; give the CSV written by "cd8-node export features" or "cd8-node features --batch".`);
  const at = (c: string) => t.header.indexOf(c);
  const featureCols = t.header.map((h, i) => [h, i] as const).filter(([h]) => /^(tumour|ring):/.test(h));
  const seen = new Map<string, number>();
  return t.rows.map((r, k) => {
    const id = r[at(ID_COLUMN)].trim();
    if (!id) throw new LesionTableError(`${what}: line ${k + 2} has no ${ID_COLUMN}.`);
    const first = seen.get(id);
    if (first !== undefined) throw new LesionTableError(`${what}: lesion ${id} appears twice (lines ${first} and ${k + 2}); export each lesion once.`);
    seen.set(id, k + 2);
    const kvp = r[at('kvp')].trim();
    const features: Record<string, number> = {};
    for (const [h, i] of featureCols) features[h] = r[i].trim() === '' ? NaN : Number(r[i]);
    return {
      lesionId: id,
      studyUid: r[at('study_uid')],
      patient: r[at('patient')],
      trackingId: r[at('tracking_id')],
      site: r[at('site')] as LesionSite,
      volumeMl: Number(r[at('volume_ml')]),
      kvp: kvp === '' ? null : Number(kvp),
      flags: r[at('flags')] ? r[at('flags')].split(';') : [],
      analysedAt: r[at('analysed_at')],
      signature: r[at('signature')],
      features,
    };
  });
}
