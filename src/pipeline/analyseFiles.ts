/**
 * The analysis of one study from its files (I/O edge): load the CT around the lesions and the
 * RTSTRUCT, then score (pure). A study whose files cannot be used is still answered, with the
 * reasons, so that the SR and the ORU can say why there is no score.
 */
import { Config } from '../config/schema';
import { ImagingError, loadImagingStudy, readImageHeaders } from '../dicom/loadSeries';
import { readDicomHeader } from '../dicom/read';
import { patientIdentity, studyIdentity } from '../imaging/imageHeader';
import { ScoringRun, ScoringSetup, scoreStudy, unscorableStudy } from '../cd8/scoreStudy';
import type { StudyAnalysis, StudyProblem } from '../results/types';

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

export async function analyseFiles(
  ct: string | readonly string[],
  rtstruct: string,
  config: Config,
  setup: ScoringSetup,
  run: ScoringRun & { seriesInstanceUid?: string },
): Promise<StudyAnalysis> {
  let imaging;
  try {
    imaging = await loadImagingStudy(ct, rtstruct, {
      rules: config.lesions,
      marginMm: loadMarginMm(config, setup),
      sliceSpacingToleranceMm: config.imaging.sliceSpacingToleranceMm,
      ...(run.seriesInstanceUid ? { seriesInstanceUid: run.seriesInstanceUid } : {}),
    });
  } catch (e) {
    if (!(e instanceof ImagingError)) throw e;
    const problems: StudyProblem[] = e.problems.map((p) => ({ code: p.code, message: p.message }));
    return unscorableStudy(await identityFrom(ct, rtstruct), problems, setup, run);
  }
  return scoreStudy(imaging, setup, run);
}
