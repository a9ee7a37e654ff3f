/**
 * Local intensity features (IBSI 3.2, 9ST6): the mean intensity in a 1 cm³ sphere
 * (radius (3/(4π))^(1/3) cm ≈ 6.2 mm, in world units) around a voxel of the ROI intensity
 * mask, drawing on every voxel of the image, in or out of the ROI. The local peak needs that
 * mean around the voxel(s) of maximum intensity only; the global peak needs it around every
 * voxel of the ROI, which is the cost of this family.
 *
 * Sphere sums use one prefix sum per image row, so a sphere costs one lookup pair per (y, z) row
 * it spans rather than one read per voxel; the up to four rows (±dy, ±dz) of equal half-width
 * are added in one pass. The means depend on the image alone, so regions of one image (tumour
 * and ring) share them: SphereMeans computes each voxel's mean once, when a region first needs it.
 */
import { Vec3 } from '../volume';
import { FamilyDefinition, defineFeature } from './family';
import { IndexBox, boxRows, nonZeroBox } from '../indexBox';

export const PEAK_RADIUS_MM = Math.cbrt(3 / (4 * Math.PI)) * 10;

export interface LocalIntensityInput {
  dims: Vec3;
  spacing: Vec3;
  /** The image on this grid (every voxel is image; the grid must reach PEAK_RADIUS_MM beyond the ROI or the image edge). */
  image: ArrayLike<number>;
  intensityMask: Uint8Array;
  /** Sphere means already computed for another region of the same image (see SphereMeans). */
  sphereMeans?: SphereMeans;
}

export interface LocalIntensityData {
  local: number;
  global: number;
}

/** Rows (dy, dz) of the sphere with their half-width in x, grouped by (|dy|, |dz|): 1, 2 or 4 rows each. */
interface RowGroup {
  rows: Array<{ dy: number; dz: number }>;
  /** Voxels with |dx| ≤ halfX are inside the sphere. */
  halfX: number;
}

function sphereRowGroups(spacing: Vec3, radius: number): RowGroup[] {
  const groups: RowGroup[] = [];
  const r2 = radius * radius * (1 + 1e-12);
  const ey = Math.floor(radius / spacing[1]);
  const ez = Math.floor(radius / spacing[2]);
  for (let az = 0; az <= ez; az++) {
    for (let ay = 0; ay <= ey; ay++) {
      const rest = r2 - (ay * spacing[1]) ** 2 - (az * spacing[2]) ** 2;
      if (rest < 0) continue;
      const rows: Array<{ dy: number; dz: number }> = [];
      for (const dz of az === 0 ? [0] : [-az, az]) for (const dy of ay === 0 ? [0] : [-ay, ay]) rows.push({ dy, dz });
      groups.push({ rows, halfX: Math.floor(Math.sqrt(rest) / spacing[0] + 1e-9) });
    }
  }
  return groups;
}

/** Whether every value is an integer small enough for exact Int32 row sums. */
function integerRowsFit(image: ArrayLike<number>, rowLength: number): boolean {
  const limit = 2 ** 31 / Math.max(1, rowLength) - 1;
  for (let i = 0; i < image.length; i++) {
    const v = image[i];
    if (!Number.isInteger(v) || v > limit || v < -limit) return false;
  }
  return true;
}

/** Gaps between voxels to compute shorter than this are computed through (one pass is cheaper). */
const RUN_GAP = 8;

/**
 * The mean of the 1 cm³ sphere around voxels of one image, computed on demand and kept: a
 * region computes the voxels of its mask that no earlier region needed.
 */
export class SphereMeans {
  private readonly means: Float64Array;
  private readonly known: Uint8Array;
  private prefix: Float64Array | Int32Array | null = null;
  private readonly groups: RowGroup[];
  private readonly fullCount: number;
  private readonly reach: Vec3 = [0, 0, 0];

  constructor(
    private readonly image: ArrayLike<number>,
    private readonly dims: Vec3,
    spacing: Vec3,
  ) {
    const n = dims[0] * dims[1] * dims[2];
    this.means = new Float64Array(n);
    this.known = new Uint8Array(n);
    this.groups = sphereRowGroups(spacing, PEAK_RADIUS_MM);
    let count = 0;
    for (const g of this.groups) {
      count += g.rows.length * (2 * g.halfX + 1);
      this.reach[0] = Math.max(this.reach[0], g.halfX);
      for (const r of g.rows) {
        this.reach[1] = Math.max(this.reach[1], Math.abs(r.dy));
        this.reach[2] = Math.max(this.reach[2], Math.abs(r.dz));
      }
    }
    this.fullCount = count;
  }

  /** Row prefix sums: prefix[(y + ny·z)·(nx + 1) + x] = sum of the row's first x voxels; integers stay Int32 (exact, half the memory traffic). */
  private rowPrefix(): Float64Array | Int32Array {
    if (this.prefix) return this.prefix;
    const [nx, ny, nz] = this.dims;
    const image = this.image;
    const prefix = integerRowsFit(image, nx) ? new Int32Array((nx + 1) * ny * nz) : new Float64Array((nx + 1) * ny * nz);
    for (let row = 0; row < ny * nz; row++) {
      let s = 0;
      const p = row * (nx + 1);
      const base = row * nx;
      for (let x = 0; x < nx; x++) {
        s += image[base + x];
        prefix[p + x + 1] = s;
      }
    }
    this.prefix = prefix;
    return prefix;
  }

  /** Mean of the sphere cut by the image border: each row clipped, the voxels kept counted. */
  private clippedMean(x: number, y: number, z: number): number {
    const [nx, ny, nz] = this.dims;
    const prefix = this.prefix!;
    let sum = 0;
    let count = 0;
    for (const g of this.groups) {
      for (const r of g.rows) {
        const yy = y + r.dy;
        const zz = z + r.dz;
        if (yy < 0 || yy >= ny || zz < 0 || zz >= nz) continue;
        const x0 = Math.max(0, x - g.halfX);
        const x1 = Math.min(nx - 1, x + g.halfX);
        const p = (yy + ny * zz) * (nx + 1);
        sum += prefix[p + x1 + 1] - prefix[p + x0];
        count += x1 - x0 + 1;
      }
    }
    return sum / count;
  }

  /** Computes means[x] for x in [from, to] of row (y, z). */
  private computeRun(y: number, z: number, from: number, to: number, acc: Float64Array): void {
    const [nx, ny, nz] = this.dims;
    const [rx, ry, rz] = this.reach;
    const prefix = this.prefix!;
    const rowStart = nx * (y + ny * z);
    const whole = z - rz >= 0 && z + rz < nz && y - ry >= 0 && y + ry < ny;
    // Voxels whose sphere lies inside the image: a fixed count and no clipping.
    const fastFrom = whole ? Math.max(from, rx) : to + 1;
    const fastTo = whole ? Math.min(to, nx - 1 - rx) : to;
    if (fastFrom <= fastTo) {
      acc.fill(0, fastFrom, fastTo + 1);
      const rowBase = (y + ny * z) * (nx + 1);
      for (const g of this.groups) {
        const h = g.halfX;
        const rows = g.rows;
        const o0 = rowBase + (rows[0].dy + ny * rows[0].dz) * (nx + 1);
        if (rows.length === 4) {
          const o1 = rowBase + (rows[1].dy + ny * rows[1].dz) * (nx + 1);
          const o2 = rowBase + (rows[2].dy + ny * rows[2].dz) * (nx + 1);
          const o3 = rowBase + (rows[3].dy + ny * rows[3].dz) * (nx + 1);
          for (let x = fastFrom; x <= fastTo; x++) {
            const hi = x + h + 1;
            const lo = x - h;
            acc[x] += prefix[o0 + hi] - prefix[o0 + lo] + (prefix[o1 + hi] - prefix[o1 + lo]) + (prefix[o2 + hi] - prefix[o2 + lo]) + (prefix[o3 + hi] - prefix[o3 + lo]);
          }
        } else if (rows.length === 2) {
          const o1 = rowBase + (rows[1].dy + ny * rows[1].dz) * (nx + 1);
          for (let x = fastFrom; x <= fastTo; x++) {
            const hi = x + h + 1;
            const lo = x - h;
            acc[x] += prefix[o0 + hi] - prefix[o0 + lo] + (prefix[o1 + hi] - prefix[o1 + lo]);
          }
        } else {
          for (let x = fastFrom; x <= fastTo; x++) acc[x] += prefix[o0 + x + h + 1] - prefix[o0 + x - h];
        }
      }
    }
    for (let x = from; x <= to; x++) {
      const i = rowStart + x;
      this.means[i] = x >= fastFrom && x <= fastTo ? acc[x] / this.fullCount : this.clippedMean(x, y, z);
      this.known[i] = 1;
    }
  }

  /** Ensures the mean of every voxel of `mask` (non-zero only within `box`) is known. */
  private cover(mask: Uint8Array, box: IndexBox): void {
    const [nx, ny] = this.dims;
    const known = this.known;
    const acc = new Float64Array(nx);
    this.rowPrefix();
    for (let z = box.lo[2]; z <= box.hi[2]; z++) {
      for (let y = box.lo[1]; y <= box.hi[1]; y++) {
        const rowStart = nx * (y + ny * z);
        // Runs of voxels still to compute, joined across short gaps.
        let from = -1;
        let to = -1;
        for (let x = box.lo[0]; x <= box.hi[0]; x++) {
          const i = rowStart + x;
          if (!mask[i] || known[i]) continue;
          if (from >= 0 && x - to > RUN_GAP) {
            this.computeRun(y, z, from, to, acc);
            from = -1;
          }
          if (from < 0) from = x;
          to = x;
        }
        if (from >= 0) this.computeRun(y, z, from, to, acc);
      }
    }
  }

  /** Local and global intensity peaks of the region `intensityMask`. */
  peaks(intensityMask: Uint8Array): LocalIntensityData | { unavailable: string } {
    const image = this.image;
    const box = nonZeroBox(intensityMask, this.dims);
    if (!box) return { unavailable: 'the ROI intensity mask is empty' };
    const rows = boxRows(box, this.dims);
    let maxValue = -Infinity;
    for (let r = 0; r < rows.length; r += 2) {
      for (let i = rows[r]; i < rows[r + 1]; i++) if (intensityMask[i] && image[i] > maxValue) maxValue = image[i];
    }
    this.cover(intensityMask, box);
    let global = -Infinity;
    let local = -Infinity;
    for (let r = 0; r < rows.length; r += 2) {
      for (let i = rows[r]; i < rows[r + 1]; i++) {
        if (!intensityMask[i]) continue;
        const m = this.means[i];
        if (m > global) global = m;
        // Local peak: around the voxel(s) of maximum intensity; the highest of their means.
        if (image[i] === maxValue && m > local) local = m;
      }
    }
    return { local, global };
  }
}

export function prepareLocalIntensity(input: LocalIntensityInput): LocalIntensityData | { unavailable: string } {
  const means = input.sphereMeans ?? new SphereMeans(input.image, input.dims, input.spacing);
  return means.peaks(input.intensityMask);
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
