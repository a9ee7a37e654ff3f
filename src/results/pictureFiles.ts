/**
 * The pictures of each analysed study version as files beside the result store, for the web
 * console and for admins:
 *
 *   <dataDir>/pictures/<Study Instance UID>/<version>/lesion-<index>.png   (index in analysis.lesions)
 *   <dataDir>/pictures/<Study Instance UID>/<version>/summary.png
 *   <dataDir>/pictures/<Study Instance UID>/<version>/report.pdf            (when report.summary asks for a PDF)
 *
 * The same bytes the Secondary Capture and PDF carry. Written by the pipeline after the analysis
 * is saved, each file atomically (temporary file, then rename); removed with the study's result.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyPictures } from '../report/pictures';

/** A DICOM UID: digits and dots, at most 64 characters (PS3.5 9.1); anything else never names a folder. */
const UID = /^[0-9]+(\.[0-9]+)*$/;

function versionDir(dataDir: string, studyUid: string, version: number): string {
  if (!UID.test(studyUid) || studyUid.length > 64) throw new RangeError(`"${studyUid.slice(0, 80)}" is not a Study Instance UID`);
  if (!Number.isSafeInteger(version) || version < 1) throw new RangeError(`${version} is not a study version (1, 2, ...)`);
  return join(dataDir, 'pictures', studyUid, String(version));
}

function writeAtomically(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Saves the PNGs (and PDF) of one study version; returns the folder. */
export function savePictures(dataDir: string, studyUid: string, version: number, pictures: StudyPictures): string {
  const dir = versionDir(dataDir, studyUid, version);
  mkdirSync(dir, { recursive: true });
  for (const p of pictures.lesions) writeAtomically(join(dir, `lesion-${p.lesionIndex}.png`), p.png);
  writeAtomically(join(dir, 'summary.png'), pictures.summary.png);
  if (pictures.pdf) writeAtomically(join(dir, 'report.pdf'), pictures.pdf);
  return dir;
}

function readIfThere(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The PNG of one lesion's key image (lesionIndex = its index in the stored analysis' lesions),
 * or undefined when there is none (no such study, version or lesion; a lesion without a key
 * slice; pictures not made). Throws RangeError for a study UID or version that cannot be one
 * (so a web request cannot name another path).
 */
export function readLesionPicture(dataDir: string, studyUid: string, version: number, lesionIndex: number): Buffer | undefined {
  if (!Number.isSafeInteger(lesionIndex) || lesionIndex < 0) throw new RangeError(`${lesionIndex} is not a lesion index (0, 1, ...)`);
  return readIfThere(join(versionDir(dataDir, studyUid, version), `lesion-${lesionIndex}.png`));
}

/** The PNG of the summary page of a study version, or undefined (see readLesionPicture). */
export function readSummaryPicture(dataDir: string, studyUid: string, version: number): Buffer | undefined {
  return readIfThere(join(versionDir(dataDir, studyUid, version), 'summary.png'));
}

/** The PDF of a study version, or undefined when none was made (report.summary without pdf). */
export function readReportPdf(dataDir: string, studyUid: string, version: number): Buffer | undefined {
  return readIfThere(join(versionDir(dataDir, studyUid, version), 'report.pdf'));
}

/** Removes every picture of a study (all versions), e.g. when retention purges the study. */
export function removeStudyPictures(dataDir: string, studyUid: string): void {
  if (!UID.test(studyUid) || studyUid.length > 64) return;
  rmSync(join(dataDir, 'pictures', studyUid), { recursive: true, force: true });
}
