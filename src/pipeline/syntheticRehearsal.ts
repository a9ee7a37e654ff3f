/**
 * A new node's spare has no real study to rehearse (rehearsal.ts): its first study would read the
 * DICOM files, plan the lesions (contours rasterised, masks) and decode pixels on cold code, ~0.1 s
 * above warm, and meet the analysis' first-real-study deoptimisations. So a spare given nothing to
 * rehearse writes a small synthetic study (CT series + RTSTRUCT, Part 10) to a private temporary
 * directory after its synthetic warm-up, rehearses it like a real one and removes the directory.
 *
 * The study: 40 axial slices of 128 × 128 (0.977 mm pixels, 2 mm apart, unsigned 16-bit with a
 * -1000 rescale as many scanners write), an elliptical body of textured soft tissue in room air,
 * and one 33.5 ml spherical GTV near the body's edge, so that its ring crosses the skin and the
 * ring-outside-body check traces air. Its identifiers are plainly synthetic; nothing of it is
 * stored, indexed, sent or logged (the runner logs one debug line).
 */
import { mkdtempSync } from 'node:fs';
import { lstat, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePart10 } from '../dicom/part10';
import { SopClass } from '../dicom/uids';
import { processExists } from '../ops/processExists';
import { nameBasedUid } from '../report/uids';
import type { Config } from '../config/schema';
import { rehearse, REHEARSE_MAX_SECONDS } from './rehearsal';
import type { AnalysisJob } from './runAnalysis';
import type { RegionThread } from './regionThread';

const COLUMNS = 128;
const ROWS = 128;
const SLICES = 40;
const PIXEL_MM = 0.977;
const SLICE_MM = 2;
const INTERCEPT = -1000;
/** Body: an ellipse (semi-axes in mm) about the image's centre; the lesion sits near its +x edge. */
const BODY_MM: readonly [number, number] = [55, 50];
/**
 * 33.5 ml: with a 5.6 ml lesion (radius 11 mm) the rehearsal settled only the reading and planning
 * (~30 ms of the phantom's first study) and the e2e benchmark showed no gain; with this one the
 * feature loops run long enough to be optimised as a real lesion's (README, End-to-end performance).
 */
const LESION_RADIUS_MM = 20;
const LESION_CENTRE_MM: readonly [number, number, number] = [32, 0, 0];
const CONTOUR_VERTICES = 48;
/** The temporary directories' name prefix (under os.tmpdir()). */
export const SYNTHETIC_DIR_PREFIX = 'cd8-rehearsal-';

const uid = (...parts: Array<string | number>) => nameBasedUid('synthetic-rehearsal', ...parts);
/** Patient coordinates (mm) of pixel (0, 0) of slice 0: the volume is centred on the origin. */
const ORIGIN: readonly [number, number, number] = [(-(COLUMNS - 1) * PIXEL_MM) / 2, (-(ROWS - 1) * PIXEL_MM) / 2, (-(SLICES - 1) * SLICE_MM) / 2];

/** The lesion's radius on the plane z (mm), or undefined where the plane misses it. */
function lesionRadiusAt(z: number): number | undefined {
  const dz = z - LESION_CENTRE_MM[2];
  const r2 = LESION_RADIUS_MM * LESION_RADIUS_MM - dz * dz;
  return r2 > 1 ? Math.sqrt(r2) : undefined;
}

/** Stored values (HU - INTERCEPT) of slice k: textured soft tissue, a brighter lesion, noisy air. */
function slicePixels(k: number, z: number): Uint16Array {
  const pixels = new Uint16Array(COLUMNS * ROWS);
  const r = lesionRadiusAt(z);
  let seed = 7919 + k;
  for (let j = 0, i = 0; j < ROWS; j++)
    for (let c = 0; c < COLUMNS; c++, i++) {
      const x = ORIGIN[0] + c * PIXEL_MM;
      const y = ORIGIN[1] + j * PIXEL_MM;
      seed = (seed * 1664525 + 1013904223) >>> 0;
      const noise = 30 * (seed / 4294967296 - 0.5);
      const inBody = (x / BODY_MM[0]) ** 2 + (y / BODY_MM[1]) ** 2 <= 1;
      const inLesion = r !== undefined && Math.hypot(x - LESION_CENTRE_MM[0], y - LESION_CENTRE_MM[1]) <= r;
      const hu = inLesion ? 70 + 25 * Math.sin(x / 2.5) * Math.cos(y / 3) + noise : inBody ? 35 + 15 * Math.sin(y / 7) + noise : -1000 + Math.abs(noise);
      pixels[i] = Math.max(0, Math.round(hu - INTERCEPT));
    }
  return pixels;
}

/** Writes the study into `dir` and returns its files; undefined when `giveUp()` (asked before each CT slice) says so. */
export async function writeSyntheticStudy(dir: string, giveUp: () => boolean = () => false): Promise<{ ctFiles: string[]; rtstructFile: string } | undefined> {
  const identity = {
    SpecificCharacterSet: 'ISO_IR 100',
    PatientName: 'SYNTHETIC^REHEARSAL',
    PatientID: 'CD8-NODE-REHEARSAL',
    PatientBirthDate: '',
    PatientSex: 'O',
    StudyInstanceUID: uid('study'),
    StudyDate: '20000101',
    StudyTime: '000000',
    StudyID: 'REHEARSAL',
    AccessionNumber: '',
    ReferringPhysicianName: '',
    Manufacturer: 'cd8-node (synthetic rehearsal)',
  };
  const series = uid('ct-series');
  const frame = uid('frame');
  const ctFiles: string[] = [];
  const sliceUids: string[] = [];
  for (let k = 0; k < SLICES; k++) {
    if (giveUp()) return undefined;
    const z = ORIGIN[2] + k * SLICE_MM;
    const sop = uid('ct', k);
    sliceUids.push(sop);
    const file = join(dir, `ct${String(k).padStart(3, '0')}.dcm`);
    const pixels = slicePixels(k, z);
    await writeFile(
      file,
      writePart10({
        _vrMap: { PixelData: 'OW' },
        ...identity,
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        SOPClassUID: SopClass.CtImageStorage,
        SOPInstanceUID: sop,
        Modality: 'CT',
        SeriesInstanceUID: series,
        SeriesNumber: 1,
        InstanceNumber: k + 1,
        FrameOfReferenceUID: frame,
        KVP: 120,
        SliceThickness: SLICE_MM,
        ImagePositionPatient: [ORIGIN[0], ORIGIN[1], z],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        PixelSpacing: [PIXEL_MM, PIXEL_MM],
        Rows: ROWS,
        Columns: COLUMNS,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 0,
        RescaleIntercept: INTERCEPT,
        RescaleSlope: 1,
        PixelData: [pixels.buffer],
      }),
    );
    ctFiles.push(file);
  }
  const contours = sliceUids.flatMap((sop, k) => {
    const z = ORIGIN[2] + k * SLICE_MM;
    const r = lesionRadiusAt(z);
    if (r === undefined) return [];
    const points = Array.from({ length: CONTOUR_VERTICES }, (_, v) => {
      const a = ((v + 0.5) / CONTOUR_VERTICES) * 2 * Math.PI;
      return [Number((LESION_CENTRE_MM[0] + r * Math.cos(a)).toFixed(3)), Number((LESION_CENTRE_MM[1] + r * Math.sin(a)).toFixed(3)), z];
    }).flat();
    return [{ ContourImageSequence: [{ ReferencedSOPClassUID: SopClass.CtImageStorage, ReferencedSOPInstanceUID: sop }], ContourGeometricType: 'CLOSED_PLANAR', NumberOfContourPoints: CONTOUR_VERTICES, ContourData: points }];
  });
  const rtstructFile = join(dir, 'rtstruct.dcm');
  await writeFile(
    rtstructFile,
    writePart10({
      ...identity,
      SOPClassUID: SopClass.RtStructureSetStorage,
      SOPInstanceUID: uid('rtstruct'),
      Modality: 'RTSTRUCT',
      SeriesInstanceUID: uid('rtstruct-series'),
      SeriesNumber: 2,
      InstanceNumber: 1,
      StructureSetLabel: 'REHEARSAL',
      StructureSetDate: '20000101',
      StructureSetTime: '000000',
      ReferencedFrameOfReferenceSequence: [
        {
          FrameOfReferenceUID: frame,
          RTReferencedStudySequence: [
            {
              ReferencedSOPClassUID: SopClass.DetachedStudyManagement,
              ReferencedSOPInstanceUID: identity.StudyInstanceUID,
              RTReferencedSeriesSequence: [{ SeriesInstanceUID: series, ContourImageSequence: sliceUids.map((s) => ({ ReferencedSOPClassUID: SopClass.CtImageStorage, ReferencedSOPInstanceUID: s })) }],
            },
          ],
        },
      ],
      StructureSetROISequence: [{ ROINumber: 1, ReferencedFrameOfReferenceUID: frame, ROIName: 'GTV-1', ROIGenerationAlgorithm: 'MANUAL' }],
      ROIContourSequence: [{ ReferencedROINumber: 1, ROIDisplayColor: [255, 0, 0], ContourSequence: contours }],
      RTROIObservationsSequence: [{ ObservationNumber: 1, ReferencedROINumber: 1, RTROIInterpretedType: 'GTV', ROIInterpreter: '' }],
    }),
  );
  return { ctFiles, rtstructFile };
}

/** The directories this process made: never taken for another process's leftovers, whatever their names say. */
const madeHere = new Set<string>();

/**
 * A private directory for a spare's synthetic study: the runner makes it when it starts a spare
 * with nothing to rehearse and removes it when that worker exits (a worker ended by terminate()
 * runs no cleanup of its own); the worker removes it as soon as its rehearsal is over. Its name
 * carries this process's ID, so that a later start can tell a killed node's directory from a
 * running one's (removeOrphanedSyntheticStudyDirs).
 */
export function makeSyntheticStudyDir(parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, `${SYNTHETIC_DIR_PREFIX}${process.pid}-`));
  madeHere.add(dir);
  return dir;
}

/**
 * A leftover is at least this old. A spare's directory lives for its warm-up and one rehearsal
 * (seconds), so a younger one may belong to a node whose process this one cannot see (another PID
 * namespace: a temporary directory shared between containers).
 */
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/**
 * The name of a directory made before the names carried a process ID (mkdtemp's six characters
 * after the prefix, no dash): its owner cannot be told, so only its age says it is a leftover.
 */
const UNNUMBERED_DIR = /^[A-Za-z0-9]{6}$/;

/**
 * Removes the synthetic-study directories under `parent` that a node left when it was killed while
 * its spare had one (SIGKILL; ≤ 1.4 MB each): directories of this user, older than
 * ORPHAN_MIN_AGE_MS, named with the ID of a process that no longer runs, or with this process's ID
 * but not made by it (a container's node is PID 1 at every start), or named without an ID by an
 * earlier version. Never rejects. Returns how many were removed.
 */
export async function removeOrphanedSyntheticStudyDirs(
  parent = tmpdir(),
  options: { runs?: (pid: number) => boolean; now?: number } = {},
): Promise<number> {
  const runs = options.runs ?? processExists;
  const now = options.now ?? Date.now();
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(SYNTHETIC_DIR_PREFIX)) continue;
    const rest = name.slice(SYNTHETIC_DIR_PREFIX.length);
    const dir = join(parent, name);
    if (madeHere.has(dir)) continue;
    if (!UNNUMBERED_DIR.test(rest)) {
      const pid = Number(/^(\d+)-/.exec(rest)?.[1] ?? NaN);
      if (!Number.isSafeInteger(pid) || pid <= 0 || (pid !== process.pid && runs(pid))) continue;
    }
    try {
      // lstat: a symbolic link or another user's entry in a shared /tmp is never followed or removed.
      const st = await lstat(dir);
      if (!st.isDirectory() || st.uid !== process.getuid?.() || now - st.mtimeMs < ORPHAN_MIN_AGE_MS) continue;
      await rm(dir, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone meanwhile, or not ours to remove: the system's cleaner takes it.
    }
  }
  return removed;
}

/**
 * Writes the synthetic study into `dir` (empty, private), rehearses it once with `config` (same
 * `jobWaiting` and time limit as a real rehearsal; writing it takes ~20–300 ms, cold) and removes
 * `dir`, whatever happened. Never rejects. Returns the analyses completed (0 or 1).
 */
export async function rehearseSyntheticStudy(
  config: Config,
  dir: string,
  jobWaiting: () => boolean = () => false,
  regionThread?: RegionThread,
  maxSeconds = REHEARSE_MAX_SECONDS,
): Promise<number> {
  try {
    const files = await writeSyntheticStudy(dir, jobWaiting);
    if (!files || jobWaiting()) return 0;
    const job: AnalysisJob = { ...files, config, run: { version: 1, cohortScores: [], analysedAt: new Date().toISOString() } };
    // Once: it only has to settle the code before the node's first real study.
    return await rehearse(job, jobWaiting, regionThread, 1, maxSeconds);
  } catch {
    // Only an optimisation: a full temporary disk or a refused write leaves the next study cold.
    return 0;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
