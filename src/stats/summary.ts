import { tQuantile } from './t-distribution.js';

/** Sufficient statistics of a group of scores: what rollups store and what every figure is computed from. */
export interface Sums {
  n: number;
  sum: number;
  sumSquares: number;
}

export interface Summary {
  n: number;
  mean: number;
  sd: number;
  /** Standard error of the mean. */
  se: number;
  ciLow: number;
  ciHigh: number;
}

export function sumsOf(values: readonly number[]): Sums {
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
  }
  return { n: values.length, sum, sumSquares };
}

/** Mean, standard deviation and 95% t interval from sums; null when fewer than two values make an interval impossible. */
export function summarize({ n, sum, sumSquares }: Sums, confidence = 0.95): Summary | null {
  if (n < 2) return null;
  const mean = sum / n;
  // Clamp tiny negative variances that come from floating-point cancellation.
  const variance = Math.max(0, (sumSquares - (sum * sum) / n) / (n - 1));
  const sd = Math.sqrt(variance);
  const se = sd / Math.sqrt(n);
  const half = tQuantile(1 - (1 - confidence) / 2, n - 1) * se;
  return { n, mean, sd, se, ciLow: mean - half, ciHigh: mean + half };
}

export function addSums(a: Sums, b: Sums): Sums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
}

export function subtractSums(a: Sums, b: Sums): Sums {
  return { n: a.n - b.n, sum: a.sum - b.sum, sumSquares: a.sumSquares - b.sumSquares };
}

export const emptySums: Sums = Object.freeze({ n: 0, sum: 0, sumSquares: 0 });
