/**
 * Grey level run length matrix (IBSI 3.7): for one direction, the number of runs (maximal
 * sequences of equal grey level along the direction, inside the ROI) of grey level i and
 * length j. Each run is found once, from its first voxel; voxels outside the ROI end runs.
 */
import { PaddedGrid } from '../grid';
import { denseTable, LevelTable } from '../levelTable';

/** An empty run length table wide enough for any run in the padded box. */
export function emptyGlrlm(grid: PaddedGrid): LevelTable {
  return denseTable(grid.nLevels, Math.max(grid.nx, grid.ny, grid.nz));
}

/**
 * Adds the runs along index offset `step` of the voxels grid.roi[from .. to); N_v grows by their
 * voxels. The range must hold whole runs (the whole ROI, or whole slices for an in-slice step),
 * as every caller's does.
 *
 * Runs along −step are the same runs, so the pass always goes along the positive offset s, in
 * ascending index order: a voxel's run length is its predecessor's (v − s) plus one when that
 * has the same level, and a run is counted at its last voxel (v + s of another level). Without
 * data-dependent branches (run lengths are short, so a branch per voxel mostly mispredicts):
 * the tests are bit tricks on levels (0 ≤ level < 2^31), and a voxel that ends no run adds 0.
 * Lengths live in a ring buffer longer than s, indexed by v modulo its length, which still
 * holds v − s when v is reached (every later write is to an index above v − s and below it + length).
 */
export function accumulateGlrlm(m: LevelTable, grid: PaddedGrid, step: number, from: number, to: number): void {
  const { levels, roi } = grid;
  const nCols = m.colValues.length;
  const counts = m.counts;
  const s = Math.abs(step);
  let size = 1;
  while (size <= s) size *= 2;
  const mask = size - 1;
  const length = new Int32Array(size);
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const g = levels[v];
    const continues = ((levels[v - s] ^ g) - 1) >>> 31; // 1: the predecessor has the same level
    const run = continues * length[(v - s) & mask] + 1;
    length[v & mask] = run;
    const ends = 1 - (((levels[v + s] ^ g) - 1) >>> 31); // 1: the successor has another level
    counts[(g - 1) * nCols + run - 1] += ends;
  }
  m.nVoxels += to - from;
}

/** A ring buffer of run lengths for step s (a power of two longer than s; see accumulateGlrlm). */
function ringFor(s: number): Int32Array {
  let size = 1;
  while (size <= Math.abs(s)) size *= 2;
  return new Int32Array(size);
}

/**
 * The tables of the 13 3-D directions at once (ms[d] gets the runs along steps[d]), in one pass
 * over the voxels: each voxel's level is read once and the 13 directions' work interleaves, so
 * no direction waits on its own previous voxel. Same counts as accumulateGlrlm per step (the
 * body is written out per direction: V8 runs a loop over the directions, or a helper called 13
 * times, about half as fast). Other numbers of steps go one step at a time.
 *
 * Runs are not counted at their last voxel, which needs the successor's level (a 14th read per
 * direction), but from the run length reached at every voxel: a run of length ≥ L has exactly
 * one voxel where the length reached is L, so the runs of level g and length exactly L are the
 * voxels of level g that reach L minus those that reach L + 1. Integer counts, so the tables are
 * exactly accumulateGlrlm's. The reach counts are laid out [level][direction][length]: the 13
 * counts one voxel adds lie in one small block.
 */
export function accumulateGlrlmSteps(ms: readonly LevelTable[], grid: PaddedGrid, steps: Int32Array, from: number, to: number): void {
  if (steps.length !== 13) {
    steps.forEach((step, d) => accumulateGlrlm(ms[d], grid, step, from, to));
    return;
  }
  const { levels, roi } = grid;
  const nCols = ms[0].colValues.length;
  if (ms.some((m) => m.colValues.length !== nCols)) throw new Error('accumulateGlrlmSteps: tables of different widths');
  const [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12] = Array.from(steps, Math.abs);
  const [l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12] = Array.from(steps, ringFor);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12] = [l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12].map((l) => l.length - 1);
  // reached[((g − 1)·13 + d)·width + L − 1]: voxels of level g whose run along steps[d] reaches
  // length L there; column nCols (L = nCols + 1) stays 0.
  const width = nCols + 1;
  const reached = new Int32Array(grid.nLevels * 13 * width);
  for (let k = from; k < to; k++) {
    const v = roi[k];
    const g = levels[v];
    const row = (g - 1) * 13 * width - 1;
    const r0 = (((levels[v - s0] ^ g) - 1) >>> 31) * l0[(v - s0) & m0] + 1;
    l0[v & m0] = r0;
    reached[row + r0]++;
    const r1 = (((levels[v - s1] ^ g) - 1) >>> 31) * l1[(v - s1) & m1] + 1;
    l1[v & m1] = r1;
    reached[row + 1 * width + r1]++;
    const r2 = (((levels[v - s2] ^ g) - 1) >>> 31) * l2[(v - s2) & m2] + 1;
    l2[v & m2] = r2;
    reached[row + 2 * width + r2]++;
    const r3 = (((levels[v - s3] ^ g) - 1) >>> 31) * l3[(v - s3) & m3] + 1;
    l3[v & m3] = r3;
    reached[row + 3 * width + r3]++;
    const r4 = (((levels[v - s4] ^ g) - 1) >>> 31) * l4[(v - s4) & m4] + 1;
    l4[v & m4] = r4;
    reached[row + 4 * width + r4]++;
    const r5 = (((levels[v - s5] ^ g) - 1) >>> 31) * l5[(v - s5) & m5] + 1;
    l5[v & m5] = r5;
    reached[row + 5 * width + r5]++;
    const r6 = (((levels[v - s6] ^ g) - 1) >>> 31) * l6[(v - s6) & m6] + 1;
    l6[v & m6] = r6;
    reached[row + 6 * width + r6]++;
    const r7 = (((levels[v - s7] ^ g) - 1) >>> 31) * l7[(v - s7) & m7] + 1;
    l7[v & m7] = r7;
    reached[row + 7 * width + r7]++;
    const r8 = (((levels[v - s8] ^ g) - 1) >>> 31) * l8[(v - s8) & m8] + 1;
    l8[v & m8] = r8;
    reached[row + 8 * width + r8]++;
    const r9 = (((levels[v - s9] ^ g) - 1) >>> 31) * l9[(v - s9) & m9] + 1;
    l9[v & m9] = r9;
    reached[row + 9 * width + r9]++;
    const r10 = (((levels[v - s10] ^ g) - 1) >>> 31) * l10[(v - s10) & m10] + 1;
    l10[v & m10] = r10;
    reached[row + 10 * width + r10]++;
    const r11 = (((levels[v - s11] ^ g) - 1) >>> 31) * l11[(v - s11) & m11] + 1;
    l11[v & m11] = r11;
    reached[row + 11 * width + r11]++;
    const r12 = (((levels[v - s12] ^ g) - 1) >>> 31) * l12[(v - s12) & m12] + 1;
    l12[v & m12] = r12;
    reached[row + 12 * width + r12]++;
  }
  addRunsFromReach(ms, reached, grid.nLevels, width, to - from);
}

/**
 * ms[d] += the runs of exactly each length from the reach counts of accumulateGlrlmSteps, and N_v
 * += `voxels`. A function of its own: after the voxel loop, which V8 compiles while it runs, code
 * that had not run yet made V8 drop and recompile that large function.
 */
function addRunsFromReach(ms: readonly LevelTable[], reached: Int32Array, nLevels: number, width: number, voxels: number): void {
  const nCols = width - 1;
  for (let d = 0; d < 13; d++) {
    const counts = ms[d].counts;
    for (let g = 0; g < nLevels; g++) {
      const at = (g * 13 + d) * width;
      for (let c = 0; c < nCols; c++) counts[g * nCols + c] += reached[at + c] - reached[at + c + 1];
    }
  }
  for (const m of ms) m.nVoxels += voxels;
}

export function clearTable(m: LevelTable): void {
  m.counts.fill(0);
  m.nVoxels = 0;
}

/** Element-wise sum into `into` (both tables have the same columns). */
export function addTable(into: LevelTable, from: LevelTable): void {
  const a = into.counts;
  const b = from.counts;
  for (let k = 0; k < a.length; k++) a[k] += b[k];
  into.nVoxels += from.nVoxels;
}
