/**
 * Intensity histogram features (IBSI 3.4, ZVCW), on the discretised grey levels of the ROI
 * intensity mask (levels 1..N_g, same discretisation as the texture features).
 */
import { FamilyDefinition, defineFeature } from './family';
import { allRows } from '../indexBox';
import { Distribution, distribution, meanAbsoluteDeviation, robustMeanAbsoluteDeviation } from '../math/stats';

export interface HistogramData extends Distribution {
  nLevels: number;
  /** counts[i] = voxels with grey level i (index 0 unused), non-sparse 1..N_g. */
  counts: Float64Array;
  /** Histogram gradient H' over levels 1..N_g (index 0 unused). */
  gradient: Float64Array;
}

/**
 * counts[g] = voxels of level g (1..nLevels) within `rows`. A function of its own: with this loop
 * inside prepareHistogram, V8 dropped and recompiled that function on every extraction.
 */
function levelCounts(levels: Int32Array, nLevels: number, rows: Int32Array): Float64Array {
  const counts = new Float64Array(nLevels + 1);
  for (let r = 0; r < rows.length; r += 2) {
    for (let i = rows[r]; i < rows[r + 1]; i++) {
      const g = levels[i];
      if (g > 0) counts[g]++;
    }
  }
  return counts;
}

/** @param rows where levels can be non-zero (indexBox.boxRows); default everywhere. */
export function prepareHistogram(levels: Int32Array, nLevels: number, rows: Int32Array = allRows(levels.length)): HistogramData | { unavailable: string } {
  const counts = levelCounts(levels, nLevels, rows);
  let n = 0;
  for (let g = 1; g <= nLevels; g++) n += counts[g];
  if (n === 0) return { unavailable: 'the ROI intensity mask is empty' };
  // Sorted values follow from the counts (a counting sort).
  const sorted = new Float64Array(n);
  for (let g = 1, p = 0; g <= nLevels; g++) {
    sorted.fill(g, p, p + counts[g]);
    p += counts[g];
  }
  const gradient = new Float64Array(nLevels + 1);
  if (nLevels === 1) gradient[1] = 0;
  else {
    gradient[1] = counts[2] - counts[1];
    for (let g = 2; g < nLevels; g++) gradient[g] = (counts[g + 1] - counts[g - 1]) / 2;
    gradient[nLevels] = counts[nLevels] - counts[nLevels - 1];
  }
  return { ...distribution(sorted), nLevels, counts, gradient };
}

/** Most frequent level; ties go to the level nearest the mean, then to the lower one. */
function mode(d: HistogramData): number {
  let best = 1;
  for (let g = 1; g <= d.nLevels; g++) {
    const c = d.counts[g];
    if (c > d.counts[best] || (c === d.counts[best] && Math.abs(g - d.mean) < Math.abs(best - d.mean))) best = g;
  }
  return best;
}

function entropy(d: HistogramData): number {
  let e = 0;
  for (let g = 1; g <= d.nLevels; g++) {
    const p = d.counts[g] / d.n;
    if (p > 0) e -= p * Math.log2(p);
  }
  return e;
}

function uniformity(d: HistogramData): number {
  let u = 0;
  for (let g = 1; g <= d.nLevels; g++) {
    const p = d.counts[g] / d.n;
    u += p * p;
  }
  return u;
}

/** Level of the first extreme of the gradient (lowest level on ties). */
function gradientExtreme(d: HistogramData, sign: 1 | -1): { value: number; level: number } {
  let level = 1;
  for (let g = 2; g <= d.nLevels; g++) if (sign * d.gradient[g] > sign * d.gradient[level]) level = g;
  return { value: d.gradient[level], level };
}

const f = (tag: string, code: string, name: string, doc: string, compute: (d: HistogramData) => number) =>
  defineFeature<HistogramData>('intensity_histogram', tag, code, name, doc, compute);

export const HISTOGRAM: FamilyDefinition<HistogramData> = {
  family: 'intensity_histogram',
  features: [
    f('ih_mean', 'X6K6', 'Mean discretised intensity', 'Mean grey level.', (d) => d.mean),
    f('ih_var', 'CH89', 'Discretised intensity variance', 'Population variance of the grey levels.', (d) => d.variance),
    f('ih_skew', '88K1', 'Discretised intensity skewness', 'Skewness of the grey levels (0 when the variance is 0).', (d) => d.skewness),
    f('ih_kurt', 'C3I7', 'Discretised intensity kurtosis', 'Excess kurtosis of the grey levels (0 when the variance is 0).', (d) => d.kurtosis),
    f('ih_median', 'WIFQ', 'Median discretised intensity', 'Median grey level.', (d) => d.median),
    f('ih_min', '1PR8', 'Minimum discretised intensity', 'Lowest grey level present.', (d) => d.sorted[0]),
    f('ih_p10', '1PR', '10th discretised intensity percentile', '10th percentile of the grey levels.', (d) => d.p10),
    f('ih_p90', 'GPMT', '90th discretised intensity percentile', '90th percentile of the grey levels.', (d) => d.p90),
    f('ih_max', '3NCY', 'Maximum discretised intensity', 'Highest grey level present.', (d) => d.sorted[d.n - 1]),
    f('ih_mode', 'AMMC', 'Intensity histogram mode', 'Most frequent grey level (ties: nearest the mean, then the lower).', mode),
    f('ih_iqr', 'WR0O', 'Discretised intensity interquartile range', '75th minus 25th percentile of the grey levels.', (d) => d.p75 - d.p25),
    f('ih_range', '5Z3W', 'Discretised intensity range', 'Highest minus lowest grey level.', (d) => d.sorted[d.n - 1] - d.sorted[0]),
    f('ih_mad', 'D2ZX', 'Intensity histogram mean absolute deviation', 'Mean absolute deviation of the grey levels from their mean.', (d) => meanAbsoluteDeviation(d.sorted, d.mean)),
    f('ih_rmad', 'WRZB', 'Intensity histogram robust mean absolute deviation', 'Mean absolute deviation of the grey levels between the 10th and 90th percentile.', robustMeanAbsoluteDeviation),
    f('ih_medad', '4RNL', 'Intensity histogram median absolute deviation', 'Mean absolute deviation of the grey levels from their median.', (d) => meanAbsoluteDeviation(d.sorted, d.median)),
    f('ih_cov', 'CWYJ', 'Intensity histogram coefficient of variation', 'Standard deviation over mean of the grey levels.', (d) => Math.sqrt(d.variance) / d.mean),
    f('ih_qcod', 'SLWD', 'Intensity histogram quartile coefficient of dispersion', '(P75 − P25) / (P75 + P25) of the grey levels.', (d) => (d.p75 - d.p25) / (d.p75 + d.p25)),
    f('ih_entropy', 'TLU2', 'Discretised intensity entropy', 'Shannon entropy of the histogram, bits.', entropy),
    f('ih_uniformity', 'BJ5W', 'Discretised intensity uniformity', 'Sum of squared bin probabilities.', uniformity),
    f('ih_max_grad', '12CE', 'Maximum histogram gradient', 'Largest value of the histogram gradient (voxels per grey level).', (d) => gradientExtreme(d, 1).value),
    f('ih_max_grad_g', '8E6O', 'Maximum histogram gradient intensity', 'Grey level of the largest histogram gradient.', (d) => gradientExtreme(d, 1).level),
    f('ih_min_grad', 'VQB3', 'Minimum histogram gradient', 'Smallest value of the histogram gradient.', (d) => gradientExtreme(d, -1).value),
    f('ih_min_grad_g', 'RHQZ', 'Minimum histogram gradient intensity', 'Grey level of the smallest histogram gradient.', (d) => gradientExtreme(d, -1).level),
  ],
};
