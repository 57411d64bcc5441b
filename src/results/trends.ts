import type { Neighborhood } from '../db/schema.js';
import { bucketEnd, bucketLabel, bucketsBetween, rollingSums, shiftBucket, snapRange, type BucketKind } from '../stats/buckets.js';
import { cellFrom, groupOf, partCells, type Cell, type CellRules } from '../stats/cells.js';
import { welchDifference } from '../stats/difference.js';
import { addSums, emptySums, type Sums } from '../stats/summary.js';
import type { ResultsQueries } from './queries.js';

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
}

export interface Change {
  estimate: number;
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
  rolling: number;
  /** Every neighborhood: all take part in complementary suppression, whichever are shown. */
  neighborhoods: readonly Pick<Neighborhood, 'id' | 'slug' | 'name'>[];
  /** Slugs to return; all when null. */
  selected: ReadonlySet<string> | null;
}

/** later − earlier with Welch's interval, only when both cells are shown. */
export function changeBetween(earlier: Cell | undefined, later: Cell | undefined): Change | null {
  const a = earlier && groupOf(earlier);
  const b = later && groupOf(later);
  const d = a && b ? welchDifference(a, b) : null;
  return d && { estimate: d.estimate, ci_low: d.ciLow, ci_high: d.ciHigh, df: d.df };
}

/**
 * Per-bucket cells for the city and each neighborhood from the daily rollups (grouped in SQL). Rolling windows
 * pool the previous buckets' sums; each bucket's neighborhoods get complementary suppression against the city.
 */
export function computeTrends(queries: ResultsQueries, rules: CellRules, request: TrendRequest): Trends {
  const { bucket, rolling } = request;
  const range = snapRange(request.from, request.to, bucket);
  const starts = bucketsBetween(range.from, range.to, bucket);
  const fetchFrom = shiftBucket(range.from, bucket, 1 - rolling);
  const fetched = bucketsBetween(fetchFrom, range.to, bucket);
  const position = new Map(fetched.map((start, i) => [start, i]));

  const raw = new Map<number, Sums[]>(request.neighborhoods.map((n) => [n.id, fetched.map(() => emptySums)]));
  for (const row of queries.trendRows(bucket, { survey: request.survey.id, measure: request.measure, from: fetchFrom, to: range.to })) {
    const series = raw.get(row.neighborhoodId);
    const i = position.get(row.bucket);
    if (series && i !== undefined) series[i] = addSums(series[i], row);
  }
  const rolled = request.neighborhoods.map((n) => rollingSums(raw.get(n.id)!, rolling));
  const city = starts.map((_, i) => rolled.reduce((acc, sums) => addSums(acc, sums[i]), emptySums));
  const byBucket = starts.map((_, i) => partCells(rolled.map((sums) => sums[i]), rules));

  const series: TrendSeries[] = [{ area: CITY, name: 'City-wide', cells: city.map((sums) => cellFrom(sums, rules)) }];
  request.neighborhoods.forEach((n, j) => {
    if (!request.selected || request.selected.has(n.slug)) series.push({ area: n.slug, name: n.name, cells: byBucket.map((cells) => cells[j]) });
  });
  return {
    survey: request.survey.slug,
    measure: request.measure,
    bucket,
    from: range.from,
    to: range.to,
    rolling,
    buckets: starts.map((start) => ({ start, end: bucketEnd(start, bucket), label: bucketLabel(start, bucket) })),
    series,
  };
}
