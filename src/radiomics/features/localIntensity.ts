/**
 * Local intensity features (IBSI 3.2, 9ST6): the mean intensity in a 1 cm³ sphere
 * (radius (3/(4π))^(1/3) cm ≈ 6.2 mm, in world units) around a voxel of the ROI intensity
 * mask, drawing on every voxel of the image, in or out of the ROI.
 *
 * Sphere sums use one prefix sum per image row, so a sphere costs one lookup per (y, z) row it
 * spans rather than one per voxel: a few dozen operations per ROI voxel at 1 mm.
 */
import { Vec3 } from '../volume';
import { FamilyDefinition, defineFeature } from './family';

export const PEAK_RADIUS_MM = Math.cbrt(3 / (4 * Math.PI)) * 10;

export interface LocalIntensityInput {
  dims: Vec3;
  spacing: Vec3;
  /** The image on this grid (every voxel is image; the grid must reach PEAK_RADIUS_MM beyond the ROI or the image edge). */
  image: ArrayLike<number>;
  intensityMask: Uint8Array;
}

export interface LocalIntensityData {
  local: number;
  global: number;
}

interface SphereRow {
  dy: number;
  dz: number;
  /** Half-width in x: voxels with |dx| ≤ halfX are inside the sphere. */
  halfX: number;
}

function sphereRows(spacing: Vec3, radius: number): SphereRow[] {
  const rows: SphereRow[] = [];
  const r2 = radius * radius * (1 + 1e-12);
  const ey = Math.floor(radius / spacing[1]);
  const ez = Math.floor(radius / spacing[2]);
  for (let dz = -ez; dz <= ez; dz++) {
    for (let dy = -ey; dy <= ey; dy++) {
      const rest = r2 - (dy * spacing[1]) ** 2 - (dz * spacing[2]) ** 2;
      if (rest < 0) continue;
      rows.push({ dy, dz, halfX: Math.floor(Math.sqrt(rest) / spacing[0] + 1e-9) });
    }
  }
  return rows;
}

export function prepareLocalIntensity(input: LocalIntensityInput): LocalIntensityData | { unavailable: string } {
  const { dims, spacing, image, intensityMask } = input;
  const [nx, ny, nz] = dims;
  let any = false;
  let maxValue = -Infinity;
  for (let i = 0; i < intensityMask.length; i++) {
    if (intensityMask[i]) {
      any = true;
      if (image[i] > maxValue) maxValue = image[i];
    }
  }
  if (!any) return { unavailable: 'the ROI intensity mask is empty' };
  // Row prefix sums: prefix[(y + ny*z)*(nx+1) + x] = sum of the row's first x voxels.
  const prefix = new Float64Array((nx + 1) * ny * nz);
  for (let row = 0; row < ny * nz; row++) {
    let s = 0;
    const p = row * (nx + 1);
    const base = row * nx;
    prefix[p] = 0;
    for (let x = 0; x < nx; x++) {
      s += image[base + x];
      prefix[p + x + 1] = s;
    }
  }
  const rows = sphereRows(spacing, PEAK_RADIUS_MM);
  const nRows = rows.length;
  // Per sphere row: offset of its prefix row relative to the centre's, and its half-width.
  const rowOffset = new Int32Array(nRows);
  const rowHalf = new Int32Array(nRows);
  let reachX = 0;
  let reachY = 0;
  let reachZ = 0;
  let fullCount = 0;
  rows.forEach((r, k) => {
    rowOffset[k] = (r.dy + ny * r.dz) * (nx + 1);
    rowHalf[k] = r.halfX;
    reachX = Math.max(reachX, r.halfX);
    reachY = Math.max(reachY, Math.abs(r.dy));
    reachZ = Math.max(reachZ, Math.abs(r.dz));
    fullCount += 2 * r.halfX + 1;
  });
  // Near the image border the sphere is cut: clip each row and count the voxels kept.
  const clippedMean = (x: number, y: number, z: number): number => {
    let sum = 0;
    let count = 0;
    for (const r of rows) {
      const yy = y + r.dy;
      const zz = z + r.dz;
      if (yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
      const x0 = Math.max(0, x - r.halfX);
      const x1 = Math.min(nx - 1, x + r.halfX);
      const p = (yy + ny * zz) * (nx + 1);
      sum += prefix[p + x1 + 1] - prefix[p + x0];
      count += x1 - x0 + 1;
    }
    return sum / count;
  };
  let global = -Infinity;
  let local = -Infinity;
  const consider = (i: number, m: number) => {
    if (m > global) global = m;
    // Local peak: around the voxel(s) of maximum intensity; the highest of their means.
    if (image[i] === maxValue && m > local) local = m;
  };
  // Row by row: the sums of all voxels of one image row are accumulated sphere row by sphere
  // row, so the inner loop runs over consecutive memory (the prefix row and the accumulator).
  const acc = new Float64Array(nx);
  for (let z = 0; z < nz; z++) {
    const zInside = z - reachZ >= 0 && z + reachZ < nz;
    for (let y = 0; y < ny; y++) {
      const rowStart = nx * (y + ny * z);
      let first = -1;
      let last = -1;
      for (let x = 0; x < nx; x++) {
        if (!intensityMask[rowStart + x]) continue;
        if (first < 0) first = x;
        last = x;
      }
      if (first < 0) continue;
      const yzInside = zInside && y - reachY >= 0 && y + reachY < ny;
      // Voxels whose sphere is whole: a fixed count and no clipping.
      const fastFrom = yzInside ? Math.max(first, reachX) : nx;
      const fastTo = yzInside ? Math.min(last, nx - 1 - reachX) : -1;
      if (fastFrom <= fastTo) {
        acc.fill(0, fastFrom, fastTo + 1);
        const rowBase = (y + ny * z) * (nx + 1);
        for (let k = 0; k < nRows; k++) {
          const p = rowBase + rowOffset[k];
          const h = rowHalf[k];
          const hi = p + h + 1;
          const lo = p - h;
          for (let x = fastFrom; x <= fastTo; x++) acc[x] += prefix[hi + x] - prefix[lo + x];
        }
      }
      for (let x = first; x <= last; x++) {
        const i = rowStart + x;
        if (!intensityMask[i]) continue;
        consider(i, x >= fastFrom && x <= fastTo ? acc[x] / fullCount : clippedMean(x, y, z));
      }
    }
  }
  return { local, global };
}

const f = (tag: string, code: string, name: string, doc: string, compute: (d: LocalIntensityData) => number) =>
  defineFeature<LocalIntensityData>('local_intensity', tag, code, name, doc, compute);

export const LOCAL_INTENSITY: FamilyDefinition<LocalIntensityData> = {
  family: 'local_intensity',
  features: [
    f('loc_peak_loc', 'VJGA', 'Local intensity peak', 'Mean intensity in a 1 cm³ sphere centred on the ROI voxel of highest intensity (highest such mean on ties).', (d) => d.local),
    f('loc_peak_glob', '0F91', 'Global intensity peak', 'Highest mean intensity in a 1 cm³ sphere centred on any ROI voxel.', (d) => d.global),
  ],
};
