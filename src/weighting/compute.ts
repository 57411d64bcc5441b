import type { WeightingReport, weightedRollups } from '../db/schema.js';
import { rake, type Margin } from '../stats/raking.js';

/** One response of a neighborhood-year as weighting reads it: its month, demographic answers and scores. */
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

export interface NeighborhoodYearWeights {
  weights: number[];
  rollups: WeightedRollupRow[];
  report: WeightingReport;
}

/**
 * Weights for one neighborhood's respondents over a year, and the weighted sums of every month × measure they give.
 * Raked to the neighborhood's margins when it has any; otherwise every response speaks for an equal share of the
 * neighborhood's population (or for itself when that is unknown), so city figures still sum neighborhoods fairly.
 */
export function weighNeighborhoodYear(
  place: { surveyId: number; neighborhoodId: number; population: number | null },
  respondents: readonly WeightingRespondent[],
  margins: readonly MarginQuestion[],
): NeighborhoodYearWeights {
  const n = respondents.length;
  const census: Margin[] = margins
    .map((m) => ({ name: m.code, targets: m.options.flatMap((o) => (o.count === null ? [] : [{ category: o.value, total: o.count }])) }))
    .filter((m) => m.targets.some((t) => t.total > 0));
  let weights: number[];
  let report: WeightingReport;
  if (census.length > 0 && n > 0) {
    const raked = rake({ margins: census, respondents: respondents.map((r) => census.map((m) => r.answers.get(m.name) ?? null)) });
    weights = raked.weights;
    report = {
      respondents: n,
      raked: true,
      margins: raked.margins.map((m) => ({ question: m.name, status: m.status, merged: m.merged, notAnswered: m.notAnswered })),
      converged: raked.converged,
      trimRounds: raked.trimRounds,
      largestWeightRatio: raked.largestWeightRatio,
      withinCap: raked.withinCap,
    };
  } else {
    const each = n > 0 ? (place.population ?? n) / n : 0;
    weights = respondents.map(() => each);
    report = { respondents: n, raked: false, margins: [], converged: true, trimRounds: 0, largestWeightRatio: 1, withinCap: true };
  }
  return { weights, rollups: weightedSumsByMonth(place, respondents, weights), report };
}

/** Sums of w, w², wy, wy², w²y, w²y² and the largest w per measure × month. */
function weightedSumsByMonth(
  place: { surveyId: number; neighborhoodId: number },
  respondents: readonly WeightingRespondent[],
  weights: readonly number[],
): WeightedRollupRow[] {
  const cells = new Map<string, WeightedRollupRow>();
  respondents.forEach((r, i) => {
    const w = weights[i];
    for (const [measure, y] of r.scores) {
      const key = `${measure}|${r.month}`;
      let c = cells.get(key);
      if (!c) {
        c = {
          surveyId: place.surveyId,
          neighborhoodId: place.neighborhoodId,
          measure,
          month: r.month,
          n: 0,
          sumW: 0,
          sumW2: 0,
          sumWY: 0,
          sumWY2: 0,
          sumW2Y: 0,
          sumW2Y2: 0,
          maxW: 0,
        };
        cells.set(key, c);
      }
      c.n += 1;
      c.sumW += w;
      c.sumW2 += w * w;
      c.sumWY += w * y;
      c.sumWY2 += w * y * y;
      c.sumW2Y += w * w * y;
      c.sumW2Y2 += w * w * y * y;
      c.maxW = Math.max(c.maxW, w);
    }
  });
  return [...cells.values()];
}
