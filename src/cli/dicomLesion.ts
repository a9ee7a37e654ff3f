/**
 * One ROI of a DICOM study (CT series + RTSTRUCT) as the radiomics engine's input, through the
 * imaging stage's loader.
 */
import { ImagingError, loadImagingStudy } from '../imaging/load';
import { gridOrigin } from '../imaging/geometry';
import { LesionRules } from '../imaging/lesions';
import { ExtractOptions } from '../radiomics/extract';
import { Mask, Volume } from '../radiomics/volume';

export interface DicomLesion {
  image: Volume<Float32Array>;
  mask: Mask;
  /** What was read, for the output. */
  describe: { ct: string; rtstruct: string; roi: string };
  /** Aligns interpolation on the whole series (the image may hold only the slices around the ROI). */
  options: ExtractOptions;
  warnings: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Exactly the ROI named, whatever its interpreted type. */
function onlyRoi(roiName: string): LesionRules {
  return { includeTypes: [], excludeTypes: [], includeNames: [`^${escapeRegExp(roiName)}$`], excludeNames: [], defaultSite: 'unknown' };
}

/**
 * Loads ROI `roiName` and the CT slices around it (with room for the ring and the local
 * intensity sphere), and the whole series' grid so that interpolation is aligned on the whole
 * image, not on the slices that happened to be loaded. Throws ImagingError when the study or
 * the ROI cannot be used.
 *
 * @param wholeSeries decode every slice (as the IBSI phantom comparison does).
 */
export async function loadDicomLesion(ct: string, rtstruct: string, roiName: string, wholeSeries = false): Promise<DicomLesion> {
  const study = await loadImagingStudy(ct, rtstruct, { rules: onlyRoi(roiName), marginMm: 40, wholeSeries });
  const lesion = study.lesions.find((l) => l.roiName.toLowerCase() === roiName.toLowerCase());
  if (!lesion) {
    const names = [...study.lesions.map((l) => l.roiName), ...study.excluded.map((x) => x.roiName)];
    const why = study.excluded.find((x) => x.roiName.toLowerCase() === roiName.toLowerCase());
    const message = why ? `ROI "${roiName}" cannot be used: ${why.reason}` : `no ROI "${roiName}" in ${rtstruct}; it has: ${names.join(', ') || 'no ROI'}.`;
    throw new ImagingError([{ code: why ? 'roi-unusable' : 'roi-not-found', message }]);
  }
  const g = study.series.geometry;
  return {
    image: lesion.ct.image,
    mask: lesion.mask,
    describe: { ct, rtstruct, roi: lesion.roiName },
    options: { alignTo: { dims: g.dims, spacing: g.spacing, origin: gridOrigin(g) } },
    warnings: study.warnings,
  };
}
