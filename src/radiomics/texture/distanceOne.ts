/**
 * What the GLCM (distance 1) and the NGTDM/NGLDM (distance 1, coarseness 0) ask of a voxel's
 * 26 neighbours in 3D, in one pass over the ROI: the two neighbours v ± s along each of the 13
 * directions are the 26, each read once for both, where each family's own pass read them again.
 * Every result is a count of integers, so it equals the families' own builders exactly
 * (accumulateGlcmSteps, neighbourhoodStats; a test compares them). The GLCM counts the pair
 * (v, v + |s|) for both senses of a direction: the transpose of the pairs (v, v − |s|) that a
 * negative step counts, the same once made symmetric. (The GLRLM keeps its own pass: with its
 * run lengths in the same loop V8 ran out of registers and the whole was slower.)
 */
import { DIRECTIONS_3D } from './directions';
import { emptyGlcm, Glcm } from './glcm/matrix';
import { offsetOf, PaddedGrid } from './grid';
import { NeighbourhoodStats } from './neighbourhood';

export interface DistanceOne {
  /** Per direction of DIRECTIONS_3D, in its order. */
  glcm: Glcm[];
  /** Chebyshev distance 1, 3D, coarseness 0; in grid.roi order. */
  stats: NeighbourhoodStats;
}

/**
 * The pass (the grid's padding must be at least 1). The body is written out per direction, as in
 * accumulateGlcmSteps: V8 runs a loop over the directions no faster than separate passes.
 */
export function distanceOnePass(grid: PaddedGrid): DistanceOne {
  const { levels, roi, nLevels: ng } = grid;
  const n = roi.length;
  const glcm = DIRECTIONS_3D.map(() => emptyGlcm(ng));
  const inRoi = new Int32Array(n);
  const levelSum = new Int32Array(n);
  const similar = new Int32Array(n);
  const width = ng + 1;
  const size = ng * width;
  // Column 0 of each direction's block takes pairs with a voxel outside the ROI (as accumulateGlcm).
  const oneWay = new Float64Array(13 * size);
  const [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12] = DIRECTIONS_3D.map(([x, y, z]) => Math.abs(offsetOf(grid, x, y, z)));
  let p = 0;
  let q = 0;
  for (let k = 0; k < n; k++) {
    const v = roi[k];
    const g = levels[v];
    const b = (g - 1) * width;
    let same = 0;
    let inside = 0;
    let sum = 0;
    p = levels[v - s0];
    q = levels[v + s0];
    oneWay[b + 0 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s1];
    q = levels[v + s1];
    oneWay[b + 1 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s2];
    q = levels[v + s2];
    oneWay[b + 2 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s3];
    q = levels[v + s3];
    oneWay[b + 3 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s4];
    q = levels[v + s4];
    oneWay[b + 4 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s5];
    q = levels[v + s5];
    oneWay[b + 5 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s6];
    q = levels[v + s6];
    oneWay[b + 6 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s7];
    q = levels[v + s7];
    oneWay[b + 7 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s8];
    q = levels[v + s8];
    oneWay[b + 8 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s9];
    q = levels[v + s9];
    oneWay[b + 9 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s10];
    q = levels[v + s10];
    oneWay[b + 10 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s11];
    q = levels[v + s11];
    oneWay[b + 11 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    p = levels[v - s12];
    q = levels[v + s12];
    oneWay[b + 12 * size + q] += 1;
    same += (((p ^ g) - 1) >>> 31) + (((q ^ g) - 1) >>> 31);
    inside += (-p >>> 31) + (-q >>> 31);
    sum += p + q;
    inRoi[k] = inside;
    levelSum[k] = sum;
    similar[k] = same;
  }
  symmetricGlcms(glcm, oneWay, ng);
  return { glcm, stats: { inRoi, levelSum, similar } };
}

/**
 * glcm[d] += the pairs of direction d counted one way (oneWay, see distanceOnePass) and their
 * transpose. A function of its own, so that V8's compilation of the voxel loop while it runs
 * does not meet code that has not run yet (which made it drop and recompile the whole).
 */
function symmetricGlcms(glcm: Glcm[], oneWay: Float64Array, ng: number): void {
  const width = ng + 1;
  const size = ng * width;
  for (let d = 0; d < 13; d++) {
    const counts = glcm[d].counts;
    const o = d * size;
    for (let i = 0; i < ng; i++) {
      for (let j = 0; j < ng; j++) counts[i * ng + j] += oneWay[o + i * width + j + 1] + oneWay[o + j * width + i + 1];
    }
  }
}
