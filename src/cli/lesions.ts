import { Command } from './command';
import { parseOfflineCommand, studyCommandInputs, unusableStudyMessage } from './studyFiles';
import { ImagingError, ImagingStudy, loadImagingStudy } from '../imaging/load';
import { SITE_LABEL } from '../imaging/site';
import { fixed } from '../ops/format';

export const lesionsCommand: Command = {
  words: ['lesions'],
  summary: 'list the lesions of an RTSTRUCT on its CT (site, volume, voxels) and the ROIs left out',
  help: `Usage: cd8-node lesions --ct DIR --rtstruct FILE [--json] [--config FILE] [--series UID] [--whole-series]

Reads the CT images under DIR (recursively) and the RTSTRUCT FILE, checks the
CT series the RTSTRUCT was drawn on, turns each lesion ROI into a mask and
prints, per lesion: tracking identifier, site (and how it was found), volume,
voxel count, slices; then every ROI left out with the reason, and warnings.
Lesions are chosen by the "lesions" section of the configuration.
Only the slices around the lesions are decoded (imaging.marginMm).

Exit 0 when the study could be read (even without lesions), 1 when the CT or
the RTSTRUCT cannot be used (each problem is printed), 2 on wrong arguments.

Options:
  --ct DIR          Directory with the CT slices (or a single file)
  --rtstruct FILE   The RT Structure Set with the lesion contours
  --json            Print JSON (lesions, excluded ROIs, series facts, warnings)
  --config FILE     Configuration (default: $CD8_CONFIG, else the defaults)
  --series UID      Use this CT series when the RTSTRUCT does not say which
  --whole-series    Decode every slice, not only those around the lesions

Example:
  cd8-node lesions --ct study/CT --rtstruct study/RS.dcm`,
  async run(args, io) {
    const values = parseOfflineCommand(lesionsCommand, args, io, {
      ct: { type: 'string' },
      rtstruct: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string', short: 'c' },
      series: { type: 'string' },
      'whole-series': { type: 'boolean' },
    });
    if (typeof values === 'number') return values;
    const inputs = studyCommandInputs(values, io, 'cd8-node lesions');
    if (typeof inputs === 'number') return inputs;
    const { files, config } = inputs;
    let study: ImagingStudy;
    try {
      study = await loadImagingStudy(files.ct, files.rtstruct, {
        rules: config.lesions,
        marginMm: config.imaging.marginMm,
        sliceSpacingToleranceMm: config.imaging.sliceSpacingToleranceMm,
        seriesInstanceUid: values.series,
        wholeSeries: values['whole-series'] ?? false,
      });
    } catch (e) {
      if (!(e instanceof ImagingError)) throw e;
      io.err(unusableStudyMessage('cd8-node lesions', e));
      return 1;
    }
    io.out(values.json ? JSON.stringify(studyJson(study), null, 2) : studyText(study));
    return 0;
  },
};

const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const roundVec = (v: readonly number[], digits = 3) => v.map((x) => round(x, digits));

/** The JSON view of a loaded study: everything but the voxel arrays. */
export function studyJson(s: ImagingStudy) {
  const g = s.series.geometry;
  return {
    series: {
      ...s.series.facts,
      patient: undefined,
      study: undefined,
      slices: g.dims[2],
      columns: g.dims[0],
      rows: g.dims[1],
      spacingMm: roundVec(g.spacing, 6),
      originMm: roundVec(g.origin, 6),
      rowDirection: g.rowDirection,
      columnDirection: g.columnDirection,
      sliceDirection: g.sliceDirection,
      chosenBecause: s.series.chosenBecause,
      transferSyntaxes: s.series.transferSyntaxes,
      leftOut: s.series.leftOut,
    },
    study: s.study,
    structureSet: s.structureSet,
    lesions: s.lesions.map((l) => ({
      roiNumber: l.roiNumber,
      roiName: l.roiName,
      trackingId: l.trackingId,
      interpretedType: l.interpretedType,
      selectedBecause: l.selectedBecause,
      site: l.site,
      siteSource: l.siteSource,
      volumeMl: round(l.summary.volumeMl, 4),
      voxelCount: l.summary.voxelCount,
      centroidMm: roundVec(l.summary.centroidMm),
      boundingBoxVoxels: l.summary.boundingBoxVoxels,
      boundingBoxMm: { min: roundVec(l.summary.boundingBoxMm.min), max: roundVec(l.summary.boundingBoxMm.max) },
      slicesSpanned: l.summary.slicesSpanned,
      firstSlice: l.summary.firstSlice,
      lastSlice: l.summary.lastSlice,
      largestSlice: l.summary.largestSlice,
      volumeSlices: { first: l.ct.range.first, count: l.ct.range.count },
      outline: l.outline,
      notes: l.notes,
    })),
    excluded: s.excluded,
    warnings: s.warnings,
    skippedFiles: s.skippedFiles,
    decodedSlices: s.decodedSlices,
  };
}


export function studyText(s: ImagingStudy): string {
  const g = s.series.geometry;
  const f = s.series.facts;
  const lines: string[] = [];
  lines.push(`CT series ${f.seriesInstanceUid}${f.seriesDescription ? ` "${f.seriesDescription}"` : ''}: ${f.modality ?? '?'}, ${g.dims[2]} slices of ${g.dims[0]} × ${g.dims[1]}, voxel ${fixed(g.spacing[0], 3)} × ${fixed(g.spacing[1], 3)} × ${fixed(g.spacing[2], 3)} mm (${s.series.chosenBecause})`);
  lines.push(`  frame of reference ${f.frameOfReferenceUid ?? '(none)'}; KVP ${f.kvp ?? 'missing'}; slice thickness ${f.sliceThicknessMm ?? 'missing'} mm; ${f.manufacturer ?? 'manufacturer unknown'}`);
  lines.push(`RTSTRUCT ${s.structureSet.sopInstanceUid}${s.structureSet.label ? ` "${s.structureSet.label}"` : ''}`);
  lines.push('');
  lines.push(`Lesions (${s.lesions.length}):`);
  if (s.lesions.length === 0) lines.push('  none: no ROI matches the lesion rules (see "Left out").');
  for (const l of s.lesions) {
    const sm = l.summary;
    lines.push(`  ${l.trackingId}: site ${SITE_LABEL[l.site]}, volume ${fixed(sm.volumeMl, 2)} ml, ${sm.voxelCount} voxels, slices ${sm.firstSlice}–${sm.lastSlice} (${sm.slicesSpanned})`);
    lines.push(`      selected: ${l.selectedBecause}`);
    lines.push(`      site: ${l.siteSource}`);
    lines.push(`      centroid (${sm.centroidMm.map((x) => fixed(x, 1)).join(', ')}) mm; largest on slice ${sm.largestSlice}`);
    for (const n of l.notes) lines.push(`      note: ${n}`);
  }
  lines.push('');
  lines.push(`Left out (${s.excluded.length}):`);
  if (s.excluded.length === 0) lines.push('  none');
  for (const e of s.excluded) lines.push(`  ${e.roiNumber} ${e.roiName}${e.interpretedType ? ` (${e.interpretedType})` : ''}: ${e.reason}`);
  const warnings = [...s.warnings, ...s.structureSet.notes];
  if (warnings.length > 0) {
    lines.push('');
    lines.push(`Warnings (${warnings.length}):`);
    for (const w of warnings) lines.push(`  - ${w}`);
  }
  if (s.skippedFiles.length > 0) {
    lines.push('');
    lines.push(`Files skipped (${s.skippedFiles.length}):`);
    for (const k of s.skippedFiles.slice(0, 10)) lines.push(`  ${k.path}: ${k.reason}`);
    if (s.skippedFiles.length > 10) lines.push(`  ... and ${s.skippedFiles.length - 10} more`);
  }
  lines.push('');
  lines.push(`Decoded ${s.decodedSlices} of ${g.dims[2]} slices.`);
  return lines.join('\n');
}
