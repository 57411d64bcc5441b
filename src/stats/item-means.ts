import type { Cell } from './cells.js';
import { tQuantile } from './t-distribution.js';

export interface ItemMeansFigure {
  mean: number;
  se: number;
  ci_low: number;
  ci_high: number;
}

/**
 * Chicago's TRUST: the mean of two item means (T_LISTEN, T_RESPECT). Their covariance comes from the per-respondent
 * index of the same two items: Var(index) = (Var a + Var b + 2 Cov)/4, so Cov = 2 Var(index) − (Var a + Var b)/2,
 * and the item means share it over the respondents who answered both (the index's n).
 */
export function meanOfItemMeans(a: Cell, b: Cell, index: Cell): ItemMeansFigure | null {
  if (a.suppressed || b.suppressed || a.mean === null || b.mean === null || a.se === null || b.se === null || a.n === null || b.n === null) return null;
  const covariance =
    index.sd !== null && index.n !== null && a.sd !== null && b.sd !== null
      ? ((2 * index.sd ** 2 - (a.sd ** 2 + b.sd ** 2) / 2) * Math.min(index.n, a.n, b.n)) / (a.n * b.n)
      : 0;
  const variance = Math.max(0, (a.se ** 2 + b.se ** 2 + 2 * covariance) / 4);
  const se = Math.sqrt(variance);
  const mean = (a.mean + b.mean) / 2;
  const half = tQuantile(0.975, Math.min(a.n, b.n) - 1) * se;
  return { mean, se, ci_low: mean - half, ci_high: mean + half };
}
