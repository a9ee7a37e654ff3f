/**
 * The six IBSI aggregations of the directional families (GLCM, GLRLM), from matrices built
 * once: per slice and in-slice direction (2D), per 3D direction (3D). From the 2D directional
 * matrices come "2D averaged" (features per slice and direction, averaged), "2D slice-merged"
 * (directions merged per slice, averaged over slices), "2.5D direction-merged" (slices merged per
 * direction, averaged over directions) and "2.5D merged" (all merged); from the 3D ones
 * "3D averaged" and "3D merged".
 */
import { Aggregation } from '../feature';
import { AggregationResults, FiniteMean, single } from './aggregate';
import { DIRECTIONS_2D, DIRECTIONS_3D, scaled, Step } from './directions';
import { occupiedSlices, offsetOf, PaddedGrid } from './grid';

export interface DirectionalFamily<M> {
  featureCount: number;
  create(): M;
  clear(m: M): void;
  add(into: M, from: M): void;
  /** Adds voxels grid.roi[from .. to) along index offset `step`. */
  accumulate(m: M, step: number, from: number, to: number): void;
  /** Optional: ms[d] += the voxels grid.roi[from .. to) along steps[d], for every d in one pass (same result as accumulate per step). */
  accumulateSteps?(ms: M[], steps: Int32Array, from: number, to: number): void;
  isEmpty(m: M): boolean;
  features(m: M): Float64Array;
}

export const DIRECTIONAL_AGGREGATIONS: readonly Aggregation[] = [
  '2D averaged', '2D slice-merged', '2.5D direction-merged', '2.5D merged', '3D averaged', '3D merged',
];

export function aggregateDirectional<M>(family: DirectionalFamily<M>, grid: PaddedGrid, distance: number, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const results: AggregationResults = new Map();
  const stepOf = (s: Step) => offsetOf(grid, s[0], s[1], s[2]);
  const n = family.featureCount;

  if (wanted.has('2D averaged') || wanted.has('2D slice-merged') || wanted.has('2.5D direction-merged') || wanted.has('2.5D merged')) {
    const steps = scaled(DIRECTIONS_2D, distance).map(stepOf);
    const perDirection = steps.map(() => family.create());
    const perSlice = family.create();
    const acrossSlices = steps.map(() => family.create());
    const averaged = new FiniteMean(n);
    const sliceMerged = new FiniteMean(n);
    for (const z of occupiedSlices(grid)) {
      family.clear(perSlice);
      steps.forEach((step, d) => {
        const m = perDirection[d];
        family.clear(m);
        family.accumulate(m, step, grid.sliceStart[z], grid.sliceStart[z + 1]);
        if (family.isEmpty(m)) return;
        if (wanted.has('2D averaged')) averaged.add(family.features(m));
        family.add(perSlice, m);
        family.add(acrossSlices[d], m);
      });
      if (wanted.has('2D slice-merged') && !family.isEmpty(perSlice)) sliceMerged.add(family.features(perSlice));
    }
    if (wanted.has('2D averaged')) results.set('2D averaged', averaged.result());
    if (wanted.has('2D slice-merged')) results.set('2D slice-merged', sliceMerged.result());
    const directionMerged = new FiniteMean(n);
    const all = family.create();
    for (const m of acrossSlices) {
      if (family.isEmpty(m)) continue;
      if (wanted.has('2.5D direction-merged')) directionMerged.add(family.features(m));
      family.add(all, m);
    }
    if (wanted.has('2.5D direction-merged')) results.set('2.5D direction-merged', directionMerged.result());
    if (wanted.has('2.5D merged')) results.set('2.5D merged', single(family.isEmpty(all) ? null : family.features(all), n));
  }

  if (wanted.has('3D averaged') || wanted.has('3D merged')) {
    const steps = Int32Array.from(scaled(DIRECTIONS_3D, distance).map(stepOf));
    const all = family.create();
    const averaged = new FiniteMean(n);
    // Every direction's matrix first (in one pass when the family can), then the same sequence as one at a time.
    const matrices = Array.from(steps, () => family.create());
    if (family.accumulateSteps) family.accumulateSteps(matrices, steps, 0, grid.roi.length);
    else steps.forEach((step, d) => family.accumulate(matrices[d], step, 0, grid.roi.length));
    for (const m of matrices) {
      if (family.isEmpty(m)) continue;
      if (wanted.has('3D averaged')) averaged.add(family.features(m));
      family.add(all, m);
    }
    if (wanted.has('3D averaged')) results.set('3D averaged', averaged.result());
    if (wanted.has('3D merged')) results.set('3D merged', single(family.isEmpty(all) ? null : family.features(all), n));
  }
  return results;
}
