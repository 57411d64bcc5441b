import type { Event, Neighborhood } from '../db/schema.js';
import type { ResultsQueries } from '../results/queries.js';
import { changeBetween, computeTrends, type Change, type Trends } from '../results/trends.js';
import { bucketLabel, eventWindows } from '../stats/buckets.js';
import { cellFrom, groupOf, partCells, type Cell, type CellRules } from '../stats/cells.js';
import { differenceInDifferences } from '../stats/difference.js';
import { addSums, emptySums, type Sums } from '../stats/summary.js';

export const impactWeekOptions = [4, 8, 12] as const;
export const DEFAULT_IMPACT_WEEKS = 8;

export interface AreaImpact {
  before: Cell;
  after: Cell;
  difference: Change | null;
}

/** The impact data the JSON API returns and the impact chart draws. */
export interface Impact {
  event: { id: number; title: string; occurredOn: string; kind: Event['kind']; neighborhood: string | null; weekLabel: string };
  survey: string;
  measure: string;
  weeks: number;
  windows: ReturnType<typeof eventWindows>;
  /** The event's neighborhood, or the whole city for a city-wide event. */
  area: AreaImpact;
  /** All other neighborhoods over the same weeks (single-neighborhood events only). */
  comparison: AreaImpact | null;
  differenceInDifferences: Change | null;
  weekly: Trends;
}

/**
 * Before/after means around an event in whole ISO weeks (its own week left out), their Welch difference and, for
 * a neighborhood's event, the difference-in-differences against every other neighborhood. Sums come from rollups.
 */
export function computeImpact(
  queries: ResultsQueries,
  rules: CellRules,
  input: {
    event: Event;
    survey: { id: number; slug: string };
    measure: string;
    weeks: number;
    neighborhoods: readonly Pick<Neighborhood, 'id' | 'slug' | 'name'>[];
  },
): Impact {
  const { event, survey, measure, weeks } = input;
  const windows = eventWindows(event.occurredOn, weeks);
  const rows = queries.windowRows({
    survey: survey.id,
    measure,
    beforeFrom: windows.before.from,
    beforeTo: windows.before.to,
    afterFrom: windows.after.from,
    afterTo: windows.after.to,
    neighborhood: event.neighborhoodId ?? -1,
  });
  const sums = (period: 'before' | 'after', inside: boolean) =>
    rows.filter((r) => r.period === period && Boolean(r.inside) === inside).reduce<Sums>((acc, r) => addSums(acc, r), emptySums);
  const home = input.neighborhoods.find((n) => n.id === event.neighborhoodId);

  let area: AreaImpact;
  let comparison: AreaImpact | null = null;
  let did: Change | null = null;
  if (event.neighborhoodId === null) {
    const before = cellFrom(addSums(sums('before', false), sums('before', true)), rules);
    const after = cellFrom(addSums(sums('after', false), sums('after', true)), rules);
    area = { before, after, difference: changeBetween(before, after) };
  } else {
    // The neighborhood and the rest are the two parts of the city: suppressed together.
    const [before, othersBefore] = partCells([sums('before', true), sums('before', false)], rules);
    const [after, othersAfter] = partCells([sums('after', true), sums('after', false)], rules);
    area = { before, after, difference: changeBetween(before, after) };
    comparison = { before: othersBefore, after: othersAfter, difference: changeBetween(othersBefore, othersAfter) };
    const groups = [before, after, othersBefore, othersAfter].map(groupOf);
    const d = groups.every((g) => g !== null)
      ? differenceInDifferences({ before: groups[0]!, after: groups[1]! }, { before: groups[2]!, after: groups[3]! })
      : null;
    did = d && { estimate: d.estimate, ci_low: d.ciLow, ci_high: d.ciHigh, df: d.df };
  }

  const weekly = computeTrends(queries, rules, {
    survey,
    measure,
    bucket: 'week',
    from: windows.before.from,
    to: windows.after.to,
    rolling: 1,
    neighborhoods: input.neighborhoods,
    selected: new Set(home ? [home.slug] : []),
  });
  if (home) weekly.series = weekly.series.filter((s) => s.area === home.slug);
  return {
    event: {
      id: event.id,
      title: event.title,
      occurredOn: event.occurredOn,
      kind: event.kind,
      neighborhood: home?.slug ?? null,
      weekLabel: bucketLabel(windows.eventWeek.from, 'week'),
    },
    survey: survey.slug,
    measure,
    weeks,
    windows,
    area,
    comparison,
    differenceInDifferences: did,
    weekly,
  };
}
