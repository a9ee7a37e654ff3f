/**
 * The I/O edge of imaging/ (its file reading): from a CT directory (or list of files) and an RTSTRUCT file to the
 * lesions with their masks and HU volumes.
 *
 *   headers of every file → series grouped, the RTSTRUCT's series chosen and checked →
 *   lesions planned from geometry alone → pixels decoded only for the slices the lesions need
 *   (their extent plus imaging.marginMm along the slice axis) → one HU volume per group of
 *   nearby lesions.
 *
 * So a 1,000-slice study with one liver lesion decodes a few dozen slices, never the whole scan.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkMultiFrame, DicomReadError, ImagingReader, MultiFrameFile, openMultiFrame, readImagingFile, readImagingHeader, readPixelSamples, transferSyntaxLossy, transferSyntaxSupported } from '../dicom/read';
import { expandFrames } from './multiFrame';
import { analyseCtSeries, CtSeries, groupBySeries, SeriesIssue, SliceRef, usable } from './ctSeries';
import { PatientGeometry } from './geometry';
import { ImageHeader, imageHeader } from './imageHeader';
import { LesionPlan, PlannedLesion, planLesions } from './lesionPlan';
import { LesionRules } from './lesions';
import { SliceRange, unpackMask } from './roiMask';
import { parseStructureSet, RtstructError, StructureSet } from './rtstruct';
import { chooseSeries } from './seriesChoice';
import { ImagingStudy, Lesion } from './study';
import { CtVolume, emptyCtVolume, setSlice } from './volume';
import { errorText } from '../ops/errorText';

export type { ImagingStudy, Lesion } from './study';

/** Why the study cannot be imaged; `problems` name each cause and what to do (→ StudyProblem). */
export class ImagingError extends Error {
  override readonly name = 'ImagingError';
  constructor(readonly problems: Array<{ code: string; message: string }>) {
    super(problems.map((p) => p.message).join('\n'));
  }
}

export interface LoadOptions {
  rules: LesionRules;
  /** imaging.marginMm (default 20). */
  marginMm?: number;
  /** imaging.sliceSpacingToleranceMm (default 0.05). */
  sliceSpacingToleranceMm?: number;
  /** Use this series instead of the one the RTSTRUCT references. */
  seriesInstanceUid?: string;
  /** Decode the whole series into one volume (phantoms, tests), not just the lesions' slices. */
  wholeSeries?: boolean;
  /** Called once per decoded slice (progress, and tests that count decoding). */
  onSliceDecoded?: (slice: SliceRef) => void;
}

async function listFiles(dirOrFiles: string | readonly string[]): Promise<string[]> {
  if (typeof dirOrFiles !== 'string') return [...dirOrFiles];
  const info = await stat(dirOrFiles).catch((e: Error) => {
    throw new ImagingError([{ code: 'ct-not-found', message: `cannot read the CT directory ${dirOrFiles}: ${e.message}` }]);
  });
  if (!info.isDirectory()) return [dirOrFiles];
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dirOrFiles);
  return out;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A multi-frame object (Enhanced CT) as one header per frame, placed by its functional groups.
 * Its Pixel Data is checked against its Number of Frames here, before anything is planned on
 * it: from the element headers that lead to Pixel Data (checkMultiFrame), not by parsing the
 * whole file, which the decoding does once; an object that cannot be split comes back whole with
 * the reason, and the series check refuses it.
 */
async function frameHeaders(h: ImageHeader, dataset: Record<string, unknown>): Promise<ImageHeader[]> {
  const expanded = expandFrames(h, dataset);
  if (!expanded.ok) return [{ ...h, frameProblem: expanded.message }];
  if (h.pixel.numberOfFrames <= 1 || !transferSyntaxSupported(h.transferSyntaxUid)) return expanded.frames;
  try {
    await checkMultiFrame(h.source, h.pixel);
  } catch (e) {
    return [{ ...h, frameProblem: errorText(e) }];
  }
  return expanded.frames;
}

/**
 * Image headers of every image file (one per frame of a multi-frame object); other files come back in `skipped` with the reason.
 * `reader` 'dcmjs' reads every element with dcmjs (the reference for the tests); the default reads only what the imaging needs.
 */
export async function readImageHeaders(dirOrFiles: string | readonly string[], reader: ImagingReader = 'fast'): Promise<{ headers: ImageHeader[]; skipped: Array<{ path: string; reason: string }> }> {
  const files = await listFiles(dirOrFiles);
  const skipped: Array<{ path: string; reason: string }> = [];
  const read = await mapLimit(files, 8, async (path) => {
    try {
      const { meta, dataset } = await readImagingHeader(path, reader);
      const h = imageHeader(meta, dataset, path);
      if (!h.hasPixelData || h.pixel.rows === 0) {
        skipped.push({ path, reason: `not an image (${h.modality ?? 'no modality'}, SOP Class ${h.sopClassUid})` });
        return [];
      }
      return h.pixel.numberOfFrames > 1 ? await frameHeaders(h, dataset) : [h];
    } catch (e) {
      skipped.push({ path, reason: errorText(e) });
      return [];
    }
  });
  return { headers: read.flat(), skipped };
}

/** Reads and parses the RTSTRUCT file; ImagingError when it is not one. */
export async function readStructureSet(path: string, reader: ImagingReader = 'fast'): Promise<StructureSet> {
  try {
    const { dataset } = await readImagingFile(path, reader);
    return parseStructureSet(dataset, path);
  } catch (e) {
    const message = e instanceof RtstructError || e instanceof DicomReadError ? `RTSTRUCT: ${e.message}` : `cannot read the RTSTRUCT ${path}: ${errorText(e)}`;
    throw new ImagingError([{ code: 'rtstruct-unreadable', message }]);
  }
}

/** Decodes the slices of `range` of a checked series into an HU volume. */
export async function decodeCtVolume(series: CtSeries & { geometry: PatientGeometry }, range: SliceRange, onSliceDecoded?: (slice: SliceRef) => void): Promise<CtVolume> {
  const volume = emptyCtVolume(series, range);
  // A multi-frame file is parsed once for the range, its frames decoded one at a time.
  const multiFrame = new Map<string, Promise<MultiFrameFile>>();
  for (let k = 0; k < range.count; k++) {
    const index = range.first + k;
    const h = series.headers[index];
    let samples;
    if (h.frame === undefined) {
      samples = await readPixelSamples(h.source, h.pixel);
    } else {
      let file = multiFrame.get(h.source);
      if (!file) multiFrame.set(h.source, (file = openMultiFrame(h.source, h.pixel)));
      samples = await (await file).frame(h.frame);
    }
    setSlice(volume, k, h, samples);
    onSliceDecoded?.(series.slices[index]);
  }
  return volume;
}

/**
 * A study checked and planned, before any pixel is decoded: everything of ImagingStudy but the
 * volumes, plus the series and the lesion plan (masks on their slice ranges) to decode from.
 */
export interface PlannedImagingStudy extends Omit<ImagingStudy, 'volumes' | 'lesions' | 'decodedSlices'> {
  ctSeries: CtSeries & { geometry: PatientGeometry };
  plan: LesionPlan;
}

/**
 * Reads the headers and the RTSTRUCT of a study, checks the series and plans its lesions, without
 * decoding pixels. Throws ImagingError when the study cannot be used.
 */
export async function planImagingStudy(ct: string | readonly string[], rtstructFile: string, options: Omit<LoadOptions, 'wholeSeries' | 'onSliceDecoded'>): Promise<PlannedImagingStudy> {
  const ss = await readStructureSet(rtstructFile);
  const { headers, skipped } = await readImageHeaders(ct);
  const groups = groupBySeries(headers);
  const choice = chooseSeries(groups, ss, options.seriesInstanceUid);
  if (!choice.ok) throw new ImagingError([{ code: choice.code, message: choice.message }]);
  const chosen = groups.get(choice.seriesInstanceUid)!;

  const problems: Array<{ code: string; message: string }> = [];
  const unsupported = chosen.filter((h) => !transferSyntaxSupported(h.transferSyntaxUid));
  if (unsupported.length > 0) problems.push({ code: 'unsupported-transfer-syntax', message: `${unsupported.length} image(s) of series ${choice.seriesInstanceUid} use transfer syntax ${[...new Set(unsupported.map((h) => h.transferSyntaxUid))].join(', ')}, which cannot be decoded here; send them uncompressed or in a lossless syntax (RLE, JPEG-LS, JPEG 2000, JPEG Lossless SV1).` });
  const series = analyseCtSeries(chosen, { sliceSpacingToleranceMm: options.sliceSpacingToleranceMm ?? 0.05 });
  for (const i of series.issues) if (i.severity === 'error') problems.push({ code: i.code, message: i.message });
  const ctPatient = series.facts.patient.patientId;
  if (ctPatient && ss.patient.patientId && ctPatient !== ss.patient.patientId) {
    // The text reaches the console's viewers and the log: it says that the IDs differ, never what they are.
    problems.push({ code: 'patient-mismatch', message: 'the RTSTRUCT and the CT series have different Patient IDs; contours of one patient are never applied to another (compare the two objects in the PACS).' });
  }
  if (problems.length > 0 || !usable(series)) throw new ImagingError(problems.length > 0 ? problems : [{ code: 'unusable-series', message: `series ${choice.seriesInstanceUid} cannot be used.` }]);

  const warnings = [...choice.warnings, ...series.issues.filter((i: SeriesIssue) => i.severity === 'warning').map((i) => i.message)];
  if (series.facts.studyInstanceUid && ss.studyInstanceUid && series.facts.studyInstanceUid !== ss.studyInstanceUid) {
    warnings.push(`the RTSTRUCT is in study ${ss.studyInstanceUid}, the CT in study ${series.facts.studyInstanceUid}.`);
  }
  const syntaxes = [...new Set(series.headers.map((h) => h.transferSyntaxUid))];
  const lossy = syntaxes.filter(transferSyntaxLossy);
  if (lossy.length > 0) warnings.push(`series ${choice.seriesInstanceUid} is lossy-compressed (${lossy.join(', ')}): HU values differ from the original and radiomic features may too.`);

  let plan: LesionPlan;
  try {
    plan = planLesions(series, ss, { rules: options.rules, marginMm: options.marginMm ?? 20 });
  } catch (e) {
    throw new ImagingError([{ code: 'lesion-rules', message: errorText(e) }]);
  }
  warnings.push(...plan.warnings);

  return {
    patient: series.facts.patient,
    study: series.facts.study,
    series: { facts: series.facts, slices: series.slices, leftOut: series.leftOut, geometry: series.geometry, chosenBecause: choice.how, transferSyntaxes: syntaxes },
    structureSet: { sopInstanceUid: ss.sopInstanceUid, sopClassUid: ss.sopClassUid, seriesInstanceUid: ss.seriesInstanceUid, ...(ss.label ? { label: ss.label } : {}), ...(ss.name ? { name: ss.name } : {}), notes: ss.notes },
    excluded: plan.excluded,
    warnings,
    skippedFiles: skipped,
    ctSeries: series,
    plan,
  };
}

/** A planned lesion on its decoded volume, its mask unpacked. */
function lesionOn(planned: PlannedLesion, ct: CtVolume): Lesion {
  const { packedMask, ...lesion } = planned;
  return { ...lesion, mask: unpackMask(packedMask), ct };
}

function imagingStudy(planned: PlannedImagingStudy, volumes: CtVolume[], lesions: Lesion[], decodedSlices: number): ImagingStudy {
  const { ctSeries: _series, plan: _plan, ...facts } = planned;
  return { ...facts, volumes, lesions, decodedSlices };
}

/**
 * The planned study one volume at a time: for each slice range of the plan (ascending), its HU
 * volume is decoded and an ImagingStudy holding only that volume and the lesions on it is
 * yielded. A caller that lets go of each part before asking for the next holds one volume in
 * memory at a time, however many lesions the study has.
 */
export async function* imagingStudyParts(planned: PlannedImagingStudy, onSliceDecoded?: (slice: SliceRef) => void): AsyncGenerator<ImagingStudy> {
  for (const range of planned.plan.ranges) {
    let decoded = 0;
    const volume = await decodeCtVolume(planned.ctSeries, range, (s) => {
      decoded++;
      onSliceDecoded?.(s);
    });
    const lesions = planned.plan.lesions.filter((l) => l.range === range).map((l) => lesionOn(l, volume));
    yield imagingStudy(planned, [volume], lesions, decoded);
  }
}

/**
 * Lets go of a decoded part's pixels (its HU volumes and its lesions' masks) once everything that
 * reads them is done, so that their memory can go back before the features are computed: the
 * part stays usable for what it says about the study and its lesions, not for their pixels (the
 * emptied arrays no longer match their dimensions).
 */
export function releasePixels(part: ImagingStudy): void {
  for (const volume of part.volumes) volume.image = { ...volume.image, data: new Float32Array(0) };
  for (const lesion of part.lesions) lesion.mask = { ...lesion.mask, data: new Uint8Array(0) };
}

/**
 * Loads the lesions of `rtstructFile` on the CT found in `ct` (a directory, searched
 * recursively, or a list of files), every volume at once. Throws ImagingError when the study
 * cannot be used.
 */
export async function loadImagingStudy(ct: string | readonly string[], rtstructFile: string, options: LoadOptions): Promise<ImagingStudy> {
  const planned = await planImagingStudy(ct, rtstructFile, options);
  const { ctSeries: series, plan } = planned;
  let decoded = 0;
  const onDecoded = (s: SliceRef) => {
    decoded++;
    options.onSliceDecoded?.(s);
  };
  const ranges = options.wholeSeries ? [{ first: 0, count: series.geometry.dims[2] }] : plan.ranges;
  const volumes: CtVolume[] = [];
  for (const r of ranges) volumes.push(await decodeCtVolume(series, r, onDecoded));
  const lesions: Lesion[] = plan.lesions.map((l) => {
    if (!options.wholeSeries) return lesionOn(l, volumes[plan.ranges.indexOf(l.range)]);
    // Whole-series volume: re-home the mask on the full grid.
    const v = volumes[0];
    const [nx, ny] = series.geometry.dims;
    const data = new Uint8Array(v.image.data.length);
    data.set(unpackMask(l.packedMask).data, l.range.first * nx * ny);
    const { packedMask: _packed, ...lesion } = l;
    return { ...lesion, range: { ...v.range }, mask: { dims: [...v.image.dims], spacing: [...v.image.spacing], origin: [...v.image.origin], data }, ct: v };
  });
  return imagingStudy(planned, volumes, lesions, decoded);
}
