/**
 * One ROI of a DICOM study (CT series + RTSTRUCT) as the radiomics engine's input, through the
 * imaging stage's loader (src/dicom/loadSeries.ts, written on the imaging branch). The loader is
 * looked up at run time so that this command builds before that branch is merged; once it is,
 * this becomes a plain import and DicomLoaderMissingError goes away.
 */
import { Mask, Vec3, Volume } from '../radiomics/volume';
import { ExtractOptions } from '../radiomics/extract';

export class DicomLoaderMissingError extends Error {}

/** The part of the imaging loader's API used here (see src/dicom/loadSeries.ts). */
interface LesionRules {
  includeTypes: readonly string[];
  excludeTypes: readonly string[];
  includeNames: readonly string[];
  excludeNames: readonly string[];
  defaultSite: 'unknown';
}

interface StudyGeometry {
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  rowDirection: Vec3;
  columnDirection: Vec3;
  sliceDirection: Vec3;
}

interface ImagingStudyLike {
  series: { geometry: StudyGeometry };
  lesions: Array<{ roiName: string; mask: Mask; ct: { image: Volume<Float32Array> } }>;
  excluded: Array<{ roiName: string; reason: string }>;
  warnings: string[];
}

interface LoaderModule {
  loadImagingStudy(ct: string, rtstruct: string, options: { rules: LesionRules; marginMm?: number; wholeSeries?: boolean }): Promise<ImagingStudyLike>;
}

function loader(): LoaderModule {
  const path = ['..', 'dicom', 'loadSeries'].join('/');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path) as LoaderModule;
  } catch (e) {
    const { code, message } = e as { code?: string; message?: string };
    if (code === 'MODULE_NOT_FOUND' && String(message).startsWith(`Cannot find module '${path}'`)) {
      throw new DicomLoaderMissingError('the DICOM loader (imaging stage, src/dicom/loadSeries) is not part of this build yet; use --image/--mask with NIfTI files meanwhile.');
    }
    throw e;
  }
}

export function dicomLoaderPresent(): boolean {
  try {
    loader();
    return true;
  } catch (e) {
    if (e instanceof DicomLoaderMissingError) return false;
    throw e;
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/**
 * Loads ROI `roiName` and the CT slices around it (with room for the ring and the local
 * intensity sphere), and the whole series' grid so that interpolation is aligned on the whole
 * image, not on the slices that happened to be loaded.
 *
 * @param wholeSeries decode every slice (as the IBSI phantom comparison does).
 */
export async function loadDicomLesion(ct: string, rtstruct: string, roiName: string, wholeSeries = false) {
  const study = await loader().loadImagingStudy(ct, rtstruct, {
    // Exactly this ROI, whatever its interpreted type.
    rules: { includeTypes: [], excludeTypes: [], includeNames: [`^${escapeRegExp(roiName)}$`], excludeNames: [], defaultSite: 'unknown' },
    marginMm: 40,
    wholeSeries,
  });
  const lesion = study.lesions.find((l) => l.roiName.toLowerCase() === roiName.toLowerCase());
  if (!lesion) {
    const names = [...study.lesions.map((l) => l.roiName), ...study.excluded.map((x) => x.roiName)];
    const why = study.excluded.find((x) => x.roiName.toLowerCase() === roiName.toLowerCase());
    throw Object.assign(new Error(why ? `ROI "${roiName}" cannot be used: ${why.reason}` : `no ROI "${roiName}" in ${rtstruct}; it has: ${names.join(', ') || 'no ROI'}.`), { name: 'ImagingError' });
  }
  const g = study.series.geometry;
  const options: ExtractOptions = {
    alignTo: { dims: g.dims, spacing: g.spacing, origin: [dot(g.origin, g.rowDirection), dot(g.origin, g.columnDirection), dot(g.origin, g.sliceDirection)] },
  };
  return {
    image: lesion.ct.image,
    mask: lesion.mask,
    describe: { ct, rtstruct, roi: lesion.roiName },
    options,
    warnings: study.warnings,
  };
}
