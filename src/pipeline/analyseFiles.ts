/**
 * The analysis of one study from its files (I/O edge): load the CT around the lesions and the
 * RTSTRUCT, then score (pure). A study whose files cannot be used is still answered, with the
 * reasons, so that the SR and the ORU can say why there is no score.
 */
import { Config } from '../config/schema';
import { imagingStudyParts, ImagingError, planImagingStudy, readImageHeaders, releasePixels } from '../imaging/load';
import { readDicomHeader } from '../dicom/read';
import { patientIdentity, studyIdentity } from '../imaging/imageHeader';
import { ScoredLesion, ScoringRun, ScoringSetup, scoreLesions, studyAnalysis, unscorableStudy } from '../cd8/scoreStudy';
import { sourceEvidence } from '../imaging/study';
import type { SliceRef } from '../imaging/ctSeries';
import type { StudyAnalysis, StudyProblem } from '../results/types';
import { KeySlice, keySliceOf } from '../imaging/keySlice';
import { measureLesions, RegionThread } from './regionThread';
import { ExtractionStopped } from '../radiomics';

/** Room the radiomics needs beyond the lesion: the ring, the local-intensity sphere (6.2 mm) and interpolation. */
export function loadMarginMm(config: Config, setup: ScoringSetup): number {
  return Math.max(config.imaging.marginMm, setup.radiomics.ring.outerMm + 10);
}

/** Patient and study identity from the first of `files` that can be read (for a study that cannot be imaged). */
export async function readIdentity(files: readonly string[]): Promise<Pick<StudyAnalysis, 'patient'> & { study: Omit<StudyAnalysis['study'], 'version'> }> {
  for (const file of files) {
    try {
      const { dataset } = await readDicomHeader(file);
      return { patient: patientIdentity(dataset), study: studyIdentity(dataset) };
    } catch {
      // Try the next one: an unreadable file is one of the problems being reported.
    }
  }
  throw new Error(`none of ${files.length} file(s) could be read to identify the patient and study`);
}

async function identityFrom(ct: string | readonly string[], rtstruct: string) {
  try {
    return await readIdentity([rtstruct]);
  } catch {
    const { headers } = await readImageHeaders(ct);
    if (headers.length === 0) throw new Error('neither the RTSTRUCT nor any CT file could be read');
    return { patient: headers[0].patient, study: headers[0].study };
  }
}

/**
 * An analysis whose caller no longer needs it (`giveUp`) stops before the next volume's lesions, or
 * between a lesion's feature steps (on this thread and on the region thread).
 */
export class AnalysisGivenUp extends Error {
  override readonly name = 'AnalysisGivenUp';
  constructor() {
    super('the analysis was given up');
  }
}

/** The analysis and each lesion's key slice (cut while its CT volume is decoded), for the pictures. */
export interface AnalysedFiles {
  analysis: StudyAnalysis;
  /** keySlices[i] belongs to analysis.lesions[i]; undefined where it could not be cut. */
  keySlices: Array<KeySlice | undefined>;
}

/**
 * Scores a study volume by volume: the slices around one group of nearby lesions are decoded,
 * its lesions scored, and the volume let go before the next group is decoded, so a study with
 * many lesions far apart holds one HU volume at a time (a 1,000-slice CT with five lesions would
 * otherwise hold five).
 * Each lesion's key slice is cut while its volume is decoded, for the pictures. With a region
 * thread, each lesion's tumour and ring are computed at once on two threads (same features).
 * `giveUp`, asked before each volume's lesions are measured and between their feature steps (on
 * both threads), ends the analysis with AnalysisGivenUp.
 */
export async function analyseStudyFiles(
  ct: string | readonly string[],
  rtstruct: string,
  config: Config,
  setup: ScoringSetup,
  run: ScoringRun & { seriesInstanceUid?: string },
  regionThread?: RegionThread,
  giveUp?: () => boolean,
): Promise<AnalysedFiles> {
  let planned;
  try {
    planned = await planImagingStudy(ct, rtstruct, {
      rules: config.lesions,
      marginMm: loadMarginMm(config, setup),
      sliceSpacingToleranceMm: config.imaging.sliceSpacingToleranceMm,
      ...(run.seriesInstanceUid ? { seriesInstanceUid: run.seriesInstanceUid } : {}),
    });
  } catch (e) {
    if (!(e instanceof ImagingError)) throw e;
    const problems: StudyProblem[] = e.problems.map((p) => ({ code: p.code, message: p.message }));
    // Without a readable file there is no patient or study to answer for: the problems are the answer.
    const identity = await identityFrom(ct, rtstruct).catch(() => undefined);
    if (!identity) throw e;
    return { analysis: unscorableStudy(identity, problems, setup, run), keySlices: [] };
  }
  // The parts come range by range; the answer lists the lesions in the study's order.
  const { lesions, ranges } = planned.plan;
  const partOrder = ranges.flatMap((r) => lesions.flatMap((l, i) => (l.range === r ? [i] : [])));
  const scored = new Array<ScoredLesion>(lesions.length);
  const keySlices = new Array<KeySlice | undefined>(lesions.length);
  const used: Array<{ slices: SliceRef[] }> = [];
  let k = 0;
  for await (const part of imagingStudyParts(planned)) {
    if (giveUp) {
      // The files are read synchronously: a waiting job's message is seen only in a turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (giveUp()) throw new AnalysisGivenUp();
    }
    const at = part.lesions.map(() => partOrder[k++]);
    // Cut first: on two threads the part's pixels are let go before the features are computed.
    part.lesions.forEach((lesion, i) => {
      // A lesion without a picture still has its result: the picture is an extra (and bounded).
      if (at[i] >= config.report.pictures.maxLesions) return;
      try {
        keySlices[at[i]] = keySliceOf(lesion, setup.radiomics.ring.outerMm);
      } catch {
        keySlices[at[i]] = undefined;
      }
    });
    used.push(...part.volumes.map((v) => ({ slices: v.slices })));
    let results: ScoredLesion[];
    try {
      // A job that comes mid-lesion is seen between feature steps (JobSignal), on both threads.
      const measures = regionThread && (await measureLesions(part, setup.radiomics, regionThread, () => releasePixels(part), giveUp));
      results = scoreLesions(part, setup, measures, giveUp);
    } catch (e) {
      throw e instanceof ExtractionStopped ? new AnalysisGivenUp() : e;
    }
    results.forEach((result, i) => (scored[at[i]] = result));
  }
  if (k !== lesions.length) throw new Error(`internal error: ${k} of ${lesions.length} lesions were scored`);
  return { analysis: studyAnalysis({ ...planned, evidence: sourceEvidence({ ...planned, volumes: used }) }, scored, setup, run), keySlices };
}
