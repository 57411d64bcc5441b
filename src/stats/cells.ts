import { noiseVarianceOfMean, type ReleasedSums, type ReleasedWeighted } from './perturbation.js';
import { summarizeWeighted } from './weighted.js';
import { summarize } from './summary.js';
import { tQuantile } from './t-distribution.js';

export interface ReleaseRules {
  /** The privacy floor: no count, mean or share describes fewer responses than this (after perturbation). */
  minGroupSize: number;
  /** Means and shares need this many responses to be shown at all. */
  minReliableSize: number;
  /** Below this, a shown mean is flagged "low reliability". */
  lowReliabilitySize: number;
  /** Perturb figures (liaisons and the public); admins see exact ones. */
  perturb: boolean;
  /** Tests only: release a sample's part of an atom whatever the size of its other part (the attack's negative control). */
  unsafeSampleParts?: boolean;
}

/**
 * The complementary rule: all responses − opt-in = invitations, so a sample's part of an atom (`n`) is released only
 * when it and the atom's other part (`complement`) are each empty or at the privacy floor; otherwise the small part
 * could be read as the difference of two figures.
 */
export const clearsSampleFloor = (n: number, complement: number, rules: ReleaseRules) =>
  rules.unsafeSampleParts === true || ((n === 0 || n >= rules.minGroupSize) && (complement === 0 || complement >= rules.minGroupSize));

/** One reported aggregate, in the shape the JSON API and the charts use. */
export interface Cell {
  /** Responses counted (perturbed for protected figures); null under the privacy floor. */
  n: number | null;
  mean: number | null;
  sd: number | null;
  /** Standard error of the mean, including the perturbation's variance. */
  se: number | null;
  ci_low: number | null;
  ci_high: number | null;
  /** True when no mean is shown (under the floor or the reliability threshold). */
  suppressed: boolean;
  low_reliability: boolean;
  /** Weighted to the census: the mean is weighted and `n_eff` is Kish's effective sample size (the reliability threshold's). */
  weighted: boolean;
  n_eff: number | null;
}

export const suppressedCell: Cell = Object.freeze({
  n: null,
  mean: null,
  sd: null,
  se: null,
  ci_low: null,
  ci_high: null,
  suppressed: true,
  low_reliability: false,
  weighted: false,
  n_eff: null,
});

const clampScore = (v: number) => Math.min(100, Math.max(0, v));

/**
 * Applies the release rules to a figure's sums: nothing under the privacy floor, the count alone under the
 * reliability threshold, else the mean with a 95% t interval whose variance includes the noise's. A perturbed
 * figure's spread is `pooledVariance` (the measure's variance over many atoms) when given: one window's noisy sum of
 * squares would make its own standard deviation too noisy to use.
 */
export function cellFrom(sums: ReleasedSums, rules: ReleaseRules, pooledVariance?: number): Cell {
  if (sums.n < rules.minGroupSize) return suppressedCell;
  if (sums.weighted) return weightedCellFrom(sums, sums.weighted, rules, pooledVariance);
  if (sums.n < rules.minReliableSize || sums.n < 2) return { ...suppressedCell, n: sums.n };
  const low_reliability = sums.n < rules.lowReliabilitySize;
  const unweighted = { suppressed: false, low_reliability, weighted: false, n_eff: null };
  if (sums.noisyAtoms === 0) {
    const s = summarize(sums)!;
    return { n: s.n, mean: s.mean, sd: s.sd, se: s.se, ci_low: s.ciLow, ci_high: s.ciHigh, ...unweighted };
  }
  const mean = clampScore(sums.sum / sums.n);
  // Scores lie in 0–100, so no variance exceeds 2,500; the noise on the sum of squares could suggest otherwise.
  const variance = pooledVariance ?? varianceOf(sums);
  const se = Math.sqrt(variance / sums.n + noiseVarianceOfMean(mean, sums.n, sums.noisyAtoms));
  const half = tQuantile(0.975, sums.n - 1) * se;
  return { n: sums.n, mean, sd: Math.sqrt(variance), se, ci_low: mean - half, ci_high: mean + half, ...unweighted };
}

/**
 * A census-weighted figure: the privacy floor applies to the count, the reliability threshold to n_eff. Exact figures
 * have the linearized variance (src/stats/weighted.ts); protected ones the pooled spread over n_eff (Kish's
 * approximation: one window's noisy sums cannot give their own) plus the variance of the noise on Σwy and Σw.
 */
function weightedCellFrom(sums: ReleasedSums, w: ReleasedWeighted, rules: ReleaseRules, pooledVariance?: number): Cell {
  const exact = sums.noisyAtoms === 0 ? summarizeWeighted(w) : null;
  const nEff = exact ? exact.nEff : Math.min(sums.n, Math.max(1, (w.sumW * w.sumW) / w.sumW2));
  const n_eff = Math.round(nEff * 10) / 10;
  // Literals with every field in one order (no spreads): a trend view makes thousands of these.
  if (nEff < rules.minReliableSize || sums.n < 2)
    return { n: sums.n, mean: null, sd: null, se: null, ci_low: null, ci_high: null, suppressed: true, low_reliability: false, weighted: true, n_eff };
  const low_reliability = nEff < rules.lowReliabilitySize;
  if (exact)
    return {
      n: sums.n,
      mean: exact.mean,
      sd: exact.sd,
      se: exact.se,
      ci_low: exact.ciLow,
      ci_high: exact.ciHigh,
      suppressed: false,
      low_reliability,
      weighted: true,
      n_eff,
    };
  const mean = clampScore(w.sumWY / w.sumW);
  const variance = pooledVariance ?? varianceOf(sums);
  const se = Math.sqrt(variance / nEff + (w.noiseSumWY + mean * mean * w.noiseSumW) / (w.sumW * w.sumW));
  const half = tQuantile(0.975, sums.n - 1) * se;
  return { n: sums.n, mean, sd: Math.sqrt(variance), se, ci_low: mean - half, ci_high: mean + half, suppressed: false, low_reliability, weighted: true, n_eff };
}

/** The sample variance of released sums, within what 0–100 scores allow (noise could suggest otherwise). */
export function varianceOf(sums: ReleasedSums): number {
  if (sums.n < 2) return 0;
  return Math.min(2500, Math.max(0, (sums.sumSquares - (sums.sum * sums.sum) / sums.n) / (sums.n - 1)));
}

/** The n, mean and standard error of a shown cell, for differences; null when no mean is shown. */
export function groupOf(cell: Cell): { n: number; mean: number; se: number } | null {
  if (cell.suppressed || cell.n === null || cell.mean === null || cell.se === null) return null;
  return { n: cell.n, mean: cell.mean, se: cell.se };
}
