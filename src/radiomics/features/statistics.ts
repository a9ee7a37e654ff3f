/**
 * Intensity-based statistical features (IBSI 3.3, UHIW), on the intensities of the ROI
 * intensity mask, in 3D (DHQ4).
 */
import { FamilyDefinition, defineFeature } from './family';
import { Distribution, distribution, meanAbsoluteDeviation, robustMeanAbsoluteDeviation, sortedCopy } from '../math/stats';

export interface StatisticsData extends Distribution {
  energy: number;
}

export function prepareStatistics(intensities: ArrayLike<number>): StatisticsData | { unavailable: string } {
  if (intensities.length === 0) return { unavailable: 'the ROI intensity mask is empty' };
  const sorted = sortedCopy(intensities);
  let energy = 0;
  for (let i = 0; i < sorted.length; i++) energy += sorted[i] * sorted[i];
  return { ...distribution(sorted), energy };
}

const f = (tag: string, code: string, name: string, doc: string, compute: (d: StatisticsData) => number) =>
  defineFeature<StatisticsData>('intensity_statistics', tag, code, name, doc, compute);

export const STATISTICS: FamilyDefinition<StatisticsData> = {
  family: 'intensity_statistics',
  features: [
    f('stat_mean', 'Q4LE', 'Mean intensity', 'Mean intensity in the ROI (image units, e.g. HU).', (d) => d.mean),
    f('stat_var', 'ECT3', 'Intensity variance', 'Population variance of the intensities (units²).', (d) => d.variance),
    f('stat_skew', 'KE2A', 'Intensity skewness', 'Skewness of the intensity distribution (0 when the variance is 0).', (d) => d.skewness),
    f('stat_kurt', 'IPH6', 'Intensity kurtosis', 'Excess kurtosis of the intensity distribution (0 when the variance is 0).', (d) => d.kurtosis),
    f('stat_median', 'Y12H', 'Median intensity', 'Median intensity.', (d) => d.median),
    f('stat_min', '1GSF', 'Minimum intensity', 'Lowest intensity in the ROI.', (d) => d.sorted[0]),
    f('stat_p10', 'QG58', '10th intensity percentile', '10th percentile of the intensities (linear interpolation).', (d) => d.p10),
    f('stat_p90', '8DWT', '90th intensity percentile', '90th percentile of the intensities (linear interpolation).', (d) => d.p90),
    f('stat_max', '84IY', 'Maximum intensity', 'Highest intensity in the ROI.', (d) => d.sorted[d.n - 1]),
    f('stat_iqr', 'SALO', 'Intensity interquartile range', '75th minus 25th percentile.', (d) => d.p75 - d.p25),
    f('stat_range', '2OJQ', 'Intensity range', 'Maximum minus minimum intensity.', (d) => d.sorted[d.n - 1] - d.sorted[0]),
    f('stat_mad', '4FUA', 'Intensity-based mean absolute deviation', 'Mean absolute deviation from the mean.', (d) => meanAbsoluteDeviation(d.sorted, d.mean)),
    f('stat_rmad', '1128', 'Intensity-based robust mean absolute deviation', 'Mean absolute deviation of the voxels between the 10th and 90th percentile, from their own mean.', robustMeanAbsoluteDeviation),
    f('stat_medad', 'N72L', 'Intensity-based median absolute deviation', 'Mean absolute deviation from the median.', (d) => meanAbsoluteDeviation(d.sorted, d.median)),
    f('stat_cov', '7TET', 'Intensity-based coefficient of variation', 'Standard deviation divided by the mean.', (d) => Math.sqrt(d.variance) / d.mean),
    f('stat_qcod', '9S40', 'Intensity-based quartile coefficient of dispersion', '(P75 − P25) / (P75 + P25).', (d) => (d.p75 - d.p25) / (d.p75 + d.p25)),
    f('stat_energy', 'N8CA', 'Intensity-based energy', 'Sum of squared intensities (no voxel volume; grows with voxel count).', (d) => d.energy),
    f('stat_rms', '5ZWQ', 'Root mean square intensity', 'Square root of the mean squared intensity.', (d) => Math.sqrt(d.energy / d.n)),
  ],
};
