/**
 * NGTDM features (IBSI 3.10.1–3.10.5). p_i = n_i / N_v,c over the voxels with a valid
 * neighbourhood; pair sums run over grey levels with p_i > 0. Coarseness is capped at 10⁶;
 * contrast and busyness are 0 for a single grey level, strength 0 when Σ s_i = 0 (IBSI).
 */
import { DocumentedDescriptor } from '../../feature';
import { Ngtdm, ngtdmVoxelCount } from './matrix';

const d = (tag: string, code: string, name: string, doc: string): DocumentedDescriptor => ({ family: 'ngtdm', tag, code, name, doc });

export const NGTDM_DESCRIPTORS: readonly DocumentedDescriptor[] = [
  d('ngt_coarseness', 'QCDE', 'Coarseness', '1 / Σ p_i s_i (p_i: share of voxels of grey level i, s_i: Σ |i − mean neighbour level| over them), at most 10⁶.'),
  d('ngt_contrast', '65HE', 'Contrast', 'Σ p_i p_j (i − j)² / (N_g,p (N_g,p − 1)) × Σ s_i / N_v,c: dynamic range times the rate of change.'),
  d('ngt_busyness', 'NQ30', 'Busyness', 'Σ p_i s_i / Σ |i p_i − j p_j|: rapid changes between a voxel and its neighbours.'),
  d('ngt_complexity', 'HDEZ', 'Complexity', 'Σ |i − j| (p_i s_i + p_j s_j) / (p_i + p_j) / N_v,c: non-uniformity and rapid changes.'),
  d('ngt_strength', '1X9X', 'Strength', 'Σ (p_i + p_j) (i − j)² / Σ s_i: large, clearly visible primitives.'),
];

const MAX_COARSENESS = 1e6;

/** Feature values in NGTDM_DESCRIPTORS order; all NaN for an empty matrix. */
export function ngtdmFeatures(m: Ngtdm): Float64Array {
  const out = new Float64Array(NGTDM_DESCRIPTORS.length).fill(NaN);
  const nvc = ngtdmVoxelCount(m);
  if (nvc === 0) return out;
  // The grey levels present (p_i > 0), with their i, p_i and s_i.
  const present: number[] = [];
  for (let k = 0; k < m.nLevels; k++) if (m.n[k] > 0) present.push(k);
  const ngp = present.length;
  const lv = present.map((k) => k + 1);
  const p = present.map((k) => m.n[k] / nvc);
  const s = present.map((k) => m.s[k]);
  let ps = 0;
  let sSum = 0;
  for (let a = 0; a < ngp; a++) {
    ps += p[a] * s[a];
    sSum += s[a];
  }
  let contrastPairs = 0, busyDenominator = 0, complexity = 0, strengthPairs = 0;
  for (let a = 0; a < ngp; a++) {
    for (let b = 0; b < ngp; b++) {
      const di = lv[a] - lv[b];
      contrastPairs += p[a] * p[b] * di * di;
      busyDenominator += Math.abs(lv[a] * p[a] - lv[b] * p[b]);
      complexity += (Math.abs(di) * (p[a] * s[a] + p[b] * s[b])) / (p[a] + p[b]);
      strengthPairs += (p[a] + p[b]) * di * di;
    }
  }
  out[0] = ps < 1 / MAX_COARSENESS ? MAX_COARSENESS : 1 / ps;
  out[1] = ngp > 1 ? (contrastPairs / (ngp * (ngp - 1))) * (sSum / nvc) : 0;
  out[2] = ngp > 1 && busyDenominator > 0 ? ps / busyDenominator : 0;
  out[3] = complexity / nvc;
  out[4] = sSum > 0 ? strengthPairs / sSum : 0;
  return out;
}
