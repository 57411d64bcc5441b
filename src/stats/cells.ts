import { noiseVarianceOfMean, type ReleasedSums } from './perturbation.js';
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
}

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
  if (sums.n < rules.minReliableSize || sums.n < 2) return { ...suppressedCell, n: sums.n };
  const low_reliability = sums.n < rules.lowReliabilitySize;
  if (sums.noisyAtoms === 0) {
    const s = summarize(sums)!;
    return { n: s.n, mean: s.mean, sd: s.sd, se: s.se, ci_low: s.ciLow, ci_high: s.ciHigh, suppressed: false, low_reliability };
  }
  const mean = clampScore(sums.sum / sums.n);
  // Scores lie in 0–100, so no variance exceeds 2,500; the noise on the sum of squares could suggest otherwise.
  const variance = pooledVariance ?? varianceOf(sums);
  const se = Math.sqrt(variance / sums.n + noiseVarianceOfMean(mean, sums.n, sums.noisyAtoms));
  const half = tQuantile(0.975, sums.n - 1) * se;
  return { n: sums.n, mean, sd: Math.sqrt(variance), se, ci_low: mean - half, ci_high: mean + half, suppressed: false, low_reliability };
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
