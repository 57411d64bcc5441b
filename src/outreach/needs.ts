import type { Neighborhood } from '../db/schema.js';
import type { ResultsQueries } from '../results/queries.js';
import { loadMonths, pooled } from '../results/trends.js';
import { bucketStart, shiftBucket } from '../stats/buckets.js';
import type { ReleaseRules } from '../stats/cells.js';
import { TRUST_MEASURE } from '../stats/scoring.js';

export interface NeighborhoodNeed {
  name: string;
  /** Responses in this month and the two before it (perturbed for liaisons); null under the privacy floor. */
  counted: number | null;
  /** More responses needed for the rolling 3-month figure to reach the reliability threshold; null when the count is under the floor (it would give the count away). */
  needed: number | null;
}

/**
 * Where outreach is needed: per active neighborhood, how many more trust responses the rolling 3-month window
 * ending this month needs before it shows a figure.
 */
export function outreachNeeds(
  queries: ResultsQueries,
  rules: ReleaseRules,
  input: { survey: { id: number; slug: string }; neighborhoods: readonly Neighborhood[]; today: string },
): NeighborhoodNeed[] {
  const active = input.neighborhoods.filter((n) => !n.retired);
  const from = shiftBucket(bucketStart(input.today, 'month'), 'month', -2);
  const { parts, months } = loadMonths(queries, rules, { survey: input.survey, measure: TRUST_MEASURE, neighborhoods: active, from, to: input.today });
  return active
    .map((n, j) => {
      const count = Math.max(
        0,
        pooled(
          parts[j],
          months.map((_, i) => i),
        ).n,
      );
      const shown = count >= rules.minGroupSize;
      return { name: n.name, counted: shown ? count : null, needed: shown ? Math.max(0, rules.minReliableSize - count) : null };
    })
    .sort((a, b) => (b.needed ?? Infinity) - (a.needed ?? Infinity) || a.name.localeCompare(b.name));
}
