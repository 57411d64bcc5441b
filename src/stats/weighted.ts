import { differenceInDifferences, welchDifference, type Difference } from './difference.js';
import { tQuantile } from './t-distribution.js';

/**
 * Sufficient statistics of weighted scores: they add across neighborhoods and months, and give the weighted mean, its
 * linearized variance, the design effect and n_eff exactly, so figures can be released from sums as unweighted ones are.
 */
export interface WeightedSums {
  n: number;
  sumW: number;
  sumW2: number;
  sumWY: number;
  sumWY2: number;
  sumW2Y: number;
  sumW2Y2: number;
}

export interface WeightedSummary {
  /** Respondents (the count the privacy floor applies to). */
  n: number;
  /** Kish's effective sample size (Σw)²/Σw² (the size the reliability threshold applies to). */
  nEff: number;
  mean: number;
  /** Weighted standard deviation of the scores, n/(n−1)·Σw(y−ȳ)²/Σw; null with one respondent. */
  sd: number | null;
  /** Linearized variance of the mean, weights treated as fixed; null with one respondent, where it is undefined. */
  variance: number | null;
  se: number | null;
  /** Design effect: the variance over that of a simple random sample of n with replacement, sd²/n; null without spread. */
  deff: number | null;
  /** Kish's design effect of weighting alone, n/n_eff: what deff is when scores do not vary with weights. */
  kishDeff: number;
  ciLow: number | null;
  ciHigh: number | null;
}

export const emptyWeightedSums: WeightedSums = Object.freeze({ n: 0, sumW: 0, sumW2: 0, sumWY: 0, sumWY2: 0, sumW2Y: 0, sumW2Y2: 0 });

export function weightedSums(values: readonly number[], weights: readonly number[]): WeightedSums {
  if (values.length !== weights.length) throw new RangeError(`${weights.length} weights for ${values.length} values`);
  const s = { ...emptyWeightedSums, n: values.length };
  values.forEach((y, i) => {
    const w = weights[i];
    s.sumW += w;
    s.sumW2 += w * w;
    s.sumWY += w * y;
    s.sumWY2 += w * y * y;
    s.sumW2Y += w * w * y;
    s.sumW2Y2 += w * w * y * y;
  });
  return s;
}

export function addWeightedSums(a: WeightedSums, b: WeightedSums): WeightedSums {
  return {
    n: a.n + b.n,
    sumW: a.sumW + b.sumW,
    sumW2: a.sumW2 + b.sumW2,
    sumWY: a.sumWY + b.sumWY,
    sumWY2: a.sumWY2 + b.sumWY2,
    sumW2Y: a.sumW2Y + b.sumW2Y,
    sumW2Y2: a.sumW2Y2 + b.sumW2Y2,
  };
}

/**
 * Weighted mean with its Taylor-linearized variance, one stage and no strata, weights fixed:
 * V = n/(n−1)·Σeᵢ² with eᵢ = wᵢ(yᵢ − ȳ_w)/Σw, expanded into sums as Σwᵢ²(yᵢ − ȳ)² = Σw²y² − 2ȳΣw²y + ȳ²Σw².
 * It ignores the uncertainty of the raking itself. Null with no respondents (or no weight).
 */
export function summarizeWeighted(s: WeightedSums, confidence = 0.95): WeightedSummary | null {
  if (s.n === 0 || !(s.sumW > 0)) return null;
  const mean = s.sumWY / s.sumW;
  const nEff = (s.sumW * s.sumW) / s.sumW2;
  const kishDeff = s.n / nEff;
  if (s.n < 2) return { n: s.n, nEff, mean, sd: null, variance: null, se: null, deff: null, kishDeff, ciLow: null, ciHigh: null };
  const bessel = s.n / (s.n - 1);
  const spread = net(s.sumW2Y2 - 2 * mean * s.sumW2Y + mean * mean * s.sumW2, s.sumW2Y2);
  const variance = (bessel * spread) / (s.sumW * s.sumW);
  const sdSquared = (bessel * net(s.sumWY2 - mean * s.sumWY, s.sumWY2)) / s.sumW;
  const se = Math.sqrt(variance);
  const half = tQuantile(1 - (1 - confidence) / 2, s.n - 1) * se;
  return {
    n: s.n,
    nEff,
    mean,
    sd: Math.sqrt(sdSquared),
    variance,
    se,
    deff: sdSquared > 0 ? variance / (sdSquared / s.n) : null,
    kishDeff,
    ciLow: mean - half,
    ciHigh: mean + half,
  };
}

/** Sums cancel: a spread within rounding of the sum it came from is none, so scores that all agree give exactly 0. */
const net = (spread: number, scale: number) => (spread > 1e-10 * scale ? spread : 0);

/** What difference.ts needs; weighted means have design degrees of freedom n − 1, as unweighted ones do. */
const group = (s: WeightedSummary) => (s.se === null ? null : { n: s.n, mean: s.mean, se: s.se });

/** after − before of two independent weighted means (Welch–Satterthwaite df); null when a side has one respondent. */
export function weightedDifference(before: WeightedSummary, after: WeightedSummary, confidence = 0.95): Difference | null {
  const [b, a] = [group(before), group(after)];
  return b && a ? welchDifference(b, a, confidence) : null;
}

/** Difference-in-differences of four independent weighted means; null when any has one respondent. */
export function weightedDifferenceInDifferences(
  treated: { before: WeightedSummary; after: WeightedSummary },
  comparison: { before: WeightedSummary; after: WeightedSummary },
  confidence = 0.95,
): Difference | null {
  const [tb, ta, cb, ca] = [group(treated.before), group(treated.after), group(comparison.before), group(comparison.after)];
  return tb && ta && cb && ca ? differenceInDifferences({ before: tb, after: ta }, { before: cb, after: ca }, confidence) : null;
}
