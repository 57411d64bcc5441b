import type { Neighborhood } from '../db/schema.js';
import { bucketEnd, bucketLabel, bucketsBetween, shiftBucket, snapRange, type BucketKind } from '../stats/buckets.js';
import { cellFrom, clearsSampleFloor, groupOf, varianceOf, type Cell, type ReleaseRules } from '../stats/cells.js';
import { welchDifference } from '../stats/difference.js';
import { addReleased, atomSalt, emptyReleased, releaseAtom, type ReleasedSums } from '../stats/perturbation.js';
import type { LeftOut, SampleKind } from './filters.js';
import type { DayRange, MonthRow, MonthSums } from './sums.js';

export const CITY = 'city';

export interface BucketInfo {
  start: string;
  end: string;
  label: string;
}

export interface TrendSeries {
  /** A neighborhood's slug, or "city". */
  area: string;
  name: string;
  cells: Cell[];
}

/** The trend data the JSON API returns and the charts draw. */
export interface Trends {
  survey: string;
  measure: string;
  bucket: BucketKind;
  from: string;
  to: string;
  rolling: number;
  buckets: BucketInfo[];
  series: TrendSeries[];
  sample: TrendSample;
}

/** The sample figures come from, and the neighborhood-months the complementary rule left out of them (none for all responses). */
export interface TrendSample {
  kind: SampleKind;
  left_out: LeftOut[];
}

export interface Change {
  estimate: number;
  se: number;
  ci_low: number;
  ci_high: number;
  df: number;
}

export interface TrendRequest {
  survey: { id: number; slug: string };
  measure: string;
  bucket: BucketKind;
  from: string;
  to: string;
  /** The last day the asker may see: the whole-month range is reported to it, not past it (a month still filling). */
  latest: string;
  rolling: number;
  /** Every neighborhood: the city figure sums them all, whichever are shown. */
  neighborhoods: readonly Pick<Neighborhood, 'id' | 'slug' | 'name'>[];
  /** Slugs to return; all when null. */
  selected: ReadonlySet<string> | null;
  /** Census-weighted figures (the default where the survey has margins). */
  weighted: boolean;
  /** Which responses the figures count (src/results/filters.ts). */
  sample: SampleKind;
}

/** later − earlier with Welch's interval, only when both cells show a mean. */
export function changeBetween(earlier: Cell | undefined, later: Cell | undefined): Change | null {
  const a = earlier && groupOf(earlier);
  const b = later && groupOf(later);
  const d = a && b ? welchDifference(a, b) : null;
  return d && { estimate: d.estimate, se: d.se, ci_low: d.ciLow, ci_high: d.ciHigh, df: d.df };
}

/** Released sums per month of the release grid for every neighborhood (in request order) and the city. */
export interface MonthSeries {
  months: string[];
  parts: ReleasedSums[][];
  city: ReleasedSums[];
  /** For perturbed figures: the measure's variance over every atom loaded, used as each figure's spread. */
  variance: number | undefined;
  /** A sample's atoms left out of every figure (both parts must clear the privacy floor), by neighborhood then month. */
  leftOut: LeftOut[];
}

// A page computes several measures' series from the same sums: each measure's month rows are found once per sums
// (the cached month cells themselves when the sums are made of them).
const cellsBySums = new WeakMap<MonthSums, ReadonlyMap<string, readonly MonthRow[]>>();

/** The rows of one measure's month, keyed `measure|month`. */
function cellsOf(sums: MonthSums): ReadonlyMap<string, readonly MonthRow[]> {
  if (sums.cells) return sums.cells;
  let cells = cellsBySums.get(sums);
  if (!cells) {
    const grouped = new Map<string, MonthRow[]>();
    for (const row of sums.rows) {
      const key = `${row.measure}|${row.month}`;
      const rows = grouped.get(key);
      if (rows) rows.push(row);
      else grouped.set(key, [row]);
    }
    cellsBySums.set(sums, (cells = grouped));
  }
  return cells;
}

// The city's released sums of a cached month cell: the same for every view of it (its neighborhoods in the same order),
// so added up once per kind of figure rather than once per view (at 300 neighborhoods, most of a page's work).
const citySums = { exact: new WeakMap<readonly MonthRow[], ReleasedSums>(), perturbed: new WeakMap<readonly MonthRow[], ReleasedSums>() };

// An atom's release depends on its row alone (its measure gives the salt), and cached month cells are shared between
// requests: each cell's atoms are released once per kind of figure, not once per view.
const releasedCells = { exact: new WeakMap<readonly MonthRow[], ReleasedSums[]>(), perturbed: new WeakMap<readonly MonthRow[], ReleasedSums[]>() };

function releasedCell(cell: readonly MonthRow[], salt: number, perturb: boolean): readonly ReleasedSums[] {
  const memo = perturb ? releasedCells.perturbed : releasedCells.exact;
  let atoms = memo.get(cell);
  if (!atoms) memo.set(cell, (atoms = cell.map((row) => releaseAtom(row, salt, perturb))));
  return atoms;
}

/** Salt of a measure's neighborhood × month atoms. */
export const measureSalt = (measure: string) => atomSalt('measure', measure);

/**
 * Each neighborhood's released sums per month (its atoms, perturbed for protected figures) and the city's as their
 * sum, so every figure built from them is a union of whole atoms and carries their noise. `sums` must hold the
 * measure over every month of the request.
 */
export function monthSeries(sums: MonthSums, rules: ReleaseRules, request: Pick<TrendRequest, 'measure' | 'neighborhoods'> & DayRange): MonthSeries {
  const months = bucketsBetween(request.from, request.to, 'month');
  const range = snapRange(request.from, request.to, 'month');
  if (!sums.measures.includes(request.measure) || range.from < sums.from || range.to > sums.to)
    throw new Error(
      `The sums loaded (${sums.measures.join(', ')} from ${sums.from} to ${sums.to}) do not hold ${request.measure} from ${range.from} to ${range.to}.`,
    );
  const index = new Map(request.neighborhoods.map((n, j) => [n.id, j]));
  const idOf = new Map(request.neighborhoods.map((n) => [n.slug, n.id]));
  const parts = request.neighborhoods.map(() => months.map(() => emptyReleased));
  const salt = measureSalt(request.measure);
  const leftOut: LeftOut[] = [];
  const cells = cellsOf(sums);
  // Cells whose city sums can be taken from (or kept in) the memo: whole atoms of neighborhoods all in the request.
  const whole = months.map(() => sums.cells !== undefined);
  months.forEach((month, i) => {
    const cell = cells.get(`${request.measure}|${month}`) ?? [];
    const atoms = releasedCell(cell, salt, rules.perturb);
    cell.forEach((row, k) => {
      const j = index.get(row.neighborhoodId);
      if (j === undefined) whole[i] = false;
      // A sample's part is released with the same salt as the whole atom: the same records (no other part) give the same noise.
      else if (row.complement === undefined || clearsSampleFloor(row.n, row.complement, rules)) parts[j][i] = atoms[k];
      else leftOut.push({ area: request.neighborhoods[j].slug, month: row.month });
    });
  });
  leftOut.sort((a, b) => index.get(idOf.get(a.area)!)! - index.get(idOf.get(b.area)!)! || a.month.localeCompare(b.month));
  const memo = rules.perturb ? citySums.perturbed : citySums.exact;
  const city = months.map((month, i) => {
    const cell = whole[i] ? cells.get(`${request.measure}|${month}`) : undefined;
    let sum = cell && memo.get(cell);
    if (sum) return sum;
    sum = parts.reduce((acc, series) => addReleased(acc, series[i]), emptyReleased);
    if (cell) memo.set(cell, sum);
    return sum;
  });
  return {
    months,
    parts,
    city,
    leftOut,
    variance: rules.perturb
      ? varianceOf(
          pooled(
            city,
            months.map((_, i) => i),
          ),
        )
      : undefined,
  };
}

/**
 * The variance of scores within neighborhoods, pooled over every neighborhood and month loaded: the spread protected
 * figures use, since one window's noisy sum of squares is too noisy to give its own (0 when nothing is loaded).
 */
export function withinVariance(parts: readonly ReleasedSums[][]): number {
  let squares = 0;
  let df = 0;
  for (const series of parts) {
    const total = pooled(
      series,
      series.map((_, i) => i),
    );
    if (total.n < 2) continue;
    squares += varianceOf(total) * (total.n - 1);
    df += total.n - 1;
  }
  return df > 0 ? squares / df : 0;
}

/** The released sums of a union of months. */
export function pooled(series: readonly ReleasedSums[], indexes: readonly number[]): ReleasedSums {
  return indexes.reduce((acc, i) => addReleased(acc, series[i]), emptyReleased);
}

/** Indexes of the months inside [from, to]. */
export const monthsWithin = (months: readonly string[], from: string, to: string) => months.flatMap((m, i) => (m >= from && m <= to ? [i] : []));

/** The months a request covers (with its rolling lead-in) and, per reported bucket, the months it pools. */
export function trendWindows(request: Pick<TrendRequest, 'bucket' | 'rolling' | 'from' | 'to'>) {
  const { bucket, rolling } = request;
  const range = snapRange(request.from, request.to, bucket);
  const starts = bucketsBetween(range.from, range.to, bucket);
  // Months end with the request's last day, not its bucket's: a quarter still filling counts only the months it may show.
  const months = bucketsBetween(shiftBucket(range.from, bucket, 1 - rolling), request.to, 'month');
  // Each reported bucket pools the months from the start of its rolling window to its own end.
  const windows = starts.map((start) => monthsWithin(months, shiftBucket(start, bucket, 1 - rolling), bucketEnd(start, bucket)));
  return { range, starts, months, windows };
}

/** The months a request's trends read: its buckets with their rolling lead-in. */
export function trendMonths(request: Pick<TrendRequest, 'bucket' | 'rolling' | 'from' | 'to'>): DayRange {
  const { range, months } = trendWindows(request);
  return { from: months[0], to: range.to };
}

/**
 * Cells per bucket for the city and each neighborhood: every bucket (and rolling window of buckets) is a union of
 * whole months, each month's atom perturbed once, so no two views can be differenced below the privacy floor.
 */
export function computeTrends(sums: MonthSums, rules: ReleaseRules, request: TrendRequest): Trends {
  const { bucket, rolling } = request;
  const { range, starts, windows } = trendWindows(request);
  const { parts, city, variance, leftOut } = monthSeries(sums, rules, { ...request, ...trendMonths(request) });
  const series: TrendSeries[] = [{ area: CITY, name: 'City-wide', cells: windows.map((w) => cellFrom(pooled(city, w), rules, variance)) }];
  request.neighborhoods.forEach((n, j) => {
    if (!request.selected || request.selected.has(n.slug)) {
      series.push({ area: n.slug, name: n.name, cells: windows.map((w) => cellFrom(pooled(parts[j], w), rules, variance)) });
    }
  });
  return {
    survey: request.survey.slug,
    measure: request.measure,
    bucket,
    from: range.from,
    to: range.to < request.latest ? range.to : request.latest,
    rolling,
    buckets: starts.map((start) => ({ start, end: bucketEnd(start, bucket), label: bucketLabel(start, bucket) })),
    series,
    // Only months the figures count: a month still filling (in a bucket's sums, never in a figure) is not mentioned either.
    sample: { kind: sums.sample, left_out: leftOut.filter((l) => l.month <= request.to) },
  };
}
