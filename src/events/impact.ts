import type { Event, Neighborhood } from '../db/schema.js';
import { localize } from '../i18n/index.js';
import type { SampleKind } from '../results/filters.js';
import { spanning, type DayRange, type MonthSums } from '../results/sums.js';
import {
  changeBetween,
  computeTrends,
  monthSeries,
  monthsWithin,
  pooled,
  trendMonths,
  type Change,
  type TrendRequest,
  type Trends,
  type TrendSample,
} from '../results/trends.js';
import { bucketLabel, bucketStart, eventWindows, shiftBucket } from '../stats/buckets.js';
import { cellFrom, groupOf, type Cell, type ReleaseRules } from '../stats/cells.js';
import { differenceInDifferences, differenceInDifferencesT, welchT } from '../stats/difference.js';
import { noiseVarianceOfMean, subtractReleased, type ReleasedSums } from '../stats/perturbation.js';
import { minimumDetectableChange, responsesToDetect, TARGET_CHANGE } from '../stats/power.js';

export const impactMonthOptions = [1, 3, 6] as const;
export const DEFAULT_IMPACT_MONTHS = 6;
/** Placebo windows needed before the verdict also asks that the change be unusual among them. */
export const MIN_PLACEBOS = 20;
// Months of history searched for placebo windows.
const PLACEBO_HISTORY_MONTHS = 36;

export interface AreaImpact {
  before: Cell;
  after: Cell;
  difference: Change | null;
}

export type VerdictKind = 'clear-rise' | 'clear-fall' | 'no-clear-change' | 'too-few';

export interface Verdict {
  kind: VerdictKind;
  /** The estimate the verdict rests on: the difference-in-differences for a neighborhood's event, else before/after. */
  estimate: Change | null;
  t: number | null;
  /** 2.80 × the estimate's standard error: the smallest change it detects with 80% power. */
  minimum_detectable: number | null;
  /** More responses in the after-window that would detect a 10-point change; null when none would. */
  responses_for_target: number | null;
  target: number;
  placebo: { windows: number; /** Share of placebo t-values the change's exceeds (absolute values). */ exceeded: number | null; enough: boolean };
}

/** The impact data the JSON API returns and the impact page draws. */
export interface Impact {
  event: { id: number; title: string; occurredOn: string; kind: Event['kind']; neighborhood: string | null; monthLabel: string };
  survey: string;
  measure: string;
  months: number;
  windows: ReturnType<typeof eventWindows>;
  /** Whole months of the after-window that are complete and counted so far. */
  after_months_available: number;
  /** The event's neighborhood, or the whole city for a city-wide event. */
  area: AreaImpact;
  /** All other neighborhoods over the same months (single-neighborhood events only). */
  comparison: AreaImpact | null;
  differenceInDifferences: Change | null;
  verdict: Verdict;
  /** The sample the figures come from and the neighborhood-months left out of them. */
  sample: TrendSample;
  monthly: Trends;
}

type EventLike = Pick<Event, 'occurredOn' | 'neighborhoodId'>;

const didOf = (t: { before: Cell; after: Cell }, c: { before: Cell; after: Cell }): Change | null => {
  const groups = [t.before, t.after, c.before, c.after].map(groupOf);
  if (groups.some((g) => g === null)) return null;
  const d = differenceInDifferences({ before: groups[0]!, after: groups[1]! }, { before: groups[2]!, after: groups[3]! });
  return d && { estimate: d.estimate, se: d.se, ci_low: d.ciLow, ci_high: d.ciHigh, df: d.df };
};

/**
 * t-values of the same estimate at every placebo window: same length, other months and neighborhoods, no event inside
 * (neighborhood-level shocks make respondent-level intervals too narrow; the placebos show how unusual a change is).
 */
function placeboTs(
  months: readonly string[],
  series: { parts: ReleasedSums[][]; city: ReleasedSums[]; variance: number | undefined },
  neighborhoods: readonly Pick<Neighborhood, 'id'>[],
  events: readonly EventLike[],
  rules: ReleaseRules,
  w: number,
  skip: { neighborhood: number | null; month: string },
  cityWide: boolean,
): number[] {
  const eventMonths = (neighborhoodId: number | null) =>
    new Set(events.filter((e) => e.neighborhoodId === null || e.neighborhoodId === neighborhoodId).map((e) => bucketStart(e.occurredOn, 'month')));
  const ts: number[] = [];
  const windowsAt = (c: number) => ({ before: Array.from({ length: w }, (_, k) => c - w + k), after: Array.from({ length: w }, (_, k) => c + 1 + k) });
  const quiet = (c: number, busy: Set<string>) => months.slice(c - w, c + w + 1).every((m) => !busy.has(m));
  // Only t-values are compared: no interval (a t quantile per window) is computed.
  const groupsOf = (...cells: Cell[]) => {
    const groups = cells.map(groupOf);
    return groups.every((g) => g !== null) ? groups : null;
  };
  const changeT = (before: Cell, after: Cell) => {
    const g = groupsOf(before, after);
    return g && welchT(g[0], g[1]);
  };
  const didT = (t: { before: Cell; after: Cell }, c: { before: Cell; after: Cell }) => {
    const g = groupsOf(t.before, t.after, c.before, c.after);
    return g && differenceInDifferencesT({ before: g[0], after: g[1] }, { before: g[2], after: g[3] });
  };
  // Each neighborhood's quiet months and the city's sums per window are found once, not once per neighborhood and window.
  const busyOf = new Map(neighborhoods.map((n) => [n.id, eventMonths(n.id)]));
  const cityBusy = new Set(events.map((e) => bucketStart(e.occurredOn, 'month')));
  for (let c = w; c + w < months.length; c++) {
    const { before, after } = windowsAt(c);
    const city = { before: pooled(series.city, before), after: pooled(series.city, after) };
    if (cityWide && months[c] !== skip.month && quiet(c, cityBusy)) {
      const t = changeT(cellFrom(city.before, rules), cellFrom(city.after, rules));
      if (t !== null) ts.push(t);
    }
    neighborhoods.forEach((n, j) => {
      if ((n.id === skip.neighborhood && months[c] === skip.month) || !quiet(c, busyOf.get(n.id)!)) return;
      const sums = { before: pooled(series.parts[j], before), after: pooled(series.parts[j], after) };
      const own = { before: cellFrom(sums.before, rules, series.variance), after: cellFrom(sums.after, rules, series.variance) };
      const rest = (window: 'before' | 'after') => cellFrom(subtractReleased(city[window], sums[window]), rules, series.variance);
      const t = cityWide ? changeT(own.before, own.after) : didT(own, { before: rest('before'), after: rest('after') });
      if (t !== null) ts.push(t);
    });
  }
  return ts;
}

/** A plain verdict: clear only when the interval excludes 0 and (with enough placebos) the change is unusual among them. */
function verdictOf(
  estimate: Change | null,
  placebos: readonly number[],
  afterWindow: { n: number; sd: number; mean: number; noisyAtoms: number },
  otherVariance: number,
): Verdict {
  const enough = placebos.length >= MIN_PLACEBOS;
  const t = estimate && estimate.se > 0 ? estimate.estimate / estimate.se : null;
  const exceeded = t === null || placebos.length === 0 ? null : placebos.filter((p) => Math.abs(t) > Math.abs(p)).length / placebos.length;
  const responses_for_target = responsesToDetect(TARGET_CHANGE, afterWindow, otherVariance, (n) =>
    noiseVarianceOfMean(afterWindow.mean, n, afterWindow.noisyAtoms),
  );
  const common = { estimate, t, target: TARGET_CHANGE, responses_for_target, placebo: { windows: placebos.length, exceeded, enough } };
  if (!estimate) return { kind: 'too-few', minimum_detectable: null, ...common };
  const minimum_detectable = minimumDetectableChange(estimate.se);
  const excludesZero = estimate.ci_low > 0 || estimate.ci_high < 0;
  const unusual = !enough || (exceeded !== null && exceeded >= 0.95);
  if (excludesZero && unusual) return { kind: estimate.estimate > 0 ? 'clear-rise' : 'clear-fall', minimum_detectable, ...common };
  return { kind: minimum_detectable > TARGET_CHANGE ? 'too-few' : 'no-clear-change', minimum_detectable, ...common };
}

export interface ImpactInput {
  event: Event;
  survey: { id: number; slug: string };
  measure: string;
  months: number;
  neighborhoods: readonly Pick<Neighborhood, 'id' | 'slug' | 'name'>[];
  /** Other events (for placebo windows without an event inside). */
  events: readonly EventLike[];
  /** The last day that may be shown. */
  latest: string;
  /** Census-weighted means (the sums hold weighted sums). */
  weighted: boolean;
  /** Which responses the figures count (the sums are that sample's). */
  sample: SampleKind;
}

/** The history placebo windows are searched in, and the monthly trend drawn around the event. */
function impactRanges(input: Pick<ImpactInput, 'event' | 'months' | 'latest'>) {
  const windows = eventWindows(input.event.occurredOn, input.months);
  // An event planned (or recorded) past the last released month reads nothing later than that month.
  const lastMonth = bucketStart(input.latest, 'month');
  const earlier = (a: string, b: string) => (a < b ? a : b);
  const history: DayRange = { from: earlier(shiftBucket(windows.eventMonth.from, 'month', -PLACEBO_HISTORY_MONTHS), lastMonth), to: input.latest };
  const monthly: Pick<TrendRequest, 'bucket' | 'from' | 'to' | 'rolling'> = {
    bucket: 'month',
    from: earlier(windows.before.from, lastMonth),
    to: earlier(windows.after.to, input.latest),
    rolling: 1,
  };
  return { windows, history, monthly };
}

/** The months an event's impact reads. */
export function impactMonths(input: Pick<ImpactInput, 'event' | 'months' | 'latest'>): DayRange {
  const { history, monthly } = impactRanges(input);
  return spanning(history, trendMonths(monthly));
}

/**
 * Before/after means around an event in whole months (its own month left out), their Welch difference and, for a
 * neighborhood's event, the difference-in-differences against every other neighborhood, with a verdict checked
 * against placebo windows. Only months up to `latest` are used: protected figures never include a month still filling.
 */
export function computeImpact(sums: MonthSums, rules: ReleaseRules, input: ImpactInput): Impact {
  const { event, survey, measure, months: w } = input;
  const { windows, history, monthly: monthlyRange } = impactRanges(input);
  const lastMonth = bucketStart(input.latest, 'month');
  const series = monthSeries(sums, rules, { measure, neighborhoods: input.neighborhoods, ...history });
  const before = monthsWithin(series.months, windows.before.from, windows.before.to);
  const after = monthsWithin(series.months, windows.after.from, windows.after.to).filter((i) => series.months[i] <= lastMonth);
  const homeIndex = input.neighborhoods.findIndex((n) => n.id === event.neighborhoodId);
  const home = input.neighborhoods[homeIndex];
  const areaSeries = home ? series.parts[homeIndex] : series.city;

  const impactOf = (sums: (idx: number[]) => ReleasedSums): AreaImpact => {
    const b = cellFrom(sums(before), rules, series.variance);
    const a = cellFrom(sums(after), rules, series.variance);
    return { before: b, after: a, difference: changeBetween(b, a) };
  };
  const area = impactOf((idx) => pooled(areaSeries, idx));
  const comparison = home ? impactOf((idx) => subtractReleased(pooled(series.city, idx), pooled(areaSeries, idx))) : null;
  const did = comparison ? didOf(area, comparison) : null;
  const estimate = home ? did : area.difference;

  const placebos = placeboTs(
    series.months,
    series,
    input.neighborhoods,
    input.events,
    rules,
    w,
    { neighborhood: event.neighborhoodId, month: windows.eventMonth.from },
    !home,
  );
  // What more responses after the event would buy: the after-window's own variance shrinks, the rest stays.
  const afterSums = pooled(areaSeries, after);
  const afterSd = area.after.sd ?? 25;
  const afterVariance = area.after.se !== null ? area.after.se ** 2 : 0;
  // Without a before figure, more responses after the event cannot help: the before-window is in the past.
  const beforeVariance = area.before.se !== null ? area.before.se ** 2 : area.before.n ? (afterSd * afterSd) / area.before.n : Infinity;
  const otherVariance = estimate ? estimate.se ** 2 - afterVariance : beforeVariance;
  const verdict = verdictOf(
    estimate,
    placebos,
    { n: Math.max(0, area.after.n ?? 0), sd: afterSd, mean: area.after.mean ?? 50, noisyAtoms: afterSums.noisyAtoms },
    otherVariance,
  );

  const monthly = computeTrends(sums, rules, {
    ...monthlyRange,
    latest: input.latest,
    survey,
    measure,
    neighborhoods: input.neighborhoods,
    selected: new Set(home ? [home.slug] : []),
    weighted: input.weighted,
    sample: input.sample,
  });
  if (home) monthly.series = monthly.series.filter((s) => s.area === home.slug);
  return {
    event: {
      id: event.id,
      title: localize(event.title, 'en'),
      occurredOn: event.occurredOn,
      kind: event.kind,
      neighborhood: home?.slug ?? null,
      monthLabel: bucketLabel(windows.eventMonth.from, 'month'),
    },
    survey: survey.slug,
    measure,
    months: w,
    windows,
    after_months_available: after.length,
    area,
    comparison,
    differenceInDifferences: did,
    verdict,
    // The monthly trend spans both windows, so its left-out neighborhood-months are every one these figures leave out.
    sample: monthly.sample,
    monthly,
  };
}
