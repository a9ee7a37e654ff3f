/**
 * From a checked CT series and a structure set to the lesions, before any pixel is decoded:
 * selection, placement of the contours, masks, sites, summaries, outlines, and the slice ranges
 * whose pixels the radiomics will need (each lesion's slices plus a margin; overlapping or
 * touching ranges are merged, so lesions far apart get separate, small volumes).
 */
import type { LesionOutline, LesionSite } from '../results/types';
import { CtSeries, imageKey, SliceRef } from './ctSeries';
import { PatientGeometry, sliceRangeGeometry } from './geometry';
import { decideSite, LesionRules, organSite, OrganOverlap, roiSelector } from './lesions';
import { lesionOutline } from './outline';
import { placeRoi, RoiPlacement } from './roiPlacement';
import { PackedMask, packMask, rasteriseRoi, SliceRange } from './roiMask';
import { RoiDefinition, StructureSet } from './rtstruct';
import { LesionSummary, summariseMask } from './summary';
import { nonZeroBox } from '../radiomics/indexBox';

export interface PlannedLesion {
  roiNumber: number;
  roiName: string;
  /** RT ROI Interpreted Type ('' when none). */
  interpretedType: string;
  /** "<ROI number> <ROI name>", stable across versions of the study. */
  trackingId: string;
  /** Why it was selected, in words. */
  selectedBecause: string;
  site: LesionSite;
  siteSource: string;
  /** The slice range of the CT volume this lesion's mask lives on (shared with nearby lesions). */
  range: SliceRange;
  /** The lesion on that range (same grid as the CT volume of `range`), packed to its bounding box until the volume is decoded. */
  packedMask: PackedMask;
  summary: LesionSummary;
  outline: LesionOutline | null;
  /** Notes from placing its contours (ignored contour types, contours outside the series ...). */
  notes: string[];
}

export interface ExcludedRoi {
  roiNumber: number;
  roiName: string;
  interpretedType: string;
  reason: string;
}

export interface LesionPlan {
  lesions: PlannedLesion[];
  excluded: ExcludedRoi[];
  /** Disjoint slice ranges to decode, ascending; each lesion's `range` is one of them. */
  ranges: SliceRange[];
  /** Study-level warnings (e.g. contour image references that match no CT image). */
  warnings: string[];
}

export interface PlanOptions {
  rules: LesionRules;
  /** Margin kept around each lesion along the slice axis, mm (imaging.marginMm). */
  marginMm: number;
}

/** Merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly SliceRange[]): SliceRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const out: SliceRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.first <= last.first + last.count) {
      const end = Math.max(last.first + last.count, r.first + r.count);
      last.count = end - last.first;
    } else out.push({ ...r });
  }
  return out;
}

function ownRange(p: RoiPlacement): SliceRange {
  const [a, b] = p.sliceRange!;
  return { first: a, count: b - a + 1 };
}

export function planLesions(series: CtSeries & { geometry: PatientGeometry }, ss: StructureSet, options: PlanOptions): LesionPlan {
  const g = series.geometry;
  const nz = g.dims[2];
  const select = roiSelector(options.rules);
  const excluded: ExcludedRoi[] = [];
  const warnings: string[] = [];
  const uids = series.slices.map((s) => imageKey(s.sopInstanceUid, s.frameNumber));
  const frame = series.facts.frameOfReferenceUid;
  const exclude = (roi: RoiDefinition, reason: string) => excluded.push({ roiNumber: roi.number, roiName: roi.name, interpretedType: roi.interpretedType, reason });

  const placements = new Map<number, RoiPlacement>();
  const place = (roi: RoiDefinition) => {
    let p = placements.get(roi.number);
    if (!p) {
      p = placeRoi(roi, g, uids);
      placements.set(roi.number, p);
    }
    return p;
  };
  const inOtherFrame = (roi: RoiDefinition) => !!(roi.frameOfReferenceUid && frame && roi.frameOfReferenceUid !== frame);

  // 1. Selection and geometry of the candidates.
  interface Candidate {
    roi: RoiDefinition;
    because: string;
    placement: RoiPlacement;
    range: SliceRange;
  }
  const candidates: Candidate[] = [];
  const lesionNumbers = new Set<number>();
  for (const roi of ss.rois) {
    const verdict = select(roi);
    if (!verdict.lesion) {
      exclude(roi, verdict.reason);
      continue;
    }
    lesionNumbers.add(roi.number);
    if (inOtherFrame(roi)) {
      exclude(roi, `it is drawn in frame of reference ${roi.frameOfReferenceUid}, the CT series is in ${frame}`);
      continue;
    }
    const closed = roi.contours.filter((c) => c.geometricType === 'CLOSED_PLANAR').length;
    if (closed === 0) {
      const kinds = [...new Set(roi.contours.map((c) => c.geometricType || '(no type)'))];
      exclude(roi, roi.contours.length === 0 ? 'it has no contour' : `it has no CLOSED_PLANAR contour (only ${kinds.join(', ')}), so it encloses no region`);
      continue;
    }
    const placement = place(roi);
    if (!placement.sliceRange) {
      exclude(roi, `none of its contours lies on the CT series (${placement.notes.join(' ')})`);
      continue;
    }
    const range = ownRange(placement);
    const own = rasteriseRoi(placement, g, range);
    if (!nonZeroBox(own.data, own.dims)) {
      exclude(roi, 'its contours enclose no voxel centre of the CT (too small for the pixel spacing?)');
      continue;
    }
    candidates.push({ roi, because: verdict.because, placement, range });
  }

  // 2. Slice ranges with the margin, merged.
  const margin = Math.ceil(options.marginMm / g.spacing[2] - 1e-9);
  const withMargin = candidates.map((c) => {
    const first = Math.max(0, c.range.first - margin);
    const last = Math.min(nz - 1, c.range.first + c.range.count - 1 + margin);
    return { first, count: last - first + 1 };
  });
  const ranges = mergeRanges(withMargin);
  const rangeOf = (r: SliceRange) => ranges.find((m) => r.first >= m.first && r.first < m.first + m.count)!;

  // 3. Organs that may give a site.
  const organs = ss.rois
    .filter((r) => !lesionNumbers.has(r.number) && !inOtherFrame(r))
    .map((r) => ({ roi: r, site: organSite(r) }))
    .filter((o): o is { roi: RoiDefinition; site: LesionSite } => o.site !== null);

  // 4. Masks, sites, summaries and outlines.
  const lesions: PlannedLesion[] = candidates.map((c, n) => {
    const range = rangeOf(withMargin[n]);
    const mask = rasteriseRoi(c.placement, g, range);
    const geometry = sliceRangeGeometry(g, range.first, range.count);
    const summary = summariseMask(mask, geometry, range.first)!;
    const overlaps: OrganOverlap[] = [];
    // The lesion on its own slices (the range's mask from there: rasterised slice by slice, the
    // same), and the organ's voxels counted within the lesion's bounding box only.
    const [nx, ny] = g.dims;
    const lesionData = mask.data.subarray((c.range.first - range.first) * nx * ny, (c.range.first - range.first + c.range.count) * nx * ny);
    const { min, max } = summary.boundingBoxVoxels;
    for (const o of organs) {
      const op = place(o.roi);
      if (!op.sliceRange) continue;
      const organ = rasteriseRoi(op, g, c.range).data;
      let inside = 0;
      for (let k = min[2] - c.range.first; k <= max[2] - c.range.first; k++)
        for (let j = min[1]; j <= max[1]; j++)
          for (let i = min[0], p = i + nx * (j + ny * k); i <= max[0]; i++, p++) if (lesionData[p] && organ[p]) inside++;
      if (inside > 0) overlaps.push({ roiNumber: o.roi.number, roiName: o.roi.name, site: o.site, fraction: inside / summary.voxelCount });
    }
    const site = decideSite(c.roi.name, overlaps, options.rules.defaultSite);
    const slice: SliceRef = series.slices[summary.largestSlice];
    return {
      roiNumber: c.roi.number,
      roiName: c.roi.name,
      interpretedType: c.roi.interpretedType,
      trackingId: `${c.roi.number} ${c.roi.name}`,
      selectedBecause: c.because,
      site: site.site,
      siteSource: site.source,
      range,
      packedMask: packMask(mask),
      summary,
      outline: lesionOutline(c.placement.slices.get(summary.largestSlice) ?? [], slice),
      notes: [...c.placement.notes],
    };
  });

  // Organ ROIs left out as lesions may still have given a site: say so beside their reason.
  for (const e of excluded) {
    const sited = lesions.filter((l) => l.siteSource.startsWith(`organ ROI ${e.roiNumber} `)).map((l) => l.trackingId);
    if (sited.length > 0) e.reason += `; it gave the site of ${sited.join(', ')}`;
  }

  // 5. Image references that do not match this CT: a warning, contours were placed by geometry.
  let unmatched = 0;
  let mismatched = 0;
  for (const c of candidates) {
    unmatched += c.placement.unmatchedImageReferences;
    mismatched += c.placement.mismatchedImageReferences;
  }
  if (unmatched > 0) warnings.push(`${unmatched} contour image reference${unmatched === 1 ? '' : 's'} of the lesion contours name${unmatched === 1 ? 's' : ''} SOP instances that are not in CT series ${series.facts.seriesInstanceUid} (re-identified or cropped data?); the contours were placed by their coordinates.`);
  if (mismatched > 0) warnings.push(`${mismatched} contour image reference${mismatched === 1 ? '' : 's'} name${mismatched === 1 ? 's' : ''} a CT slice other than the one at the contour's position; the position was used.`);
  const refSeries = ss.referencedSeries.find((r) => r.seriesInstanceUid === series.facts.seriesInstanceUid);
  if (refSeries && refSeries.sopInstanceUids.length > 0) {
    const inSeries = new Set(series.slices.map((s) => s.sopInstanceUid));
    const missing = refSeries.sopInstanceUids.filter((u) => !inSeries.has(u)).length;
    if (missing > 0) warnings.push(`the RTSTRUCT's RT Referenced Series lists ${refSeries.sopInstanceUids.length} images of series ${refSeries.seriesInstanceUid}; ${missing} of them are not among the ${inSeries.size} CT images here.`);
  }
  return { lesions, excluded, ranges, warnings };
}
