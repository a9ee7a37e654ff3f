/**
 * Patient-level summary over scored lesions (pure): central tendency, the least infiltrated
 * lesion (minimum score, "MinCD8RS"), dispersion (SD, range, IQR, coefficient of variation,
 * histogram entropy) and the fraction of hot lesions; the same per site, liver apart.
 */
import type { LesionResult, LesionSite, PatientSummary, ScoreStatistics } from '../results/types';
import { histogramEntropy, mean, percentile, sampleSd } from './statistics';

export function scoreStatistics(lesions: readonly Pick<LesionResult, 'score' | 'classification'>[]): ScoreStatistics {
  const scored = lesions.filter((l): l is typeof l & { score: number } => l.score !== null && Number.isFinite(l.score));
  const scores = scored.map((l) => l.score).sort((a, b) => a - b);
  const n = scores.length;
  if (n === 0) {
    return { count: 0, mean: null, median: null, min: null, max: null, sd: null, range: null, iqr: null, coefficientOfVariation: null, entropy: null, fractionHot: null };
  }
  const m = mean(scores);
  const sd = sampleSd(scores);
  const classified = scored.filter((l) => l.classification !== null);
  return {
    count: n,
    mean: m,
    median: percentile(scores, 50),
    min: scores[0],
    max: scores[n - 1],
    sd,
    range: scores[n - 1] - scores[0],
    iqr: percentile(scores, 75) - percentile(scores, 25),
    // Undefined around a zero mean: the scores are not on a ratio scale.
    coefficientOfVariation: m !== 0 ? sd / Math.abs(m) : null,
    entropy: histogramEntropy(scores),
    fractionHot: classified.length > 0 ? classified.filter((l) => l.classification === 'hot').length / classified.length : null,
  };
}

export function patientSummary(lesions: readonly LesionResult[]): PatientSummary {
  const perSite: Partial<Record<LesionSite, ScoreStatistics>> = {};
  for (const site of new Set(lesions.map((l) => l.site))) {
    perSite[site] = scoreStatistics(lesions.filter((l) => l.site === site));
  }
  return { lesionCount: lesions.length, ...scoreStatistics(lesions), perSite };
}
