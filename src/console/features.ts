/**
 * A lesion's stored features as rows named by IBSI (family, name, tag, permanent code,
 * aggregation), for the study page's table and its CSV/JSON downloads.
 */
import type { LesionResult } from '../results/types';
import { registeredFeatures } from '../radiomics/registry';
import { AGGREGATION_CODES, Aggregation, DocumentedDescriptor } from '../radiomics/feature';

export interface FeatureRow {
  region: 'tumour' | 'ring';
  family: string;
  ibsiName: string;
  tag: string;
  ibsiCode: string;
  /** IBSI aggregation name, '' for non-texture features. */
  aggregation: string;
  aggregationCode: string;
  /** null where the feature is undefined for the region (stored as NaN). */
  value: number | null;
}

let byTag: Map<string, DocumentedDescriptor> | undefined;

export function featureRows(lesion: Pick<LesionResult, 'features'>): FeatureRow[] {
  byTag ??= new Map(registeredFeatures().map((d) => [d.tag, d]));
  const rows: FeatureRow[] = [];
  for (const region of ['tumour', 'ring'] as const) {
    for (const [key, value] of Object.entries(lesion.features?.[region] ?? {})) {
      const m = /^([^[]+)(?:\[(.+)\])?$/.exec(key);
      const tag = m?.[1] ?? key;
      const aggregation = m?.[2] ?? '';
      const d = byTag.get(tag);
      rows.push({
        region,
        family: d?.family ?? '',
        ibsiName: d?.name ?? tag,
        tag,
        ibsiCode: d?.code ?? '',
        aggregation,
        aggregationCode: AGGREGATION_CODES[aggregation as Aggregation] ?? '',
        value: typeof value === 'number' && Number.isFinite(value) ? value : null,
      });
    }
  }
  return rows;
}

const CSV_COLUMNS = ['lesion', 'roi_number', 'roi_name', 'region', 'family', 'ibsi_name', 'ibsi_tag', 'ibsi_code', 'aggregation', 'aggregation_code', 'value'] as const;

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading = + - @ would be a formula in a spreadsheet: quote it with a leading apostrophe.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function featuresCsv(lesions: LesionResult[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const l of lesions) {
    for (const r of featureRows(l)) {
      lines.push([l.trackingId, l.roiNumber, l.roiName, r.region, r.family, r.ibsiName, r.tag, r.ibsiCode, r.aggregation, r.aggregationCode, r.value].map(csvCell).join(','));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

export function featuresJson(studyUid: string, version: number, lesions: LesionResult[]): unknown {
  return {
    studyInstanceUid: studyUid,
    version,
    lesions: lesions.map((l) => ({ trackingId: l.trackingId, trackingUid: l.trackingUid, roiNumber: l.roiNumber, roiName: l.roiName, site: l.site, features: featureRows(l) })),
  };
}
