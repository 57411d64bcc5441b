import type { WeightingReport, weightedRollups } from '../db/schema.js';
import { rake, type Margin } from '../stats/raking.js';
import { weightedSums } from '../stats/weighted.js';

/** Months a month's responses are raked with: it and the eleven before it. */
export const WINDOW_MONTHS = 12;

/** One response of a neighborhood-month's window as weighting reads it: its month, demographic answers and scores. */
export interface WeightingRespondent {
  id: number;
  month: string;
  /** Option value per demographic question code (absent or null: skipped). */
  answers: ReadonlyMap<string, string | null>;
  /** Score per measure on 0–100. */
  scores: ReadonlyMap<string, number>;
}

/** A demographic question's census counts, options in the survey's order (null: the census has no count for it). */
export interface MarginQuestion {
  code: string;
  options: readonly { value: string; count: number | null }[];
}

export type WeightedRollupRow = typeof weightedRollups.$inferInsert;

export interface NeighborhoodMonthWeights {
  /** The weight of each respondent of the month, in the order given. */
  weights: number[];
  rollups: WeightedRollupRow[];
  report: WeightingReport;
}

/**
 * Weights for one neighborhood's respondents of a month, raked together with those of the eleven months before it (a
 * month alone is too few to rake), then scaled so the month's respondents speak for the whole population: city figures
 * then add neighborhoods by their size, and every month of a pooled window counts alike. Without margins every response
 * speaks for an equal share of the neighborhood's population (or for itself when that is unknown).
 */
export function weighNeighborhoodMonth(
  place: { surveyId: number; neighborhoodId: number; month: string; population: number | null },
  window: readonly WeightingRespondent[],
  margins: readonly MarginQuestion[],
): NeighborhoodMonthWeights {
  const census: Margin[] = margins
    .map((m) => ({ name: m.code, targets: m.options.flatMap((o) => (o.count === null ? [] : [{ category: o.value, total: o.count }])) }))
    .filter((m) => m.targets.some((t) => t.total > 0));
  const inMonth = window.flatMap((r, i) => (r.month === place.month ? [i] : []));
  const month = inMonth.map((i) => window[i]);
  const base: WeightingReport = {
    respondents: window.length,
    raked: false,
    margins: [],
    converged: true,
    trimRounds: 0,
    largestWeightRatio: 1,
    withinCap: true,
  };
  // A month nobody answered in has nothing to weigh (and no report to show).
  if (month.length === 0) return { weights: [], rollups: [], report: { ...base, respondents: 0 } };
  if (census.length === 0) {
    const each = (place.population ?? month.length) / month.length;
    const weights = month.map(() => each);
    return { weights, rollups: monthlySums(place, month, weights), report: base };
  }
  const raked = rake({ margins: census, respondents: window.map((r) => census.map((m) => r.answers.get(m.name) ?? null)) });
  const population = census[0].targets.reduce((a, t) => a + t.total, 0);
  const monthTotal = inMonth.reduce((a, i) => a + raked.weights[i], 0);
  const weights = inMonth.map((i) => (raked.weights[i] * population) / monthTotal);
  return {
    weights,
    rollups: monthlySums(place, month, weights),
    report: {
      respondents: window.length,
      raked: true,
      margins: raked.margins.map((m) => ({ question: m.name, status: m.status, merged: m.merged, notAnswered: m.notAnswered })),
      converged: raked.converged,
      trimRounds: raked.trimRounds,
      largestWeightRatio: raked.largestWeightRatio,
      withinCap: raked.withinCap,
    },
  };
}

/** Sums of w, w², wy, wy², w²y, w²y² and the largest w per measure × month. */
function monthlySums(
  place: { surveyId: number; neighborhoodId: number },
  respondents: readonly WeightingRespondent[],
  weights: readonly number[],
): WeightedRollupRow[] {
  // Scores and weights per measure × month, summed the way every weighted figure is (src/stats/weighted.ts).
  const cells = new Map<string, { measure: string; month: string; scores: number[]; weights: number[] }>();
  respondents.forEach((r, i) => {
    for (const [measure, y] of r.scores) {
      const key = `${measure}|${r.month}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = { measure, month: r.month, scores: [], weights: [] }));
      cell.scores.push(y);
      cell.weights.push(weights[i]);
    }
  });
  return [...cells.values()].map((c) => ({
    surveyId: place.surveyId,
    neighborhoodId: place.neighborhoodId,
    measure: c.measure,
    month: c.month,
    ...weightedSums(c.scores, c.weights),
    maxW: Math.max(...c.weights),
  }));
}
