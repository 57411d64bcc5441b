import type { Neighborhood } from '../db/schema.js';
import { bucketEnd, bucketLabel, bucketsBetween, shiftBucket, snapRange, type BucketKind } from '../stats/buckets.js';
import { cellFrom, groupOf, partCells, suppressedCell, type Cell, type CellRules } from '../stats/cells.js';
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

/** The finest buckets every view is checked against: weeks for weekly views, months for months and quarters. */
export const baseKind = (kind: BucketKind): BaseKind => (kind === 'week' ? 'week' : 'month');
export type BaseKind = 'week' | 'month';

/** A series' sums per base bucket, and whether each base bucket is hidden in the plain (non-pooled) view. */
export interface BaseSeries {
  sums: Sums[];
  hidden: boolean[];
}

/**
 * Hidden flags of base buckets for every neighborhood (complementary suppression within each bucket) and the city.
 * A bucket with no responses reveals nothing, so it never counts as hidden.
 */
export function baseSeries(raw: readonly Sums[][], buckets: number, rules: CellRules): { parts: BaseSeries[]; city: BaseSeries } {
  const parts = raw.map((sums) => ({ sums, hidden: sums.map(() => false) }));
  const city: BaseSeries = { sums: [], hidden: [] };
  for (let b = 0; b < buckets; b++) {
    const cells = partCells(
      raw.map((sums) => sums[b]),
      rules,
    );
    cells.forEach((cell, j) => (parts[j].hidden[b] = cell.suppressed && raw[j][b].n > 0));
    const total = raw.reduce((acc, sums) => addSums(acc, sums[b]), emptySums);
    city.sums.push(total);
    city.hidden.push(total.n > 0 && total.n < rules.minCellSize);
  }
  return { parts, city };
}

/**
 * A pooled cell (a quarter, a rolling window, an event window) over base buckets: shown only when none of its base
 * buckets is hidden on its own, so no pooled figure minus shown ones can reveal a hidden group by subtraction.
 */
export function pooledCell(series: BaseSeries, indexes: readonly number[], rules: CellRules): Cell {
  if (indexes.some((b) => series.hidden[b])) return suppressedCell;
  return cellFrom(
    indexes.reduce((acc, b) => addSums(acc, series.sums[b]), emptySums),
    rules,
  );
}

/** Rollup sums per base bucket (grouped in SQL) for every neighborhood and the city, with their hidden flags. */
export function loadBase(
  queries: ResultsQueries,
  rules: CellRules,
  request: Pick<TrendRequest, 'survey' | 'measure' | 'neighborhoods'> & { kind: BucketKind; from: string; to: string },
) {
  const starts = bucketsBetween(request.from, request.to, request.kind);
  const position = new Map(starts.map((start, i) => [start, i]));
  const raw = new Map<number, Sums[]>(request.neighborhoods.map((n) => [n.id, starts.map(() => emptySums)]));
  for (const row of queries.trendRows(request.kind, { survey: request.survey.id, measure: request.measure, from: request.from, to: request.to })) {
    const series = raw.get(row.neighborhoodId);
    const i = position.get(row.bucket);
    if (series && i !== undefined) series[i] = addSums(series[i], row);
  }
  return {
    starts,
    ...baseSeries(
      request.neighborhoods.map((n) => raw.get(n.id)!),
      starts.length,
      rules,
    ),
  };
}

/**
 * Per-bucket cells for the city and each neighborhood from the daily rollups, grouped in SQL by week or month.
 * Quarters and rolling windows pool those base buckets; each base bucket's neighborhoods get complementary
 * suppression against the city, and a pooled cell is hidden when any of its base buckets is.
 */
export function computeTrends(queries: ResultsQueries, rules: CellRules, request: TrendRequest): Trends {
  const { bucket, rolling } = request;
  const range = snapRange(request.from, request.to, bucket);
  const starts = bucketsBetween(range.from, range.to, bucket);
  const fetchFrom = shiftBucket(range.from, bucket, 1 - rolling);
  const { starts: baseStarts, parts, city } = loadBase(queries, rules, { ...request, kind: baseKind(bucket), from: fetchFrom, to: range.to });
  // Each reported bucket pools the base buckets from the start of its rolling window to its own end.
  const windows = starts.map((start) => {
    const from = shiftBucket(start, bucket, 1 - rolling);
    const to = bucketEnd(start, bucket);
    return baseStarts.flatMap((b, i) => (b >= from && b <= to ? [i] : []));
  });

  const series: TrendSeries[] = [{ area: CITY, name: 'City-wide', cells: windows.map((w) => pooledCell(city, w, rules)) }];
  request.neighborhoods.forEach((n, j) => {
    if (!request.selected || request.selected.has(n.slug))
      series.push({ area: n.slug, name: n.name, cells: windows.map((w) => pooledCell(parts[j], w, rules)) });
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
