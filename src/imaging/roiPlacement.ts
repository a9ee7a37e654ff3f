/**
 * Places the contours of an ROI on the slices of a CT series, by geometry.
 *
 * Every point is taken to continuous voxel coordinates with the full orientation matrix
 * (geometry.ts), so oblique series work. A CLOSED_PLANAR contour belongs to the slice nearest
 * to its position along the slice axis, i.e. within half a slice spacing of the slice centre
 * (a contour exactly half-way goes to the higher index); one outside the series by more than
 * that is left out with a note. When contours from several planes land on one slice (an ROI
 * drawn on a finer series), the plane nearest to the slice centre is used and the others are
 * noted. POINT, OPEN_PLANAR and OPEN_NONPLANAR contours have no inside: ignored with a note.
 * Contour Image Sequence references are compared with the CT only to warn.
 */
import { dot, PatientGeometry, patientToVoxelMapper, Vec3 } from './geometry';
import { Polygon } from './polygon/rasterise';
import { RoiDefinition } from './rtstruct';

export interface PlacedContour {
  /** x, y pairs in continuous pixel-index coordinates (column, row). */
  pixel: Polygon;
  /** The original points, x, y, z triplets in patient coordinates (mm). */
  patient: Float64Array;
  /** Continuous slice coordinate of its plane. */
  k: number;
}

export interface RoiPlacement {
  roiNumber: number;
  roiName: string;
  /** Full-series slice index → the contours drawn on it (one plane each). */
  slices: Map<number, PlacedContour[]>;
  /** Lowest and highest slice index carrying a contour; null when none does. */
  sliceRange: [number, number] | null;
  /** Things the user may want to know (ignored contour types, contours outside the series ...). */
  notes: string[];
  /** Contour Image Sequence references naming an image that is not in the CT series. */
  unmatchedImageReferences: number;
  /** References naming a CT image other than the slice the geometry chose. */
  mismatchedImageReferences: number;
}

/** A contour whose points stray further than this from their plane (in slices) is not planar to the CT. */
const PLANAR_TOLERANCE = 0.1;
/** Contours whose planes differ by less than this (in slices) share a plane. */
const SAME_PLANE = 0.01;

export function placeRoi(roi: RoiDefinition, geometry: PatientGeometry, sliceUids?: readonly string[]): RoiPlacement {
  const toVoxel = patientToVoxelMapper(geometry);
  const nz = geometry.dims[2];
  const notes: string[] = [];
  const ignoredTypes = new Map<string, number>();
  const outside: number[] = [];
  const tilted: number[] = [];
  const bySlice = new Map<number, PlacedContour[]>();
  const uidIndex = sliceUids ? new Map(sliceUids.map((u, i) => [u, i])) : undefined;
  let unmatched = 0;
  let mismatched = 0;

  roi.contours.forEach((c, ci) => {
    if (c.geometricType !== 'CLOSED_PLANAR') {
      const t = c.geometricType || '(no type)';
      ignoredTypes.set(t, (ignoredTypes.get(t) ?? 0) + 1);
      return;
    }
    const n = c.points.length / 3;
    if (n < 3) {
      notes.push(`contour ${ci + 1} has ${n} point${n === 1 ? '' : 's'}, too few to enclose anything; ignored.`);
      return;
    }
    const pixel = new Float64Array(2 * n);
    let kSum = 0;
    let kMin = Infinity;
    let kMax = -Infinity;
    for (let p = 0; p < n; p++) {
      const v = toVoxel([c.points[3 * p], c.points[3 * p + 1], c.points[3 * p + 2]] as Vec3);
      pixel[2 * p] = v[0];
      pixel[2 * p + 1] = v[1];
      kSum += v[2];
      kMin = Math.min(kMin, v[2]);
      kMax = Math.max(kMax, v[2]);
    }
    if (kMax - kMin > PLANAR_TOLERANCE) {
      tilted.push(ci + 1);
      return;
    }
    const k = kSum / n;
    const slice = Math.floor(k + 0.5);
    if (slice < 0 || slice >= nz) {
      outside.push(k);
      return;
    }
    if (uidIndex) {
      for (const ref of c.referencedSopInstanceUids) {
        const at = uidIndex.get(ref);
        if (at === undefined) unmatched++;
        else if (at !== slice) mismatched++;
      }
    }
    const list = bySlice.get(slice);
    const placed = { pixel, patient: c.points, k };
    if (list) list.push(placed);
    else bySlice.set(slice, [placed]);
  });

  // One plane per slice: the one nearest to the slice centre.
  let dropped = 0;
  for (const [slice, list] of bySlice) {
    const best = list.reduce((a, b) => (Math.abs(b.k - slice) < Math.abs(a.k - slice) ? b : a));
    const kept = list.filter((c) => Math.abs(c.k - best.k) < SAME_PLANE);
    dropped += list.length - kept.length;
    bySlice.set(slice, kept);
  }

  for (const [t, count] of ignoredTypes) notes.push(`${count} ${t} contour${count === 1 ? '' : 's'} ignored: only CLOSED_PLANAR contours enclose a region.`);
  if (tilted.length > 0) notes.push(`${tilted.length} contour${tilted.length === 1 ? ' is' : 's are'} not parallel to the CT slices (contour ${tilted.slice(0, 5).join(', ')}${tilted.length > 5 ? ', ...' : ''}); ignored.`);
  if (outside.length > 0) {
    // Positions along the slice axis in patient coordinates (= z for an axial series).
    const at = (k: number) => (dot(geometry.origin, geometry.sliceDirection) + k * geometry.spacing[2]).toFixed(1);
    const range = (a: string, b: string) => (a === b ? a : `${a} to ${b}`);
    notes.push(`${outside.length} contour${outside.length === 1 ? ' lies' : 's lie'} outside the CT series by more than half a slice (at ${range(at(Math.min(...outside)), at(Math.max(...outside)))} mm along the slice axis; the series spans ${at(0)} to ${at(nz - 1)} mm); ignored.`);
  }
  if (dropped > 0) notes.push(`${dropped} contour${dropped === 1 ? '' : 's'} on planes between CT slices (drawn on a finer series?) ignored in favour of the plane nearest each slice centre.`);

  const keys = [...bySlice.keys()];
  return {
    roiNumber: roi.number,
    roiName: roi.name,
    slices: bySlice,
    sliceRange: keys.length > 0 ? [Math.min(...keys), Math.max(...keys)] : null,
    notes,
    unmatchedImageReferences: unmatched,
    mismatchedImageReferences: mismatched,
  };
}
