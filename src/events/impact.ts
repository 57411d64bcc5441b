import type { Event, Neighborhood } from '../db/schema.js';
import type { ResultsQueries } from '../results/queries.js';
import { changeBetween, computeTrends, loadBase, pooledCell, type BaseSeries, type Change, type Trends } from '../results/trends.js';
import { bucketLabel, eventWindows } from '../stats/buckets.js';
import { groupOf, suppressedCell, type Cell, type CellRules } from '../stats/cells.js';
import { differenceInDifferences } from '../stats/difference.js';
import { subtractSums } from '../stats/summary.js';

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

/** Before and after cells of a series, hidden when any of the `guard` series' weeks in the window is hidden. */
function impactOf(series: BaseSeries, guard: BaseSeries, before: number[], after: number[], rules: CellRules): AreaImpact {
  const cell = (weeks: number[]) => (weeks.some((w) => guard.hidden[w]) ? suppressedCell : pooledCell(series, weeks, rules));
  const b = cell(before);
  const a = cell(after);
  return { before: b, after: a, difference: changeBetween(b, a) };
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
  const base = loadBase(queries, rules, { survey, measure, neighborhoods: input.neighborhoods, kind: 'week', from: windows.before.from, to: windows.after.to });
  // Weeks 0 … weeks−1 are before, week `weeks` is the event's own (left out), the rest after.
  const before = base.starts.flatMap((_, i) => (i < weeks ? [i] : []));
  const after = base.starts.flatMap((_, i) => (i > weeks ? [i] : []));
  const homeIndex = input.neighborhoods.findIndex((n) => n.id === event.neighborhoodId);
  const home = input.neighborhoods[homeIndex];

  let area: AreaImpact;
  let comparison: AreaImpact | null = null;
  let did: Change | null = null;
  if (!home) {
    area = impactOf(base.city, base.city, before, after, rules);
  } else {
    const own = base.parts[homeIndex];
    area = impactOf(own, own, before, after, rules);
    // The rest of the city is the other part of the city total: hidden whenever the neighborhood is.
    const others = { sums: base.city.sums.map((s, i) => subtractSums(s, own.sums[i])), hidden: own.hidden };
    comparison = impactOf(others, own, before, after, rules);
    const groups = [area.before, area.after, comparison.before, comparison.after].map(groupOf);
    const d = groups.every((g) => g !== null)
      ? differenceInDifferences({ before: groups[0], after: groups[1] }, { before: groups[2], after: groups[3] })
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
