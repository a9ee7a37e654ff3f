/**
 * One CT series from its image headers: slices ordered along the slice normal (never by
 * instance number or file name), spacing from the positions, and a validation report saying
 * precisely what makes the series unusable (errors) or risky (warnings).
 *
 * Checks: images without position/orientation/spacing, multi-frame or colour images, mixed
 * rows/columns or pixel spacing, more than one frame of reference, localisers (ImageType
 * LOCALIZER, or an orientation different from the majority) mixed in, duplicate positions,
 * missing slices (a gap of about n × the spacing, n ≥ 2), non-uniform spacing beyond the
 * tolerance, non-orthogonal orientation and gantry tilt (positions stepping off the slice normal).
 */
import { ImageHeader } from './imageHeader';
import { angleDeg, cross, dot, norm, normalise, PatientGeometry, scale, sub, Vec3 } from './geometry';
import type { PatientIdentity, StudyIdentity } from '../results/types';

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

const fmt = (x: number, digits = 2) => Number(x.toFixed(digits)).toString();
const fmtVec = (v: readonly number[], digits = 2) => `(${v.map((x) => fmt(x, digits)).join(', ')})`;
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

/**
 * Orders and checks the images of one series. `headers` must all carry the same Series
 * Instance UID (group them first with groupBySeries).
 */
export function analyseCtSeries(input: ImageHeader[], options: SeriesCheckOptions): CtSeries {
  const issues: SeriesIssue[] = [];
  const leftOut: CtSeries['leftOut'] = [];
  const error = (code: string, message: string) => issues.push({ severity: 'error', code, message });
  const warning = (code: string, message: string) => issues.push({ severity: 'warning', code, message });
  const first = input[0];
  const seriesUid = first?.seriesInstanceUid ?? '';
  const facts = seriesFacts(input);
  const empty = (): CtSeries => ({ facts, headers: [], slices: [], geometry: null, issues, leftOut });
  if (input.length === 0) {
    error('no-images', 'the series has no image.');
    return empty();
  }

  // The same instance received twice is harmless: keep one copy (the frames of one multi-frame object are not repeats).
  const seen = new Map<string, ImageHeader>();
  let headers: ImageHeader[] = [];
  for (const h of input) {
    const key = h.frame === undefined ? h.sopInstanceUid : `${h.sopInstanceUid}#${h.frame}`;
    const earlier = seen.get(key);
    if (earlier) {
      leftOut.push({ source: h.source, sopInstanceUid: h.sopInstanceUid, reason: `same SOP Instance UID as ${earlier.source}` });
      continue;
    }
    seen.set(key, h);
    headers.push(h);
  }
  if (leftOut.length > 0) warning('repeated-instances', `${plural(leftOut.length, 'file')} repeat an instance already present and were ignored (${leftOut.map((l) => l.source).join(', ')}).`);

  // Localisers: by Image Type, then by an orientation that differs from the majority.
  const localisers = headers.filter((h) => h.imageType.includes('LOCALIZER'));
  if (localisers.length > 0 && localisers.length < headers.length) {
    for (const h of localisers) leftOut.push({ source: h.source, sopInstanceUid: h.sopInstanceUid, reason: 'localiser (ImageType LOCALIZER)' });
    headers = headers.filter((h) => !h.imageType.includes('LOCALIZER'));
    warning('localiser-left-out', `${plural(localisers.length, 'localiser image')} (ImageType LOCALIZER) in series ${seriesUid} ${localisers.length === 1 ? 'was' : 'were'} left out: ${localisers.map((h) => h.source).join(', ')}.`);
  }

  // A multi-frame object that could not be split says why; its missing per-image attributes would only add noise.
  const broken = headers.filter((h) => h.frameProblem !== undefined);
  if (broken.length > 0) {
    error('multi-frame-inconsistent', broken.map((h) => h.frameProblem).join(' '));
    headers = headers.filter((h) => h.frameProblem === undefined);
    if (headers.length === 0) return empty();
  }
  const missing = (what: string, pick: (h: ImageHeader) => unknown) => {
    const without = headers.filter((h) => pick(h) === undefined);
    if (without.length > 0) error(`missing-${what.toLowerCase().replace(/[^a-z]+/g, '-').replace(/-$/, '')}`, `${plural(without.length, 'image')} of series ${seriesUid} ${without.length === 1 ? 'has' : 'have'} no ${what} (e.g. ${without[0].source}); the node needs it to place the slices.`);
    return without.length > 0;
  };
  const lacks = [
    missing('Image Position (Patient)', (h) => h.imagePositionPatient),
    missing('Image Orientation (Patient)', (h) => h.imageOrientationPatient),
    missing('Pixel Spacing', (h) => h.pixelSpacing),
  ].some(Boolean);
  const noPixels = headers.filter((h) => !h.hasPixelData);
  if (noPixels.length > 0) error('no-pixel-data', `${plural(noPixels.length, 'image')} of series ${seriesUid} carry no Pixel Data (e.g. ${noPixels[0].source}).`);
  // Multi-frame objects arrive here frame by frame (multiFrame.ts); one that could not be split is refused.
  const multiFrame = headers.filter((h) => h.pixel.numberOfFrames > 1 && h.frame === undefined && h.frameProblem === undefined);
  if (multiFrame.length > 0) error('multi-frame', `series ${seriesUid} holds multi-frame images whose frames cannot be placed (${multiFrame[0].pixel.numberOfFrames} frames in ${multiFrame[0].source}); only Enhanced CT and Legacy Converted Enhanced CT objects (with functional groups) and single-frame CT images are supported.`);
  const colour = headers.filter((h) => h.pixel.samplesPerPixel !== 1);
  if (colour.length > 0) error('not-greyscale', `series ${seriesUid} has ${colour[0].pixel.samplesPerPixel} samples per pixel (${colour[0].pixel.photometricInterpretation}); CT must be greyscale.`);
  if (lacks) return empty();

  const orientations = mostCommon(headers, (h) => orientationKey(h.imageOrientationPatient!));
  if (orientations.length > 1) {
    const main = orientations[0];
    const others = orientations.slice(1).flatMap((g) => g.items);
    if (main.items.length * 2 > headers.length) {
      for (const h of others) leftOut.push({ source: h.source, sopInstanceUid: h.sopInstanceUid, reason: `orientation ${fmtVec(h.imageOrientationPatient!, 3)} differs from the series (${main.key.replace(/\\/g, ', ')})` });
      headers = main.items;
      warning('localiser-left-out', `${plural(others.length, 'image')} of series ${seriesUid} with an orientation different from the other ${headers.length} (localiser or reformat?) ${others.length === 1 ? 'was' : 'were'} left out: ${others.map((h) => h.source).join(', ')}.`);
    } else {
      error('mixed-orientation', `series ${seriesUid} mixes image orientations (${orientations.map((g) => `${g.items.length} × (${g.key.replace(/\\/g, ', ')})`).join('; ')}); no orientation holds a majority. Send the axial series alone.`);
      return empty();
    }
  }

  const sizes = mostCommon(headers, (h) => `${h.pixel.columns}×${h.pixel.rows}`);
  if (sizes.length > 1) error('mixed-size', `series ${seriesUid} mixes image sizes (columns × rows): ${sizes.map((g) => `${g.items.length} × ${g.key}`).join(', ')}.`);
  const spacings = mostCommon(headers, (h) => h.pixelSpacing!.map((x) => x.toFixed(4)).join('\\'));
  if (spacings.length > 1) error('mixed-pixel-spacing', `series ${seriesUid} mixes pixel spacings (row\\column, mm): ${spacings.map((g) => `${g.items.length} × ${g.key}`).join(', ')}.`);
  const frames = mostCommon(headers, (h) => h.frameOfReferenceUid ?? '(none)');
  if (frames.length > 1) error('mixed-frame-of-reference', `series ${seriesUid} spans ${frames.length} frames of reference (${frames.map((g) => `${g.items.length} images in ${g.key}`).join('; ')}); contours can be placed in one only. Send one acquisition per series.`);
  else if (!first.frameOfReferenceUid) warning('no-frame-of-reference', `series ${seriesUid} has no Frame of Reference UID; the RTSTRUCT cannot be checked against it.`);

  const iop = headers[0].imageOrientationPatient!;
  const rowDirection: Vec3 = [iop[0], iop[1], iop[2]];
  const columnDirection: Vec3 = [iop[3], iop[4], iop[5]];
  const rowNorm = norm(rowDirection);
  const colNorm = norm(columnDirection);
  if (Math.abs(rowNorm - 1) > 1e-3 || Math.abs(colNorm - 1) > 1e-3) warning('orientation-not-unit', `Image Orientation (Patient) of series ${seriesUid} is not made of unit vectors (${fmtVec(iop, 4)}); normalised.`);
  const rowDir = normalise(rowDirection);
  const colDir = normalise(columnDirection);
  const skew = angleDeg(rowDir, colDir);
  if (Math.abs(skew - 90) > 0.01) {
    error('non-orthogonal', `Image Orientation (Patient) of series ${seriesUid} is non-orthogonal: its row and column directions are ${fmt(skew, 3)}° apart instead of 90°.`);
    return empty();
  }
  const normal = normalise(cross(rowDir, colDir));

  // Order along the normal.
  const withZ = headers.map((h) => ({ h, z: dot(h.imagePositionPatient!, normal) })).sort((a, b) => a.z - b.z);
  headers = withZ.map((w) => w.h);
  if (headers.length < 2) {
    error('single-slice', `series ${seriesUid} has only one image; a volume needs at least two slices.`);
    return empty();
  }

  // Duplicate positions (different instances at the same place).
  const tol = options.sliceSpacingToleranceMm;
  const gaps = withZ.slice(1).map((w, i) => w.z - withZ[i].z);
  const dupTol = Math.max(tol, 1e-3);
  const duplicates = gaps.map((g, i) => ({ g, i })).filter(({ g }) => g <= dupTol);
  if (duplicates.length > 0) {
    const list = duplicates.slice(0, 5).map(({ i }) => `${where(withZ[i].h)} and ${where(withZ[i + 1].h)} at ${fmt(withZ[i].z)} mm`);
    error('duplicate-positions', `series ${seriesUid} has ${plural(duplicates.length, 'pair')} of images at the same position along the slice normal (${list.join('; ')}${duplicates.length > 5 ? '; ...' : ''}); it probably mixes two acquisitions or reconstructions. Send one reconstruction per series.`);
    return empty();
  }

  // Positions are decimal strings of limited precision: a micrometre is far below their noise.
  const step = Math.round(median(gaps) * 1e6) / 1e6;
  const missingGaps: string[] = [];
  const uneven: string[] = [];
  gaps.forEach((g, i) => {
    if (Math.abs(g - step) <= tol) return;
    const n = Math.round(g / step);
    const at = `between ${where(withZ[i].h)} (${fmt(withZ[i].z)} mm) and ${where(withZ[i + 1].h)} (${fmt(withZ[i + 1].z)} mm)`;
    if (n >= 2 && Math.abs(g - n * step) <= tol * n) missingGaps.push(`${plural(n - 1, 'slice')} missing ${at}: gap ${fmt(g, 3)} mm`);
    else uneven.push(`gap ${fmt(g, 3)} mm ${at}`);
  });
  if (missingGaps.length > 0) error('missing-slices', `series ${seriesUid} has missing slices (spacing ${fmt(step, 3)} mm): ${missingGaps.join('; ')}. Re-send the complete series.`);
  if (uneven.length > 0) error('non-uniform-spacing', `series ${seriesUid} has non-uniform slice spacing: the median gap is ${fmt(step, 3)} mm, but ${uneven.join('; ')} (tolerance ${tol} mm, imaging.sliceSpacingToleranceMm).`);

  // Gantry tilt / non-orthogonal stacking: the positions must step along the normal.
  const p0 = headers[0].imagePositionPatient!;
  const pN = headers[headers.length - 1].imagePositionPatient!;
  const total = sub(pN, p0);
  const along = dot(total, normal);
  let worstLateral = 0;
  for (const w of withZ) {
    const d = sub(w.h.imagePositionPatient!, p0);
    const lateral = norm(sub(d, scale(normal, dot(d, normal))));
    worstLateral = Math.max(worstLateral, lateral);
  }
  const minPixel = Math.min(...headers[0].pixelSpacing!);
  if (worstLateral > 0.05 * minPixel) {
    const tilt = angleDeg(total, normal);
    const declared = headers[0].gantryDetectorTilt;
    error('gantry-tilt', `series ${seriesUid} is tilted or sheared: its slice positions step ${fmt(tilt, 2)}° away from the slice normal (up to ${fmt(worstLateral, 2)} mm sideways over ${fmt(Math.abs(along), 1)} mm${declared ? `; Gantry/Detector Tilt ${declared}°` : ''}). The node needs slices stacked along their normal: reconstruct without tilt or resample the series first.`);
  } else if (headers[0].gantryDetectorTilt && Math.abs(headers[0].gantryDetectorTilt) > 0.01) {
    warning('gantry-tilt-corrected', `series ${seriesUid} declares Gantry/Detector Tilt ${headers[0].gantryDetectorTilt}° but its slices are stacked along their normal (tilt already corrected); used as is.`);
  }

  // Facts that should not vary along a series.
  const kvps = new Set(headers.map((h) => h.kvp ?? NaN).filter((x) => !Number.isNaN(x)));
  if (kvps.size > 1) warning('mixed-kvp', `series ${seriesUid} mixes KVP values (${[...kvps].join(', ')}); the first slice's value is reported.`);
  const thick = new Set(headers.map((h) => h.sliceThickness ?? NaN).filter((x) => !Number.isNaN(x)));
  if (thick.size > 1) warning('mixed-slice-thickness', `series ${seriesUid} mixes Slice Thickness values (${[...thick].join(', ')} mm).`);
  if (first.sliceThickness !== undefined && Math.abs(first.sliceThickness - step) > Math.max(tol, 0.01 * step) && first.sliceThickness < step - tol) {
    warning('gaps-between-slices', `slices of series ${seriesUid} are ${first.sliceThickness} mm thick but ${fmt(step, 3)} mm apart: tissue between slices is not imaged.`);
  }

  const slices: SliceRef[] = headers.map((h, index) => ({
    index,
    sopInstanceUid: h.sopInstanceUid,
    sopClassUid: h.sopClassUid,
    position: h.imagePositionPatient!,
    ...(h.instanceNumber !== undefined ? { instanceNumber: h.instanceNumber } : {}),
    ...(h.frame !== undefined ? { frameNumber: h.frame + 1 } : {}),
  }));
  const ps = headers[0].pixelSpacing!;
  const geometry: PatientGeometry | null = issues.some((i) => i.severity === 'error')
    ? null
    : {
        dims: [headers[0].pixel.columns, headers[0].pixel.rows, headers.length],
        spacing: [ps[1], ps[0], step],
        origin: [...p0] as Vec3,
        rowDirection: rowDir,
        columnDirection: colDir,
        sliceDirection: normal,
      };
  return { facts: seriesFacts(headers), headers, slices, geometry, issues, leftOut };
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
