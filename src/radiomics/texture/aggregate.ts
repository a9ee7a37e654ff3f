/**
 * Averaging feature values over matrices (IBSI "averaged" aggregations, and 2D per-slice
 * averaging): the mean over matrices of each feature's finite values. Empty matrices (a slice
 * with no voxel, a direction without pairs) are never added; a value undefined for one matrix
 * (NaN) is left out of that feature's mean, as the IBSI coordinators' toolkit does.
 */
import { Aggregation } from '../feature';

/** Feature values of one aggregation, in the family's descriptor order. */
export interface AggregatedValues {
  values: Float64Array;
  /** Matrices the values came from (0: nothing to compute on). */
  matrices: number;
}

export type AggregationResults = Map<Aggregation, AggregatedValues>;

export class FiniteMean {
  private readonly sums: Float64Array;
  private readonly counts: Int32Array;
  private matrices = 0;

  constructor(size: number) {
    this.sums = new Float64Array(size);
    this.counts = new Int32Array(size);
  }

  add(values: Float64Array): void {
    this.matrices++;
    for (let f = 0; f < values.length; f++) {
      if (Number.isFinite(values[f])) {
        this.sums[f] += values[f];
        this.counts[f]++;
      }
    }
  }

  result(): AggregatedValues {
    const values = new Float64Array(this.sums.length);
    for (let f = 0; f < values.length; f++) values[f] = this.counts[f] > 0 ? this.sums[f] / this.counts[f] : NaN;
    return { values, matrices: this.matrices };
  }
}

/** One matrix's values as an aggregation result (merged aggregations). */
export function single(values: Float64Array | null, size: number): AggregatedValues {
  return values ? { values, matrices: 1 } : { values: new Float64Array(size).fill(NaN), matrices: 0 };
}
