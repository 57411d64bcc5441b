import { tQuantile } from './t-distribution.js';
import type { Summary } from './summary.js';

export interface Difference {
  estimate: number;
  se: number;
  df: number;
  ciLow: number;
  ciHigh: number;
}

type Group = Pick<Summary, 'n' | 'mean' | 'se'>;
type Terms = readonly { sign: 1 | -1; group: Group }[];

/** A sum of independent signed means and its standard error; null when a group has fewer than two values. */
function estimateOf(terms: Terms): { estimate: number; variances: number[]; variance: number; se: number } | null {
  if (terms.some((t) => t.group.n < 2)) return null;
  const estimate = terms.reduce((acc, t) => acc + t.sign * t.group.mean, 0);
  const variances = terms.map((t) => t.group.se * t.group.se);
  const variance = variances.reduce((a, b) => a + b, 0);
  return { estimate, variances, variance, se: Math.sqrt(variance) };
}

/** Interval for a sum of independent signed means, with generalised Welch–Satterthwaite degrees of freedom. */
function combine(terms: Terms, confidence: number): Difference | null {
  const sum = estimateOf(terms);
  if (!sum) return null;
  const { estimate, variances, variance, se } = sum;
  const denominator = variances.reduce((acc, v, i) => acc + (v * v) / (terms[i].group.n - 1), 0);
  // With zero variance in every group there is no uncertainty to spread; any df gives a zero-width interval.
  const df = denominator === 0 ? terms.reduce((acc, t) => acc + t.group.n - 1, 0) : (variance * variance) / denominator;
  const half = tQuantile(1 - (1 - confidence) / 2, df) * se;
  return { estimate, se, df, ciLow: estimate - half, ciHigh: estimate + half };
}

/** estimate / se of the sum, without its interval (placebo windows need only the t-value); null without one. */
function tOf(terms: Terms): number | null {
  const sum = estimateOf(terms);
  return sum && sum.se > 0 ? sum.estimate / sum.se : null;
}

const beforeAfter = (before: Group, after: Group): Terms => [
  { sign: 1, group: after },
  { sign: -1, group: before },
];

const fourGroups = (treated: { before: Group; after: Group }, comparison: { before: Group; after: Group }): Terms => [
  { sign: 1, group: treated.after },
  { sign: -1, group: treated.before },
  { sign: -1, group: comparison.after },
  { sign: 1, group: comparison.before },
];

/** after − before with Welch's 95% interval (Welch–Satterthwaite df); null when a group has fewer than two values. */
export function welchDifference(before: Group, after: Group, confidence = 0.95): Difference | null {
  return combine(beforeAfter(before, after), confidence);
}

/** The t-value of after − before (estimate over its standard error), or null as welchDifference would give none. */
export const welchT = (before: Group, after: Group): number | null => tOf(beforeAfter(before, after));

/**
 * Difference-in-differences: (after − before) in the treated area minus (after − before) in the comparison areas.
 * Its variance is the sum of the four variances of the means; df by the generalised Satterthwaite formula.
 */
export function differenceInDifferences(
  treated: { before: Group; after: Group },
  comparison: { before: Group; after: Group },
  confidence = 0.95,
): Difference | null {
  return combine(fourGroups(treated, comparison), confidence);
}

/** The t-value of the difference-in-differences, or null as differenceInDifferences would give none. */
export const differenceInDifferencesT = (treated: { before: Group; after: Group }, comparison: { before: Group; after: Group }): number | null =>
  tOf(fourGroups(treated, comparison));
