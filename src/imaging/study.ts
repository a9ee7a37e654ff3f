/**
 * What imaging hands to the later stages (radiomics, CD8, report): the lesions with their masks
 * and HU volumes, the series facts and identities, and the evidence an SR must reference.
 */
import type { PatientIdentity, SourceEvidence, StudyIdentity } from '../results/types';
import { CtSeries } from './ctSeries';
import { PatientGeometry } from './geometry';
import { ExcludedRoi, PlannedLesion } from './lesionPlan';
import { StructureSet } from './rtstruct';
import { CtVolume } from './volume';
import type { Mask } from '../radiomics/volume';

/** A lesion ready for radiomics: its mask on exactly the grid of its CT volume. */
export interface Lesion extends Omit<PlannedLesion, 'packedMask'> {
  mask: Mask;
  /** The HU volume its mask lives on (shared by lesions close to each other). */
  ct: CtVolume;
}

export interface ImagingStudy {
  patient: PatientIdentity;
  study: Omit<StudyIdentity, 'version'>;
  series: Pick<CtSeries, 'facts' | 'slices' | 'leftOut'> & {
    /** Geometry of the whole series (all its slices). */
    geometry: PatientGeometry;
    /** How the series was chosen among those found. */
    chosenBecause: string;
    /** Transfer syntaxes of the series' images. */
    transferSyntaxes: string[];
  };
  structureSet: Pick<StructureSet, 'sopInstanceUid' | 'sopClassUid' | 'seriesInstanceUid' | 'label' | 'name' | 'notes'>;
  /** The decoded HU volumes (one per group of nearby lesions, or one for the whole series). */
  volumes: CtVolume[];
  lesions: Lesion[];
  /** Every ROI that is not a lesion, with the reason. */
  excluded: ExcludedRoi[];
  /** Everything worth knowing that did not stop the analysis (series warnings included). */
  warnings: string[];
  /** Files given as CT that are not images of any series (with the reason). */
  skippedFiles: Array<{ path: string; reason: string }>;
  /** Slices whose pixels were decoded. */
  decodedSlices: number;
}

/**
 * How far (mm, along the slice axis) the lesion's CT volume extends beyond the lesion's first
 * and last slice. Less than the configured margin means the series ends there: a peritumoral
 * ring wider than this leaves the image.
 */
export function availableMarginMm(lesion: Lesion): { before: number; after: number } {
  const step = lesion.ct.image.spacing[2];
  const r = lesion.ct.range;
  return { before: (lesion.summary.firstSlice - r.first) * step, after: (r.first + r.count - 1 - lesion.summary.lastSlice) * step };
}

/**
 * The SR's source evidence: the CT series with the images actually used (the decoded slices of
 * all volumes) and the RTSTRUCT instance.
 */
export function sourceEvidence(s: Pick<ImagingStudy, 'series' | 'structureSet'> & { volumes: ReadonlyArray<Pick<CtVolume, 'slices'>> }): SourceEvidence {
  const f = s.series.facts;
  const used = new Map<string, { sopClassUid: string; sopInstanceUid: string }>();
  for (const v of s.volumes) for (const sl of v.slices) used.set(sl.sopInstanceUid, { sopClassUid: sl.sopClassUid, sopInstanceUid: sl.sopInstanceUid });
  return {
    ct: {
      seriesInstanceUid: f.seriesInstanceUid,
      instances: [...used.values()],
      frameOfReferenceUid: f.frameOfReferenceUid ?? '',
      modality: f.modality ?? '',
      ...(f.manufacturer !== undefined ? { manufacturer: f.manufacturer } : {}),
      ...(f.kvp !== undefined ? { kvp: f.kvp } : {}),
      ...(f.sliceThicknessMm !== undefined ? { sliceThicknessMm: f.sliceThicknessMm } : {}),
    },
    rtstruct: {
      seriesInstanceUid: s.structureSet.seriesInstanceUid,
      instances: [{ sopClassUid: s.structureSet.sopClassUid, sopInstanceUid: s.structureSet.sopInstanceUid }],
      ...(s.structureSet.label !== undefined ? { structureSetLabel: s.structureSet.label } : {}),
    },
  };
}
