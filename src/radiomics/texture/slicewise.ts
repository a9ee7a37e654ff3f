/**
 * The three IBSI aggregations of GLSZM, GLDZM, NGTDM and NGLDM: "2D" (one matrix per slice,
 * features averaged over slices), "2.5D" (the slice matrices merged into one) and "3D" (one
 * matrix from the volume).
 */
import { Aggregation } from '../feature';
import { AggregationResults, FiniteMean, single } from './aggregate';

export interface SlicewiseFamily<M> {
  featureCount: number;
  /** One matrix per slice holding intensity-mask voxels (null where the matrix is empty). */
  slices(): Array<M | null>;
  volume(): M | null;
  merge(matrices: M[]): M;
  features(m: M): Float64Array;
}

export const SLICEWISE_AGGREGATIONS: readonly Aggregation[] = ['2D', '2.5D', '3D'];

export function aggregateSlicewise<M>(family: SlicewiseFamily<M>, wanted: ReadonlySet<Aggregation>): AggregationResults {
  const results: AggregationResults = new Map();
  const n = family.featureCount;
  if (wanted.has('2D') || wanted.has('2.5D')) {
    const slices = family.slices().filter((m): m is M => m !== null);
    if (wanted.has('2D')) {
      const mean = new FiniteMean(n);
      for (const m of slices) mean.add(family.features(m));
      results.set('2D', mean.result());
    }
    if (wanted.has('2.5D')) results.set('2.5D', single(slices.length ? family.features(family.merge(slices)) : null, n));
  }
  if (wanted.has('3D')) {
    const m = family.volume();
    results.set('3D', single(m ? family.features(m) : null, n));
  }
  return results;
}
