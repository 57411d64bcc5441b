import type { Question } from '../db/schema.js';
import { cellFrom, type Cell, type ReleaseRules } from '../stats/cells.js';
import { meanOfItemMeans } from '../stats/item-means.js';
import { addReleased, atomSalt, emptyReleased, releaseAtom, type ReleasedSums } from '../stats/perturbation.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { AggregateSums, DayRange } from './sums.js';
import { CITY, monthSeries, pooled, trendWindows, type TrendRequest } from './trends.js';

/**
 * Chicago's demographic splits (`T_RESPECT_AGE_LOW` …) from the standard survey's questions: each Chicago group is a
 * union of our options (the mapping is in docs/method.md); "another gender", "prefer not to say" and skipped
 * answers are in no split.
 */
export const chicagoGroups = [
  { column: 'AGE_LOW', question: 'age_band', options: ['18_24', '25_34'] },
  { column: 'AGE_MEDIUM', question: 'age_band', options: ['35_44', '45_54', '55_64'] },
  { column: 'AGE_HIGH', question: 'age_band', options: ['65_plus'] },
  { column: 'SEX_FEMALE', question: 'gender', options: ['woman'] },
  { column: 'SEX_MALE', question: 'gender', options: ['man'] },
  { column: 'RACE_AFRICAN_AMERICAN', question: 'race_ethnicity', options: ['black'] },
  { column: 'RACE_ASIAN', question: 'race_ethnicity', options: ['asian'] },
  { column: 'RACE_HISPANIC', question: 'race_ethnicity', options: ['hispanic'] },
  { column: 'RACE_WHITE', question: 'race_ethnicity', options: ['white'] },
  { column: 'RACE_OTHER', question: 'race_ethnicity', options: ['native', 'other'] },
] as const;

const splitMeasures = [
  { measure: 'safety', column: 'SAFETY' },
  { measure: 'listening', column: 'T_LISTEN' },
  { measure: 'respect', column: 'T_RESPECT' },
] as const;

interface SplitFigure {
  mean: number | null;
  n: number | null;
  ci_low: number | null;
  ci_high: number | null;
}

const none: SplitFigure = { mean: null, n: null, ci_low: null, ci_high: null };

/** The measures and days the splits count (none without the standard survey's choice questions). */
export function splitsNeed(request: TrendRequest, questions: readonly Question[]): { measures: string[]; range: DayRange } {
  const codes = new Set(questions.filter((q) => q.kind === 'choice').map((q) => q.code));
  const grouped = chicagoGroups.some((g) => codes.has(g.question));
  return { measures: grouped ? [...splitMeasures.map((m) => m.measure), TRUST_MEASURE] : [], range: { from: trendWindows(request).months[0], to: request.to } };
}

/**
 * Per Chicago group and measure, released sums per month for every neighborhood and the city, from the same group
 * atoms (same salt) the neighborhood page perturbs, so the two never disagree about one atom's noise.
 */
export function chicagoSplits(sums: AggregateSums, rules: ReleaseRules, request: TrendRequest, questions: readonly Question[]) {
  const codes = new Set(questions.filter((q) => q.kind === 'choice').map((q) => q.code));
  const groups = chicagoGroups.filter((g) => codes.has(g.question));
  const { months, windows } = trendWindows(request);
  const measures = new Set(questions.length > 0 ? [...splitMeasures.map((m) => m.measure), TRUST_MEASURE] : []);
  // cells[measure][group column][area] = cells per bucket
  const cells = new Map<string, Map<string, Map<string, Cell[]>>>();
  if (groups.length > 0 && months.length > 0) {
    for (const measure of measures) {
      const byGroup = new Map<string, Map<string, Cell[]>>();
      const city = new Map(groups.map((g) => [g.column, months.map(() => emptyReleased)]));
      const { variance } = monthSeries(sums.months, rules, { ...request, measure, from: months[0], to: request.to });
      for (const n of request.neighborhoods) {
        const rows = sums.groups.filter((r) => r.measure === measure && r.neighborhoodId === n.id);
        for (const g of groups) {
          const perMonth: ReleasedSums[] = months.map(() => emptyReleased);
          for (const r of rows) {
            const i = months.indexOf(r.month);
            if (i === -1 || r.question !== g.question || !(g.options as readonly string[]).includes(r.value)) continue;
            perMonth[i] = addReleased(perMonth[i], releaseAtom(r, atomSalt('group', measure, r.question, r.value), rules.perturb));
          }
          const cityMonths = city.get(g.column)!;
          perMonth.forEach((sums, i) => (cityMonths[i] = addReleased(cityMonths[i], sums)));
          const areas = byGroup.get(g.column) ?? new Map<string, Cell[]>();
          areas.set(
            n.slug,
            windows.map((w) => cellFrom(pooled(perMonth, w), rules, variance)),
          );
          byGroup.set(g.column, areas);
        }
      }
      for (const g of groups)
        byGroup.get(g.column)?.set(
          CITY,
          windows.map((w) => cellFrom(pooled(city.get(g.column)!, w), rules, variance)),
        );
      cells.set(measure, byGroup);
    }
  }
  const columns = groups.length === 0 ? [] : [...splitMeasures.map((m) => m.column), 'TRUST'].flatMap((m) => groups.map((g) => `${m}_${g.column}`));
  const cellOf = (measure: string, group: string, area: string, b: number) => cells.get(measure)?.get(group)?.get(area)?.[b];
  return {
    columns,
    figure(name: string, area: string, b: number): SplitFigure {
      const group = groups.find((g) => name.endsWith(`_${g.column}`));
      if (!group) return none;
      const prefix = name.slice(0, -group.column.length - 1);
      if (prefix === 'TRUST') {
        const [l, r, index] = ['listening', 'respect', TRUST_MEASURE].map((m) => cellOf(m, group.column, area, b));
        const t = l && r && index ? meanOfItemMeans(l, r, index) : null;
        const n = l?.n != null && r?.n != null ? Math.min(l.n, r.n) : null;
        return t ? { mean: t.mean, n, ci_low: t.ci_low, ci_high: t.ci_high } : { ...none, n };
      }
      const measure = splitMeasures.find((m) => m.column === prefix)?.measure;
      const c = measure ? cellOf(measure, group.column, area, b) : undefined;
      return c ? { mean: c.mean, n: c.n, ci_low: c.ci_low, ci_high: c.ci_high } : none;
    },
  };
}
