/**
 * Intensity-volume histogram features (IBSI 3.5, P88C). The cumulative histogram ν(i) (fraction
 * of the volume with intensity ≥ i) over the discretised intensities i of the total range G,
 * and the intensity fraction γ(i) = (i − min G)/(max G − min G). Discretisation depends on the
 * kind of intensities (IBSI "discrete calibrated", "continuous calibrated", "arbitrary").
 */
import { FamilyDefinition, defineFeature } from './family';

export type IvhDiscretisation =
  | { method: 'none' }
  | { method: 'fixed_bin_size'; binWidth: number }
  | { method: 'fixed_bin_number'; binCount: number };

export interface IvhData {
  /** Discretised intensity of each histogram point, ascending (non-sparse over G). */
  intensity: Float64Array;
  gamma: Float64Array;
  nu: Float64Array;
  /** Intensity just above the last point: used when no point has ν ≤ x. */
  nextIntensity: number;
}

/**
 * @param range the re-segmentation range (null sides: taken from the ROI), used as G for
 *   calibrated intensities.
 */
export function prepareIvh(
  intensities: ArrayLike<number>,
  discretisation: IvhDiscretisation,
  range: { lower: number | null; upper: number | null },
): IvhData | { unavailable: string } {
  const n = intensities.length;
  if (n === 0) return { unavailable: 'the ROI intensity mask is empty' };
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = intensities[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lo = range.lower ?? min;
  const hi = range.upper ?? max;
  let bins: number;
  let binOf: (v: number) => number; // 0-based bin
  let valueOf: (bin: number) => number;
  let next: number;
  if (discretisation.method === 'none') {
    // Calibrated discrete intensities (CT HU): one bin per integer of G, step 1.
    const first = Math.floor(lo);
    bins = Math.floor(hi) - first + 1;
    binOf = (v) => Math.round(v) - first;
    valueOf = (b) => first + b;
    next = first + bins;
  } else if (discretisation.method === 'fixed_bin_size') {
    const w = discretisation.binWidth;
    // As the IBSI coordinators' toolkit: enough bins that the upper bound itself has one.
    bins = Math.ceil((hi - lo) / w) + 1;
    binOf = (v) => Math.max(0, Math.floor((v - lo) / w));
    valueOf = (b) => lo + (b + 0.5) * w; // bin centres keep the calibrated scale
    next = lo + (bins - 1 + 0.5) * w + w;
  } else {
    const nb = discretisation.binCount;
    bins = nb;
    const width = max - min;
    binOf = (v) => (width > 0 ? Math.min(nb - 1, Math.max(0, Math.floor((nb * (v - min)) / width))) : 0);
    valueOf = (b) => b + 1; // arbitrary units: the bin number itself
    next = nb + 1;
  }
  if (!(bins >= 1) || bins > 50_000_000) return { unavailable: `the intensity-volume histogram would need ${bins} bins; check the IVH settings` };
  const counts = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const b = binOf(intensities[i]);
    counts[Math.min(bins - 1, Math.max(0, b))]++;
  }
  const intensity = new Float64Array(bins);
  const gamma = new Float64Array(bins);
  const nu = new Float64Array(bins);
  const gMin = valueOf(0);
  const gMax = valueOf(bins - 1);
  let below = 0;
  for (let b = 0; b < bins; b++) {
    intensity[b] = valueOf(b);
    gamma[b] = gMax > gMin ? (intensity[b] - gMin) / (gMax - gMin) : 0;
    nu[b] = 1 - below / n;
    below += counts[b];
  }
  return { intensity, gamma, nu, nextIntensity: next };
}

/** V_x: the largest volume fraction ν among the points with intensity fraction γ ≥ x. */
export function volumeAtIntensityFraction(d: IvhData, x: number): number {
  let best = NaN;
  for (let b = 0; b < d.gamma.length; b++) if (d.gamma[b] >= x && !(d.nu[b] <= best)) best = d.nu[b];
  return best;
}

/** I_x: the lowest intensity whose volume fraction ν is at most x. */
export function intensityAtVolumeFraction(d: IvhData, x: number): number {
  for (let b = 0; b < d.nu.length; b++) if (d.nu[b] <= x) return d.intensity[b];
  return d.nextIntensity;
}

/** Area under the ν(γ) curve by the trapezoidal rule; 0 for a single point. */
function area(d: IvhData): number {
  let a = 0;
  for (let b = 1; b < d.gamma.length; b++) a += ((d.nu[b] + d.nu[b - 1]) / 2) * (d.gamma[b] - d.gamma[b - 1]);
  return a;
}

const f = (tag: string, code: string, name: string, doc: string, compute: (d: IvhData) => number, noRef = false) =>
  defineFeature<IvhData>('intensity_volume_histogram', tag, code, name, doc, compute, noRef ? { noIbsiReference: true } : {});

export const IVH: FamilyDefinition<IvhData> = {
  family: 'intensity_volume_histogram',
  features: [
    f('ivh_v10', 'BC2M_10', 'Volume at intensity fraction 0.10', 'Largest volume fraction with at least 10 % of the intensity range.', (d) => volumeAtIntensityFraction(d, 0.1)),
    f('ivh_v90', 'BC2M_90', 'Volume at intensity fraction 0.90', 'Largest volume fraction with at least 90 % of the intensity range.', (d) => volumeAtIntensityFraction(d, 0.9)),
    f('ivh_i10', 'GBPN_10', 'Intensity at volume fraction 0.10', 'Lowest discretised intensity present in at most 10 % of the volume.', (d) => intensityAtVolumeFraction(d, 0.1)),
    f('ivh_i90', 'GBPN_90', 'Intensity at volume fraction 0.90', 'Lowest discretised intensity present in at most 90 % of the volume.', (d) => intensityAtVolumeFraction(d, 0.9)),
    f('ivh_diff_v10_v90', 'DDTU', 'Volume fraction difference between intensity 0.10 and 0.90 fractions', 'Volume fraction at 10 % minus volume fraction at 90 % of the intensity range (V10 − V90).', (d) => volumeAtIntensityFraction(d, 0.1) - volumeAtIntensityFraction(d, 0.9)),
    f('ivh_diff_i10_i90', 'CNV2', 'Intensity fraction difference between volume 0.10 and 0.90 fractions', 'Intensity at 10 % minus intensity at 90 % of the volume (I10 − I90).', (d) => intensityAtVolumeFraction(d, 0.1) - intensityAtVolumeFraction(d, 0.9)),
    f('ivh_auc', '9CMM', 'Area under the IVH curve', 'Area under ν(γ), trapezoidal rule. IBSI: no consensus reference value.', area, true),
  ],
};
