import type { Neighborhood } from '../db/schema.js';
import type { DayRange, MonthSums } from '../results/sums.js';
import { monthSeries, pooled } from '../results/trends.js';
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

/** The months the needs count: this month and the two before it. */
export const needsMonths = (today: string): DayRange => ({ from: shiftBucket(bucketStart(today, 'month'), 'month', -2), to: today });

/**
 * Where outreach is needed: per active neighborhood, how many more trust responses the rolling 3-month window
 * ending this month needs before it shows a figure.
 */
export function outreachNeeds(sums: MonthSums, rules: ReleaseRules, input: { neighborhoods: readonly Neighborhood[]; today: string }): NeighborhoodNeed[] {
  const active = input.neighborhoods.filter((n) => !n.retired);
  const { parts, months } = monthSeries(sums, rules, { measure: TRUST_MEASURE, neighborhoods: active, ...needsMonths(input.today) });
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
