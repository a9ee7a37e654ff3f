/**
 * What a lesion mask measures: voxel count, volume, bounding box, centroid, slices spanned and
 * the slice where it is largest. Volume = voxel count × voxel volume (the centre-inside rule
 * makes this the rasterised volume, not the polygon-interpolated one).
 */
import { Mask } from '../radiomics/volume';
import { nonZeroBox } from '../radiomics/indexBox';
import { PatientGeometry, Vec3, voxelToPatient, voxelVolumeMm3 } from './geometry';

export interface LesionSummary {
  voxelCount: number;
  /** Millilitres (cm³). */
  volumeMl: number;
  /** Smallest and largest voxel index (i, j, k) inside; k is the slice index in the full series. */
  boundingBoxVoxels: { min: Vec3; max: Vec3 };
  /** Patient-coordinate extent (mm) of the inside voxels' centres. */
  boundingBoxMm: { min: Vec3; max: Vec3 };
  /** Mean position of the inside voxels' centres, patient coordinates (mm). */
  centroidMm: Vec3;
  /** Slices with at least one inside voxel. */
  slicesSpanned: number;
  /** First and last of them (full-series indices). */
  firstSlice: number;
  lastSlice: number;
  /** The slice with the most inside voxels (ties: nearest the centroid, then the lower index). */
  largestSlice: number;
  largestSliceVoxels: number;
}

/**
 * Summary of a mask on the grid `geometry` (the geometry of the mask's own slice range), whose
 * first slice is slice `firstSlice` of the series. Null when the mask is empty.
 */
export function summariseMask(mask: Mask, geometry: PatientGeometry, firstSlice: number): LesionSummary | null {
  const [nx, ny, nz] = mask.dims;
  const perSlice = new Array<number>(nz).fill(0);
  let count = 0;
  let si = 0;
  let sj = 0;
  let sk = 0;
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const d = mask.data;
  // Only the box of the non-zero voxels is visited (found a word at a time): a lesion fills a few
  // per cent of its 512 x 512 slices.
  const box = nonZeroBox(d, mask.dims);
  if (!box) return null;
  for (let k = box.lo[2]; k <= box.hi[2]; k++) {
    for (let j = box.lo[1]; j <= box.hi[1]; j++) {
      for (let i = box.lo[0], p = i + nx * (j + ny * k); i <= box.hi[0]; i++, p++) {
        if (!d[p]) continue;
        count++;
        perSlice[k]++;
        si += i;
        sj += j;
        sk += k;
        if (i < min[0]) min[0] = i;
        if (i > max[0]) max[0] = i;
        if (j < min[1]) min[1] = j;
        if (j > max[1]) max[1] = j;
        if (k < min[2]) min[2] = k;
        if (k > max[2]) max[2] = k;
      }
    }
  }
  if (count === 0) return null;
  const centroidK = sk / count;
  let largest = 0;
  for (let k = 1; k < nz; k++) {
    if (perSlice[k] > perSlice[largest] || (perSlice[k] === perSlice[largest] && Math.abs(k - centroidK) < Math.abs(largest - centroidK))) largest = k;
  }
  const corners: Vec3[] = [];
  for (const i of [min[0], max[0]]) for (const j of [min[1], max[1]]) for (const k of [min[2], max[2]]) corners.push(voxelToPatient(geometry, [i, j, k]));
  const mmMin = [0, 1, 2].map((a) => Math.min(...corners.map((c) => c[a]))) as Vec3;
  const mmMax = [0, 1, 2].map((a) => Math.max(...corners.map((c) => c[a]))) as Vec3;
  return {
    voxelCount: count,
    volumeMl: (count * voxelVolumeMm3(geometry)) / 1000,
    boundingBoxVoxels: { min: [min[0], min[1], min[2] + firstSlice], max: [max[0], max[1], max[2] + firstSlice] },
    boundingBoxMm: { min: mmMin, max: mmMax },
    centroidMm: voxelToPatient(geometry, [si / count, sj / count, centroidK]),
    slicesSpanned: perSlice.filter((c) => c > 0).length,
    firstSlice: min[2] + firstSlice,
    lastSlice: max[2] + firstSlice,
    largestSlice: largest + firstSlice,
    largestSliceVoxels: perSlice[largest],
  };
}
