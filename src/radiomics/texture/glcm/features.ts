/**
 * GLCM features (IBSI 3.6.1–3.6.25) from one symmetric co-occurrence matrix. Conventions where a
 * formula is undefined follow the IBSI coordinators' toolkit (mirp): correlation = 1 and
 * information correlation 1 = 1 when the marginal distribution has a single grey level;
 * information correlation 2 = 0 when HXY2 < HXY; inverse variance is undefined (NaN) without
 * off-diagonal elements.
 */
import { DocumentedDescriptor } from '../../feature';
import { Glcm, glcmTotal } from './matrix';

const d = (tag: string, code: string, name: string, doc: string): DocumentedDescriptor => ({ family: 'glcm', tag, code, name, doc });

export const GLCM_DESCRIPTORS: readonly DocumentedDescriptor[] = [
  d('cm_joint_max', 'GYBY', 'Joint maximum', 'max p_ij (p_ij: probability of grey levels i and j in neighbouring voxels): the most frequent pair.'),
  d('cm_joint_avg', '60VM', 'Joint average', 'Σ i p_ij: mean grey level µ of the pairs.'),
  d('cm_joint_var', 'UR99', 'Joint variance', 'Σ (i − µ)² p_ij.'),
  d('cm_joint_entr', 'TU9B', 'Joint entropy', '−Σ p_ij log₂ p_ij, bits.'),
  d('cm_diff_avg', 'TF7R', 'Difference average', 'Σ k p_{i−j,k}: mean absolute grey level difference k = |i − j| of neighbours.'),
  d('cm_diff_var', 'D3YU', 'Difference variance', 'Σ (k − µ_{i−j})² p_{i−j,k}: variance of the grey level differences.'),
  d('cm_diff_entr', 'NTRS', 'Difference entropy', '−Σ p_{i−j,k} log₂ p_{i−j,k}: entropy of the grey level differences, bits.'),
  d('cm_sum_avg', 'ZGXS', 'Sum average', 'Σ k p_{i+j,k}: mean grey level sum k = i + j of neighbours.'),
  d('cm_sum_var', 'OEEB', 'Sum variance', 'Σ (k − µ_{i+j})² p_{i+j,k}: variance of the grey level sums.'),
  d('cm_sum_entr', 'P6QZ', 'Sum entropy', '−Σ p_{i+j,k} log₂ p_{i+j,k}: entropy of the grey level sums, bits.'),
  d('cm_energy', '8ZQL', 'Angular second moment', 'Σ p_ij²: uniformity of the pairs.'),
  d('cm_contrast', 'ACUI', 'Contrast', 'Σ (i − j)² p_ij.'),
  d('cm_dissimilarity', '8S9J', 'Dissimilarity', 'Σ |i − j| p_ij.'),
  d('cm_inv_diff', 'IB1Z', 'Inverse difference', 'Σ p_ij / (1 + |i − j|): homogeneity.'),
  d('cm_inv_diff_norm', 'NDRX', 'Normalised inverse difference', 'Σ p_ij / (1 + |i − j| / N_g).'),
  d('cm_inv_diff_mom', 'WF0Z', 'Inverse difference moment', 'Σ p_ij / (1 + (i − j)²).'),
  d('cm_inv_diff_mom_norm', '1QCO', 'Normalised inverse difference moment', 'Σ p_ij / (1 + (i − j)² / N_g²).'),
  d('cm_inv_var', 'E8JP', 'Inverse variance', 'Σ_{i≠j} p_ij / (i − j)²; undefined when no neighbours differ.'),
  d('cm_corr', 'NI2N', 'Correlation', '(Σ i j p_ij − µ²) / σ²: linear dependence of neighbouring grey levels (1 for a single grey level).'),
  d('cm_auto_corr', 'QWB0', 'Autocorrelation', 'Σ i j p_ij.'),
  d('cm_clust_tend', 'DG8W', 'Cluster tendency', 'Σ (i + j − 2µ)² p_ij.'),
  d('cm_clust_shade', '7NFM', 'Cluster shade', 'Σ (i + j − 2µ)³ p_ij: skewness of the pair sums.'),
  d('cm_clust_prom', 'AE86', 'Cluster prominence', 'Σ (i + j − 2µ)⁴ p_ij: tailedness of the pair sums.'),
  d('cm_info_corr1', 'R8DG', 'Information correlation 1', '(HXY − HXY1) / HX: first information measure of correlation (1 for a single grey level).'),
  d('cm_info_corr2', 'JN9H', 'Information correlation 2', '√(1 − exp(−2 (HXY2 − HXY))): second information measure of correlation.'),
];

/** Feature values in GLCM_DESCRIPTORS order; all NaN for an empty matrix. */
export function glcmFeatures(m: Glcm): Float64Array {
  const out = new Float64Array(GLCM_DESCRIPTORS.length).fill(NaN);
  const total = glcmTotal(m);
  if (total === 0) return out;
  const ng = m.nLevels;
  const pi = new Float64Array(ng + 1); // row marginal p_i. (= column marginal: symmetric)
  const pDiff = new Float64Array(ng); // p_{i-j,k}, k = 0 .. Ng-1
  const pSum = new Float64Array(2 * ng + 1); // p_{i+j,k}, k = 2 .. 2Ng
  let jointMax = 0, jointEntropy = 0, energy = 0, contrast = 0, dissimilarity = 0;
  let invDiff = 0, invDiffNorm = 0, invDiffMom = 0, invDiffMomNorm = 0, invVar = 0, autoCorr = 0;
  let offDiagonal = false;
  const c = m.counts;
  for (let i = 1; i <= ng; i++) {
    const row = (i - 1) * ng;
    for (let j = 1; j <= ng; j++) {
      const n = c[row + j - 1];
      if (n === 0) continue;
      const p = n / total;
      const k = i > j ? i - j : j - i;
      if (p > jointMax) jointMax = p;
      jointEntropy -= p * Math.log2(p);
      energy += p * p;
      contrast += k * k * p;
      dissimilarity += k * p;
      invDiff += p / (1 + k);
      invDiffNorm += p / (1 + k / ng);
      invDiffMom += p / (1 + k * k);
      invDiffMomNorm += p / (1 + (k * k) / (ng * ng));
      if (k > 0) {
        invVar += p / (k * k);
        offDiagonal = true;
      }
      autoCorr += i * j * p;
      pi[i] += p;
      pDiff[k] += p;
      pSum[i + j] += p;
    }
  }
  let mu = 0, hx = 0;
  for (let i = 1; i <= ng; i++) {
    mu += i * pi[i];
    if (pi[i] > 0) hx -= pi[i] * Math.log2(pi[i]);
  }
  let jointVar = 0;
  for (let i = 1; i <= ng; i++) jointVar += (i - mu) * (i - mu) * pi[i];
  let diffAvg = 0, diffEntropy = 0;
  for (let k = 0; k < ng; k++) {
    diffAvg += k * pDiff[k];
    if (pDiff[k] > 0) diffEntropy -= pDiff[k] * Math.log2(pDiff[k]);
  }
  let diffVar = 0;
  for (let k = 0; k < ng; k++) diffVar += (k - diffAvg) * (k - diffAvg) * pDiff[k];
  let sumAvg = 0, sumEntropy = 0;
  for (let k = 2; k <= 2 * ng; k++) {
    sumAvg += k * pSum[k];
    if (pSum[k] > 0) sumEntropy -= pSum[k] * Math.log2(pSum[k]);
  }
  // Sum variance and the cluster moments are moments of i + j about its mean (= 2µ for symmetric P).
  let sumVar = 0, shade = 0, prominence = 0;
  for (let k = 2; k <= 2 * ng; k++) {
    const e = k - sumAvg;
    const e2 = e * e;
    sumVar += e2 * pSum[k];
    shade += e2 * e * pSum[k];
    prominence += e2 * e2 * pSum[k];
  }
  // For a symmetric P, HXY1 = HXY2 = 2·HX.
  const hxy = jointEntropy;
  const hxy1 = 2 * hx;
  const hxy2 = 2 * hx;
  let v = 0;
  out[v++] = jointMax;
  out[v++] = mu;
  out[v++] = jointVar;
  out[v++] = jointEntropy;
  out[v++] = diffAvg;
  out[v++] = diffVar;
  out[v++] = diffEntropy;
  out[v++] = sumAvg;
  out[v++] = sumVar;
  out[v++] = sumEntropy;
  out[v++] = energy;
  out[v++] = contrast;
  out[v++] = dissimilarity;
  out[v++] = invDiff;
  out[v++] = invDiffNorm;
  out[v++] = invDiffMom;
  out[v++] = invDiffMomNorm;
  out[v++] = offDiagonal ? invVar : NaN;
  out[v++] = jointVar === 0 ? 1 : (autoCorr - mu * mu) / jointVar;
  out[v++] = autoCorr;
  out[v++] = sumVar; // cluster tendency = sum variance
  out[v++] = shade;
  out[v++] = prominence;
  out[v++] = hx === 0 ? 1 : (hxy - hxy1) / hx;
  out[v++] = hxy2 < hxy ? 0 : Math.sqrt(1 - Math.exp(-2 * (hxy2 - hxy)));
  return out;
}
