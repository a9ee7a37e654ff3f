/**
 * Local intensity features (IBSI 3.2, 9ST6): the mean intensity in a 1 cm³ sphere
 * (radius (3/(4π))^(1/3) cm ≈ 6.2 mm, in world units) around a voxel of the ROI intensity
 * mask, drawing on every voxel of the image, in or out of the ROI. The local peak needs that
 * mean around the voxel(s) of maximum intensity only; the global peak needs it around every
 * voxel of the ROI, which is the cost of this family.
 *
 * Sphere sums use one prefix sum per image row, so a sphere costs one lookup pair per (y, z) row
 * it spans rather than one read per voxel; the up to four rows (±dy, ±dz) of equal half-width
 * are added in one pass. Regions of one image (tumour and ring) share the prefix sums, the
 * block bounds below and, for non-integer images, the means already computed.
 *
 * The global peak is only the largest mean, and a sphere's mean is at most the highest intensity
 * it covers. For integer images (CT rounded to HU), where every sum is exact and so is that
 * inequality, the ROI is searched in blocks of 4 × 2 × 2 voxels, and blocks whose neighbourhood
 * holds no intensity above the best mean found are skipped: on CT about a fifth of the means are
 * computed, and the result is the same number. Other images compute every mean.
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
  /**
   * A box holding every voxel of the intensity mask (e.g. the morphological mask's box; null: the
   * mask is empty) when the caller knows one, else it is found here. Only the voxels of the
   * mask are visited, in the same order, whatever the box.
   */
  box?: IndexBox | null;
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

/** Gaps between voxels to compute shorter than this are computed through (one pass is cheaper). */
const RUN_GAP = 8;

/**
 * Blocks of the pruned global peak search: 4 × 2 × 2 voxels (shifts 2, 1, 1). Small blocks keep
 * the bound close to a per-voxel one (2 voxels plus a 6-voxel reach on each side span 14, the
 * exact maximum filter 13) at a fraction of its cost.
 */
const BLOCK_SHIFT: Vec3 = [2, 1, 1];

/**
 * Running maximum along one axis of an array laid out as [outer][n][stride]: element b takes the
 * maximum of elements b − below … b + above (clipped to 0 … n − 1).
 */
function maxAlong(a: Float64Array, n: number, stride: number, below: number, above: number): Float64Array {
  const out = new Float64Array(a.length);
  const line = n * stride;
  for (let o = 0; o < a.length; o += line) {
    for (let b = 0; b < n; b++) {
      const first = o + Math.max(0, b - below) * stride;
      const last = o + Math.min(n - 1, b + above) * stride;
      const at = o + b * stride;
      for (let s = 0; s < stride; s++) {
        let m = a[first + s];
        for (let j = first + stride + s; j <= last + s; j += stride) if (a[j] > m) m = a[j];
        out[at + s] = m;
      }
    }
  }
  return out;
}

/**
 * The mean of the 1 cm³ sphere around voxels of one image, computed on demand. Regions of one
 * image share it (row prefix sums, block bounds, and for non-integer images the means themselves).
 */
export class SphereMeans {
  private means: Float64Array | null = null;
  private known: Uint8Array | null = null;
  private prefix: Float64Array | Int32Array | null = null;
  private readonly groups: RowGroup[];
  private readonly fullCount: number;
  private readonly reach: Vec3 = [0, 0, 0];
  /** Every row of the whole sphere, flattened: prefix index offsets of its end and start from the centre voxel's. */
  private readonly rowHi: Int32Array;
  private readonly rowLo: Int32Array;
  /** Integer images: each block's highest intensity (integerPrefix), then its bound (bounds). */
  private blockMaxima: Float64Array | null = null;
  private blockBounds: Float64Array | null = null;
  private readonly sums4 = new Float64Array(4);
  private readonly blockDims: Vec3;

  constructor(
    private readonly image: ArrayLike<number>,
    private readonly dims: Vec3,
    spacing: Vec3,
  ) {
    this.groups = sphereRowGroups(spacing, PEAK_RADIUS_MM);
    let count = 0;
    const hi: number[] = [];
    const lo: number[] = [];
    const [nx, ny] = dims;
    for (const g of this.groups) {
      count += g.rows.length * (2 * g.halfX + 1);
      this.reach[0] = Math.max(this.reach[0], g.halfX);
      for (const r of g.rows) {
        this.reach[1] = Math.max(this.reach[1], Math.abs(r.dy));
        this.reach[2] = Math.max(this.reach[2], Math.abs(r.dz));
        const row = (r.dy + ny * r.dz) * (nx + 1);
        hi.push(row + g.halfX + 1);
        lo.push(row - g.halfX);
      }
    }
    this.fullCount = count;
    this.rowHi = Int32Array.from(hi);
    this.rowLo = Int32Array.from(lo);
    this.blockDims = [0, 1, 2].map((d) => ((dims[d] - 1) >> BLOCK_SHIFT[d]) + 1) as Vec3;
  }

  /** Row prefix sums: prefix[(y + ny·z)·(nx + 1) + x] = sum of the row's first x voxels; integers stay Int32 (exact, half the memory traffic). */
  private rowPrefix(): Float64Array | Int32Array {
    this.prefix ??= this.integerPrefix() ?? this.floatPrefix();
    return this.prefix;
  }

  private floatPrefix(): Float64Array {
    const [nx, ny, nz] = this.dims;
    const image = this.image;
    const prefix = new Float64Array((nx + 1) * ny * nz);
    for (let row = 0; row < ny * nz; row++) {
      let s = 0;
      const p = row * (nx + 1);
      const base = row * nx;
      for (let x = 0; x < nx; x++) {
        s += image[base + x];
        prefix[p + x + 1] = s;
      }
    }
    return prefix;
  }

  /**
   * Int32 row prefix sums when every intensity is an integer small enough for exact Int32 sums
   * (else null), and in the same pass each block's highest intensity (for bounds()).
   */
  private integerPrefix(): Int32Array | null {
    const [nx, ny, nz] = this.dims;
    const [bx, by, bz] = this.blockDims;
    const [sx, sy, sz] = BLOCK_SHIFT;
    const image = this.image;
    const limit = 2 ** 31 / Math.max(1, nx) - 1;
    const prefix = new Int32Array((nx + 1) * ny * nz);
    const blockMax = new Float64Array(bx * by * bz).fill(-Infinity);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        const blocks = bx * ((y >> sy) + by * (z >> sz));
        const p = (y + ny * z) * (nx + 1);
        const base = nx * (y + ny * z);
        let s = 0;
        for (let x = 0; x < nx; x++) {
          const v = image[base + x];
          if (!Number.isInteger(v) || v > limit || v < -limit) return null;
          s += v;
          prefix[p + x + 1] = s;
          const k = blocks + (x >> sx);
          if (v > blockMax[k]) blockMax[k] = v;
        }
      }
    }
    this.blockMaxima = blockMax;
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

  /**
   * Mean of the sphere around one voxel, for integer images only: every partial sum is an exact
   * integer, so the order of the row sums does not matter and the value equals computeRun's.
   */
  private integerMean(x: number, y: number, z: number): number {
    const [nx, ny, nz] = this.dims;
    const [rx, ry, rz] = this.reach;
    if (x < rx || x >= nx - rx || y < ry || y >= ny - ry || z < rz || z >= nz - rz) return this.clippedMean(x, y, z);
    const prefix = this.prefix!;
    const hi = this.rowHi;
    const lo = this.rowLo;
    const c = (y + ny * z) * (nx + 1) + x;
    let sum = 0;
    for (let r = 0; r < hi.length; r++) sum += prefix[c + hi[r]] - prefix[c + lo[r]];
    return sum / this.fullCount;
  }

  /** Computes means[x] for x in [from, to] of row (y, z). */
  private computeRun(y: number, z: number, from: number, to: number, acc: Float64Array): void {
    const [nx, ny, nz] = this.dims;
    const [rx, ry, rz] = this.reach;
    const prefix = this.prefix!;
    const means = this.means!;
    const known = this.known!;
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
      means[i] = x >= fastFrom && x <= fastTo ? acc[x] / this.fullCount : this.clippedMean(x, y, z);
      known[i] = 1;
    }
  }

  /** Ensures the mean of every voxel of `mask` (non-zero only within `box`) is known. */
  private cover(mask: Uint8Array, box: IndexBox): void {
    const [nx, ny, nz] = this.dims;
    const known = (this.known ??= new Uint8Array(nx * ny * nz));
    this.means ??= new Float64Array(nx * ny * nz);
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

  /**
   * Per block: the highest intensity within reach of a sphere centred anywhere in it (the
   * maximum over the block, then over the blocks within the sphere's reach, one axis at a time).
   */
  private bounds(): Float64Array {
    if (this.blockBounds) return this.blockBounds;
    const [bx, by] = this.blockDims;
    let a = this.blockMaxima!;
    const strides: Vec3 = [1, bx, bx * by];
    for (let d = 0; d < 3; d++) {
      // A voxel of block b reaches blocks b − below … b + above along axis d.
      const size = 1 << BLOCK_SHIFT[d];
      a = maxAlong(a, this.blockDims[d], strides[d], Math.ceil(this.reach[d] / size), Math.floor((size - 1 + this.reach[d]) / size));
    }
    this.blockBounds = a;
    return a;
  }

  /** The mean of the sphere around each voxel of `mask` in block `k` (clipped to `box`) that beats `best`; the highest. */
  private blockBest(k: number, mask: Uint8Array, box: IndexBox, best: number): number {
    const [nx, ny] = this.dims;
    const [bx, by] = this.blockDims;
    const [sx, sy, sz] = BLOCK_SHIFT;
    const x0 = Math.max(box.lo[0], (k % bx) << sx);
    const y0 = Math.max(box.lo[1], (Math.floor(k / bx) % by) << sy);
    const z0 = Math.max(box.lo[2], Math.floor(k / (bx * by)) << sz);
    const x1 = Math.min(box.hi[0], (((k % bx) + 1) << sx) - 1);
    const y1 = Math.min(box.hi[1], (((Math.floor(k / bx) % by) + 1) << sy) - 1);
    const z1 = Math.min(box.hi[2], ((Math.floor(k / (bx * by)) + 1) << sz) - 1);
    const [rx, ry, rz] = this.reach;
    const sums = this.sums4;
    for (let z = z0; z <= z1; z++) {
      for (let y = y0; y <= y1; y++) {
        const i0 = x0 + nx * (y + ny * z);
        if (x1 - x0 === 3 && x0 >= rx && x1 < nx - rx && y >= ry && y < ny - ry && z >= rz && z < this.dims[2] - rz) {
          // A whole row of the block with its spheres inside the image: four sums at once.
          if (!(mask[i0] | mask[i0 + 1] | mask[i0 + 2] | mask[i0 + 3])) continue;
          this.integerSums4(x0, y, z);
          for (let j = 0; j < 4; j++) {
            const m = sums[j] / this.fullCount;
            if (mask[i0 + j] && m > best) best = m;
          }
          continue;
        }
        for (let x = x0, i = i0; x <= x1; x++, i++) {
          if (!mask[i]) continue;
          const m = this.integerMean(x, y, z);
          if (m > best) best = m;
        }
      }
    }
    return best;
  }

  /** Sphere sums of voxels x … x + 3 of row (y, z), all with their sphere inside the image, into sums4 (integers: exact). */
  private integerSums4(x: number, y: number, z: number): void {
    const prefix = this.prefix!;
    const hi = this.rowHi;
    const lo = this.rowLo;
    const c = (y + this.dims[1] * z) * (this.dims[0] + 1) + x;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let r = 0; r < hi.length; r++) {
      const h = c + hi[r];
      const l = c + lo[r];
      s0 += prefix[h] - prefix[l];
      s1 += prefix[h + 1] - prefix[l + 1];
      s2 += prefix[h + 2] - prefix[l + 2];
      s3 += prefix[h + 3] - prefix[l + 3];
    }
    const sums = this.sums4;
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
  }

  /**
   * The highest mean over the voxels of `mask` within `box` (the blocks `blocks`, ascending),
   * given `start`, the mean of one of them. Blocks whose bound does not exceed the best mean so
   * far are skipped. The few blocks of highest bound go first, for a good best early; the rest in
   * index order, which keeps the prefix rows they read in cache.
   */
  private prunedGlobal(mask: Uint8Array, box: IndexBox, blocks: Int32Array, start: number): number {
    const all = this.bounds();
    const bounds = new Float64Array(blocks.length);
    for (let j = 0; j < blocks.length; j++) bounds[j] = all[blocks[j]];
    const first = Math.min(blocks.length, FIRST_BLOCKS);
    const threshold = kthLargest(bounds.slice(), first);
    let best = start;
    const done = new Uint8Array(blocks.length);
    for (let j = 0, taken = 0; j < blocks.length && taken < first; j++) {
      if (bounds[j] < threshold) continue;
      done[j] = 1;
      taken++;
      if (bounds[j] > best) best = this.blockBest(blocks[j], mask, box, best);
    }
    for (let j = 0; j < blocks.length; j++) {
      if (!done[j] && bounds[j] > best) best = this.blockBest(blocks[j], mask, box, best);
    }
    return best;
  }

  /**
   * Integer images: one pass over the region finds its maximum intensity, the voxels holding it
   * (the local peak is the highest of their means) and the blocks it touches (ascending); the
   * global peak is then searched with the block bounds.
   */
  private integerPeaks(mask: Uint8Array, box: IndexBox): LocalIntensityData {
    const [nx, ny] = this.dims;
    const [bx, by] = this.blockDims;
    const [sx, sy, sz] = BLOCK_SHIFT;
    const image = this.image;
    const seen = new Uint8Array(bx * by * this.blockDims[2]);
    const blocks: number[] = [];
    let maxValue = -Infinity;
    const atMax: number[] = [];
    for (let z = box.lo[2]; z <= box.hi[2]; z++) {
      for (let y = box.lo[1]; y <= box.hi[1]; y++) {
        const row = bx * ((y >> sy) + by * (z >> sz));
        for (let x = box.lo[0], i = x + nx * (y + ny * z); x <= box.hi[0]; x++, i++) {
          if (!mask[i]) continue;
          const v = image[i];
          if (v >= maxValue) {
            if (v > maxValue) atMax.length = 0;
            maxValue = v;
            atMax.push(i);
          }
          const k = row + (x >> sx);
          if (seen[k]) continue;
          seen[k] = 1;
          blocks.push(k);
        }
      }
    }
    // Blocks were met in the order of their first voxel, which is ascending block order.
    let local = -Infinity;
    for (const i of atMax) {
      const m = this.integerMean(i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny)));
      if (m > local) local = m;
    }
    return { local, global: this.prunedGlobal(mask, box, Int32Array.from(blocks), local) };
  }

  /** Local and global intensity peaks of the region `intensityMask`. */
  peaks(intensityMask: Uint8Array, knownBox?: IndexBox | null): LocalIntensityData | { unavailable: string } {
    const image = this.image;
    const box = knownBox === undefined ? nonZeroBox(intensityMask, this.dims) : knownBox;
    if (!box) return { unavailable: 'the ROI intensity mask is empty' };
    if (this.rowPrefix() instanceof Int32Array) return this.integerPeaks(intensityMask, box);
    const rows = boxRows(box, this.dims);
    let maxValue = -Infinity;
    for (let r = 0; r < rows.length; r += 2) {
      for (let i = rows[r]; i < rows[r + 1]; i++) if (intensityMask[i] && image[i] > maxValue) maxValue = image[i];
    }
    this.cover(intensityMask, box);
    const means = this.means!;
    let global = -Infinity;
    let local = -Infinity;
    for (let r = 0; r < rows.length; r += 2) {
      for (let i = rows[r]; i < rows[r + 1]; i++) {
        if (!intensityMask[i]) continue;
        const m = means[i];
        if (m > global) global = m;
        // Local peak: around the voxel(s) of maximum intensity; the highest of their means.
        if (image[i] === maxValue && m > local) local = m;
      }
    }
    return { local, global };
  }
}

/** How many blocks of highest bound the global peak search visits first. */
const FIRST_BLOCKS = 32;

/** The k-th largest value (k ≥ 1) of `values`, which it reorders (quickselect). */
function kthLargest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] > pivot) i++;
      while (values[j] < pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return values[target];
  }
  return values[target];
}

export function prepareLocalIntensity(input: LocalIntensityInput): LocalIntensityData | { unavailable: string } {
  const means = input.sphereMeans ?? new SphereMeans(input.image, input.dims, input.spacing);
  return means.peaks(input.intensityMask, input.box);
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
