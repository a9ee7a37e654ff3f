/**
 * One CT series from its image headers: slices ordered along the slice normal (never by
 * instance number or file name), spacing from the positions, and a validation report saying
 * precisely what makes the series unusable (errors) or risky (warnings).
 *
 * Checks: images without position/orientation/spacing, multi-frame or colour images, mixed
 * rows/columns or pixel spacing, more than one frame of reference, localisers (ImageType
 * LOCALIZER; or an orientation different from the majority: other-orientation-left-out) mixed
 * in, duplicate positions,
 * missing slices (a gap of about n × the spacing, n ≥ 2), non-uniform spacing beyond the
 * tolerance, non-orthogonal orientation and gantry tilt (positions stepping off the slice normal).
 */
import { ImageHeader } from './imageHeader';
import { angleDeg, cross, dot, norm, normalise, PatientGeometry, scale, sub, Vec3 } from './geometry';
import type { PatientIdentity, StudyIdentity } from '../results/types';
import { fixed } from '../ops/format';

export interface SeriesIssue {
  /** error: the series cannot be used as it is; warning: used, but someone should know. */
  severity: 'error' | 'warning';
  /** Stable code, e.g. "missing-slices", "gantry-tilt". */
  code: string;
  message: string;
}

/** One slice of the ordered series, as the SR and the volume need to reference it. */
export interface SliceRef {
  /** Index along the series (0 = first along sliceDirection). */
  index: number;
  sopInstanceUid: string;
  sopClassUid: string;
  /** Image Position (Patient), mm. */
  position: Vec3;
  instanceNumber?: number;
  /** For a frame of a multi-frame object: its frame number (from 1), as image references give it. */
  frameNumber?: number;
}

/** How contour image references and slices are matched: the SOP Instance UID, and the frame number of a multi-frame image. */
export function imageKey(sopInstanceUid: string, frameNumber?: number): string {
  return frameNumber === undefined ? sopInstanceUid : `${sopInstanceUid}#${frameNumber}`;
}

/** Series-level facts the CD8 quality gates and the report need. */
export interface SeriesFacts {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  frameOfReferenceUid?: string;
  modality?: string;
  /** (0018,0060) KVP; undefined when absent (the IBSI phantom has none). */
  kvp?: number;
  /** (0018,0050) Slice Thickness, mm. */
  sliceThicknessMm?: number;
  manufacturer?: string;
  manufacturerModelName?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  patient: PatientIdentity;
  study: Omit<StudyIdentity, 'version'>;
}

export interface CtSeries {
  facts: SeriesFacts;
  /** Images in slice order (index i of `slices` is slice i); empty when positions are unusable. */
  headers: ImageHeader[];
  slices: SliceRef[];
  /** Geometry of the whole series; null when the series is unusable. */
  geometry: PatientGeometry | null;
  issues: SeriesIssue[];
  /** Images left out (localisers, repeated instances), with the reason. */
  leftOut: Array<{ source: string; sopInstanceUid: string; reason: string }>;
}

export interface SeriesCheckOptions {
  /** Largest deviation of a gap from the median gap, mm (imaging.sliceSpacingToleranceMm). */
  sliceSpacingToleranceMm: number;
}

export const usable = (s: CtSeries): s is CtSeries & { geometry: PatientGeometry } =>
  s.geometry !== null && !s.issues.some((i) => i.severity === 'error');

const fmtVec = (v: readonly number[], digits = 2) => `(${v.map((x) => fixed(x, digits)).join(', ')})`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The file, and the frame for a frame of a multi-frame object, for messages. */
const where = (h: ImageHeader) => (h.frame === undefined ? h.source : `${h.source} frame ${h.frame + 1}`);

function orientationKey(iop: readonly number[]): string {
  return iop.map((x) => x.toFixed(3)).join('\\');
}

function mostCommon<T>(items: T[], key: (t: T) => string): { key: string; items: T[] }[] {
  const groups = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return [...groups.entries()].map(([k, v]) => ({ key: k, items: v })).sort((a, b) => b.items.length - a.items.length);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The report a series check builds: issues, images left out, and the series' UID to name it. */
class SeriesReport {
  readonly issues: SeriesIssue[] = [];
  readonly leftOut: CtSeries['leftOut'] = [];
  constructor(readonly seriesUid: string) {}
  error(code: string, message: string): void {
    this.issues.push({ severity: 'error', code, message });
  }
  warning(code: string, message: string): void {
    this.issues.push({ severity: 'warning', code, message });
  }
  leaveOut(h: ImageHeader, reason: string): void {
    this.leftOut.push({ source: h.source, sopInstanceUid: h.sopInstanceUid, reason });
  }
}

/** A header with the attributes `checkRequiredAttributes` made sure of. */
type PlacedHeader = ImageHeader & { imagePositionPatient: Vec3; imageOrientationPatient: number[]; pixelSpacing: number[] };

/** An image and its position along the slice normal, mm. */
interface OnNormal {
  h: PlacedHeader;
  z: number;
}

interface SliceAxes {
  rowDir: Vec3;
  colDir: Vec3;
  normal: Vec3;
}

/**
 * Orders and checks the images of one series. `headers` must all carry the same Series
 * Instance UID (group them first with groupBySeries). Each step below either narrows the images
 * (leaving some out with a warning) or finds what makes the series unusable.
 */
export function analyseCtSeries(input: ImageHeader[], options: SeriesCheckOptions): CtSeries {
  const report = new SeriesReport(input[0]?.seriesInstanceUid ?? '');
  const empty = (): CtSeries => ({ facts: seriesFacts(input), headers: [], slices: [], geometry: null, issues: report.issues, leftOut: report.leftOut });
  if (input.length === 0) {
    report.error('no-images', 'the series has no image.');
    return empty();
  }
  const tol = options.sliceSpacingToleranceMm;
  let headers = dropRepeatedInstances(input, report);
  headers = dropLocalisers(headers, report);
  const placed = checkRequiredAttributes(headers, report);
  if (!placed) return empty();
  const sameOrientation = dropOrientationOutliers(placed, report);
  if (!sameOrientation) return empty();
  checkUniformImages(sameOrientation, input[0], report);
  const axes = sliceAxes(sameOrientation[0].imageOrientationPatient, report);
  if (!axes) return empty();
  const ordered = orderAlongNormal(sameOrientation, axes.normal);
  if (ordered.length < 2) {
    report.error('single-slice', `series ${report.seriesUid} has only one image; a volume needs at least two slices.`);
    return empty();
  }
  if (hasDuplicatePositions(ordered, tol, report)) return empty();
  const step = sliceStep(ordered, tol, report);
  checkTilt(ordered, axes.normal, report);
  checkConstantFacts(ordered.map((w) => w.h), input[0], step, tol, report);
  return assemble(ordered.map((w) => w.h), axes, step, report);
}

/** The same instance received twice is harmless: keep one copy (the frames of one multi-frame object are not repeats). */
function dropRepeatedInstances(input: ImageHeader[], report: SeriesReport): ImageHeader[] {
  const seen = new Map<string, ImageHeader>();
  const kept: ImageHeader[] = [];
  const repeated: ImageHeader[] = [];
  for (const h of input) {
    const key = h.frame === undefined ? h.sopInstanceUid : `${h.sopInstanceUid}#${h.frame}`;
    const earlier = seen.get(key);
    if (earlier) {
      report.leaveOut(h, `same SOP Instance UID as ${earlier.source}`);
      repeated.push(h);
      continue;
    }
    seen.set(key, h);
    kept.push(h);
  }
  if (repeated.length > 0) report.warning('repeated-instances', `${plural(repeated.length, 'file')} repeat an instance already present and were ignored (${repeated.map((h) => h.source).join(', ')}).`);
  return kept;
}

/** Localisers by Image Type (those by orientation alone: dropOrientationOutliers). */
function dropLocalisers(headers: ImageHeader[], report: SeriesReport): ImageHeader[] {
  const localisers = headers.filter((h) => h.imageType.includes('LOCALIZER'));
  if (localisers.length === 0 || localisers.length === headers.length) return headers;
  for (const h of localisers) report.leaveOut(h, 'localiser (ImageType LOCALIZER)');
  report.warning('localiser-left-out', `${plural(localisers.length, 'localiser image')} (ImageType LOCALIZER) in series ${report.seriesUid} ${localisers.length === 1 ? 'was' : 'were'} left out: ${localisers.map((h) => h.source).join(', ')}.`);
  return headers.filter((h) => !h.imageType.includes('LOCALIZER'));
}

/** Position, orientation and spacing on every image (frame), greyscale pixel data; undefined when the series cannot be placed. */
function checkRequiredAttributes(input: ImageHeader[], report: SeriesReport): PlacedHeader[] | undefined {
  const seriesUid = report.seriesUid;
  // A multi-frame object that could not be split says why; its missing per-image attributes would only add noise.
  const broken = input.filter((h) => h.frameProblem !== undefined);
  if (broken.length > 0) report.error('multi-frame-inconsistent', broken.map((h) => h.frameProblem).join(' '));
  const headers = input.filter((h) => h.frameProblem === undefined);
  if (headers.length === 0) return undefined;
  const missing = (what: string, pick: (h: ImageHeader) => unknown) => {
    const without = headers.filter((h) => pick(h) === undefined);
    if (without.length > 0) report.error(`missing-${what.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-$/, '')}`, `${plural(without.length, 'image')} of series ${seriesUid} ${without.length === 1 ? 'has' : 'have'} no ${what} (e.g. ${without[0].source}); the node needs it to place the slices.`);
    return without.length > 0;
  };
  const lacks = [
    missing('Image Position (Patient)', (h) => h.imagePositionPatient),
    missing('Image Orientation (Patient)', (h) => h.imageOrientationPatient),
    missing('Pixel Spacing', (h) => h.pixelSpacing),
  ].some(Boolean);
  const noPixels = headers.filter((h) => !h.hasPixelData);
  if (noPixels.length > 0) report.error('no-pixel-data', `${plural(noPixels.length, 'image')} of series ${seriesUid} carry no Pixel Data (e.g. ${noPixels[0].source}).`);
  // Multi-frame objects arrive here frame by frame (multiFrame.ts); one that could not be split was refused above.
  const multiFrame = headers.filter((h) => h.pixel.numberOfFrames > 1 && h.frame === undefined);
  if (multiFrame.length > 0) report.error('multi-frame', `series ${seriesUid} holds multi-frame images whose frames cannot be placed (${multiFrame[0].pixel.numberOfFrames} frames in ${multiFrame[0].source}); only Enhanced CT and Legacy Converted Enhanced CT objects (with functional groups) and single-frame CT images are supported.`);
  const colour = headers.filter((h) => h.pixel.samplesPerPixel !== 1);
  if (colour.length > 0) report.error('not-greyscale', `series ${seriesUid} has ${colour[0].pixel.samplesPerPixel} samples per pixel (${colour[0].pixel.photometricInterpretation}); CT must be greyscale.`);
  return lacks || broken.length > 0 ? undefined : (headers as PlacedHeader[]);
}

/**
 * Images whose orientation differs from a majority (a localiser without ImageType LOCALIZER, a
 * reformat) are left out; without a majority the series is unusable (undefined).
 */
function dropOrientationOutliers(headers: PlacedHeader[], report: SeriesReport): PlacedHeader[] | undefined {
  const orientations = mostCommon(headers, (h) => orientationKey(h.imageOrientationPatient));
  if (orientations.length === 1) return headers;
  const main = orientations[0];
  if (main.items.length * 2 <= headers.length) {
    report.error('mixed-orientation', `series ${report.seriesUid} mixes image orientations (${orientations.map((g) => `${g.items.length} × (${g.key.replace(/\\/g, ', ')})`).join('; ')}); no orientation holds a majority. Send the axial series alone.`);
    return undefined;
  }
  const others = orientations.slice(1).flatMap((g) => g.items);
  for (const h of others) report.leaveOut(h, `orientation ${fmtVec(h.imageOrientationPatient, 3)} differs from the series (${main.key.replace(/\\/g, ', ')})`);
  report.warning('other-orientation-left-out', `${plural(others.length, 'image')} of series ${report.seriesUid} with an orientation different from the other ${main.items.length} (localiser or reformat?) ${others.length === 1 ? 'was' : 'were'} left out: ${others.map((h) => h.source).join(', ')}.`);
  return main.items;
}

/** One image size, one pixel spacing, one frame of reference. */
function checkUniformImages(headers: PlacedHeader[], first: ImageHeader, report: SeriesReport): void {
  const seriesUid = report.seriesUid;
  const sizes = mostCommon(headers, (h) => `${h.pixel.columns}×${h.pixel.rows}`);
  if (sizes.length > 1) report.error('mixed-size', `series ${seriesUid} mixes image sizes (columns × rows): ${sizes.map((g) => `${g.items.length} × ${g.key}`).join(', ')}.`);
  const spacings = mostCommon(headers, (h) => h.pixelSpacing.map((x) => x.toFixed(4)).join('\\'));
  if (spacings.length > 1) report.error('mixed-pixel-spacing', `series ${seriesUid} mixes pixel spacings (row\\column, mm): ${spacings.map((g) => `${g.items.length} × ${g.key}`).join(', ')}.`);
  const frames = mostCommon(headers, (h) => h.frameOfReferenceUid ?? '(none)');
  if (frames.length > 1) report.error('mixed-frame-of-reference', `series ${seriesUid} spans ${frames.length} frames of reference (${frames.map((g) => `${g.items.length} images in ${g.key}`).join('; ')}); contours can be placed in one only. Send one acquisition per series.`);
  else if (!first.frameOfReferenceUid) report.warning('no-frame-of-reference', `series ${seriesUid} has no Frame of Reference UID; the RTSTRUCT cannot be checked against it.`);
}

/** Row, column and slice directions from Image Orientation (Patient); undefined when non-orthogonal. */
function sliceAxes(iop: number[], report: SeriesReport): SliceAxes | undefined {
  const rowDirection: Vec3 = [iop[0], iop[1], iop[2]];
  const columnDirection: Vec3 = [iop[3], iop[4], iop[5]];
  if (Math.abs(norm(rowDirection) - 1) > 1e-3 || Math.abs(norm(columnDirection) - 1) > 1e-3) {
    report.warning('orientation-not-unit', `Image Orientation (Patient) of series ${report.seriesUid} is not made of unit vectors (${fmtVec(iop, 4)}); normalised.`);
  }
  const rowDir = normalise(rowDirection);
  const colDir = normalise(columnDirection);
  const skew = angleDeg(rowDir, colDir);
  if (Math.abs(skew - 90) > 0.01) {
    report.error('non-orthogonal', `Image Orientation (Patient) of series ${report.seriesUid} is non-orthogonal: its row and column directions are ${fixed(skew, 3)}° apart instead of 90°.`);
    return undefined;
  }
  return { rowDir, colDir, normal: normalise(cross(rowDir, colDir)) };
}

function orderAlongNormal(headers: PlacedHeader[], normal: Vec3): OnNormal[] {
  return headers.map((h) => ({ h, z: dot(h.imagePositionPatient, normal) })).sort((a, b) => a.z - b.z);
}

const gapsOf = (ordered: OnNormal[]) => ordered.slice(1).map((w, i) => w.z - ordered[i].z);

/** Different instances at the same place: two acquisitions or reconstructions mixed. */
function hasDuplicatePositions(ordered: OnNormal[], tol: number, report: SeriesReport): boolean {
  const dupTol = Math.max(tol, 1e-3);
  const duplicates = gapsOf(ordered)
    .map((g, i) => ({ g, i }))
    .filter(({ g }) => g <= dupTol);
  if (duplicates.length === 0) return false;
  const list = duplicates.slice(0, 5).map(({ i }) => `${where(ordered[i].h)} and ${where(ordered[i + 1].h)} at ${fixed(ordered[i].z)} mm`);
  report.error('duplicate-positions', `series ${report.seriesUid} has ${plural(duplicates.length, 'pair')} of images at the same position along the slice normal (${list.join('; ')}${duplicates.length > 5 ? '; ...' : ''}); it probably mixes two acquisitions or reconstructions. Send one reconstruction per series.`);
  return true;
}

/** The slice spacing (median gap), with missing slices and uneven gaps reported. */
function sliceStep(ordered: OnNormal[], tol: number, report: SeriesReport): number {
  const gaps = gapsOf(ordered);
  // Positions are decimal strings of limited precision: a micrometre is far below their noise.
  const step = Math.round(median(gaps) * 1e6) / 1e6;
  const missingGaps: string[] = [];
  const uneven: string[] = [];
  gaps.forEach((g, i) => {
    if (Math.abs(g - step) <= tol) return;
    const n = Math.round(g / step);
    const at = `between ${where(ordered[i].h)} (${fixed(ordered[i].z)} mm) and ${where(ordered[i + 1].h)} (${fixed(ordered[i + 1].z)} mm)`;
    if (n >= 2 && Math.abs(g - n * step) <= tol * n) missingGaps.push(`${plural(n - 1, 'slice')} missing ${at}: gap ${fixed(g, 3)} mm`);
    else uneven.push(`gap ${fixed(g, 3)} mm ${at}`);
  });
  if (missingGaps.length > 0) report.error('missing-slices', `series ${report.seriesUid} has missing slices (spacing ${fixed(step, 3)} mm): ${missingGaps.join('; ')}. Re-send the complete series.`);
  if (uneven.length > 0) report.error('non-uniform-spacing', `series ${report.seriesUid} has non-uniform slice spacing: the median gap is ${fixed(step, 3)} mm, but ${uneven.join('; ')} (tolerance ${tol} mm, imaging.sliceSpacingToleranceMm).`);
  return step;
}

/** Gantry tilt / non-orthogonal stacking: the positions must step along the normal. */
function checkTilt(ordered: OnNormal[], normal: Vec3, report: SeriesReport): void {
  const first = ordered[0].h;
  const p0 = first.imagePositionPatient;
  const total = sub(ordered[ordered.length - 1].h.imagePositionPatient, p0);
  const along = dot(total, normal);
  let worstLateral = 0;
  for (const w of ordered) {
    const d = sub(w.h.imagePositionPatient, p0);
    worstLateral = Math.max(worstLateral, norm(sub(d, scale(normal, dot(d, normal)))));
  }
  const minPixel = Math.min(...first.pixelSpacing);
  const declared = first.gantryDetectorTilt;
  if (worstLateral > 0.05 * minPixel) {
    const tilt = angleDeg(total, normal);
    report.error('gantry-tilt', `series ${report.seriesUid} is tilted or sheared: its slice positions step ${fixed(tilt, 2)}° away from the slice normal (up to ${fixed(worstLateral, 2)} mm sideways over ${fixed(Math.abs(along), 1)} mm${declared ? `; Gantry/Detector Tilt ${declared}°` : ''}). The node needs slices stacked along their normal: reconstruct without tilt or resample the series first.`);
  } else if (declared && Math.abs(declared) > 0.01) {
    report.warning('gantry-tilt-corrected', `series ${report.seriesUid} declares Gantry/Detector Tilt ${declared}° but its slices are stacked along their normal (tilt already corrected); used as is.`);
  }
}

/** Facts that should not vary along a series (KVP, slice thickness), and thickness against spacing. */
function checkConstantFacts(headers: ImageHeader[], first: ImageHeader, step: number, tol: number, report: SeriesReport): void {
  const seriesUid = report.seriesUid;
  const kvps = new Set(headers.map((h) => h.kvp ?? NaN).filter((x) => !Number.isNaN(x)));
  if (kvps.size > 1) report.warning('mixed-kvp', `series ${seriesUid} mixes KVP values (${[...kvps].join(', ')}); the first slice's value is reported.`);
  const thick = new Set(headers.map((h) => h.sliceThickness ?? NaN).filter((x) => !Number.isNaN(x)));
  if (thick.size > 1) report.warning('mixed-slice-thickness', `series ${seriesUid} mixes Slice Thickness values (${[...thick].join(', ')} mm).`);
  if (first.sliceThickness !== undefined && Math.abs(first.sliceThickness - step) > Math.max(tol, 0.01 * step) && first.sliceThickness < step - tol) {
    report.warning('gaps-between-slices', `slices of series ${seriesUid} are ${first.sliceThickness} mm thick but ${fixed(step, 3)} mm apart: tissue between slices is not imaged.`);
  }
}

/** The ordered slices and, when nothing is an error, the series geometry. */
function assemble(headers: PlacedHeader[], axes: SliceAxes, step: number, report: SeriesReport): CtSeries {
  const slices: SliceRef[] = headers.map((h, index) => ({
    index,
    sopInstanceUid: h.sopInstanceUid,
    sopClassUid: h.sopClassUid,
    position: h.imagePositionPatient,
    ...(h.instanceNumber !== undefined ? { instanceNumber: h.instanceNumber } : {}),
    ...(h.frame !== undefined ? { frameNumber: h.frame + 1 } : {}),
  }));
  const ps = headers[0].pixelSpacing;
  const geometry: PatientGeometry | null = report.issues.some((i) => i.severity === 'error')
    ? null
    : {
        dims: [headers[0].pixel.columns, headers[0].pixel.rows, headers.length],
        spacing: [ps[1], ps[0], step],
        origin: [...headers[0].imagePositionPatient] as Vec3,
        rowDirection: axes.rowDir,
        columnDirection: axes.colDir,
        sliceDirection: axes.normal,
      };
  return { facts: seriesFacts(headers), headers, slices, geometry, issues: report.issues, leftOut: report.leftOut };
}

function seriesFacts(headers: ImageHeader[]): SeriesFacts {
  const h = headers[0];
  if (!h) return { seriesInstanceUid: '', studyInstanceUid: '', patient: { patientId: '', patientName: '' }, study: { studyInstanceUid: '' } };
  const facts: SeriesFacts = { seriesInstanceUid: h.seriesInstanceUid, studyInstanceUid: h.studyInstanceUid, patient: h.patient, study: h.study };
  const optional: Array<[keyof SeriesFacts, unknown]> = [
    ['frameOfReferenceUid', h.frameOfReferenceUid],
    ['modality', h.modality],
    ['kvp', h.kvp],
    ['sliceThicknessMm', h.sliceThickness],
    ['manufacturer', h.manufacturer],
    ['manufacturerModelName', h.manufacturerModelName],
    ['seriesDescription', h.seriesDescription],
    ['seriesNumber', h.seriesNumber],
  ];
  for (const [k, v] of optional) if (v !== undefined) (facts as unknown as Record<string, unknown>)[k] = v;
  return facts;
}

/** Groups image headers by Series Instance UID, in order of first appearance. */
export function groupBySeries(headers: ImageHeader[]): Map<string, ImageHeader[]> {
  const out = new Map<string, ImageHeader[]>();
  for (const h of headers) {
    const list = out.get(h.seriesInstanceUid);
    if (list) list.push(h);
    else out.set(h.seriesInstanceUid, [h]);
  }
  return out;
}
