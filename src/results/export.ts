import type { Question } from '../db/schema.js';
import { clearsSampleFloor, type Cell, type ReleaseRules } from '../stats/cells.js';
import { meanOfItemMeans } from '../stats/item-means.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { MeasureOption } from './filters.js';
import { chicagoSplits } from './chicago-groups.js';
import type { AggregateSums } from './sums.js';
import { CITY, computeTrends, type TrendRequest, type Trends } from './trends.js';

// Chicago's Police Sentiment Scores name these measures; our per-respondent trust index is TRUST_INDEX, because
// Chicago's TRUST is the mean of the T_LISTEN and T_RESPECT item means. Other dimensions keep their own name.
const chicagoNames: Record<string, string> = { safety: 'SAFETY', [TRUST_MEASURE]: 'TRUST_INDEX', listening: 'T_LISTEN', respect: 'T_RESPECT' };
const chicagoOrder = ['safety', 'listening', 'respect', TRUST_MEASURE];

export const columnName = (measure: string) => chicagoNames[measure] ?? measure.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

const round = (v: number | null | undefined) => (v === null || v === undefined ? '' : v.toFixed(2));

interface Figure {
  mean: number | null;
  n: number | null;
  ci_low: number | null;
  ci_high: number | null;
}

const figureOf = (c: Cell | undefined): Figure => ({ mean: c?.mean ?? null, n: c?.n ?? null, ci_low: c?.ci_low ?? null, ci_high: c?.ci_high ?? null });

/** Chicago's TRUST for one area and period, from the two item cells and the index (for their covariance). */
function chicagoTrust(byMeasure: ReadonlyMap<string, Cell | undefined>): Figure {
  const [l, r, index] = [byMeasure.get('listening'), byMeasure.get('respect'), byMeasure.get(TRUST_MEASURE)];
  const t = l && r && index ? meanOfItemMeans(l, r, index) : null;
  const n = l?.n !== null && l?.n !== undefined && r?.n !== null && r?.n !== undefined ? Math.min(l.n, r.n) : null;
  return t ? { mean: t.mean, n, ci_low: t.ci_low, ci_high: t.ci_high } : { mean: null, n, ci_low: null, ci_high: null };
}

/** A sample's group rows without those of the atoms the complementary rule leaves out (a group's atom is part of its measure's). */
function keptGroups(sums: AggregateSums, rules: ReleaseRules): AggregateSums {
  if (sums.months.sample === 'all') return sums;
  const atom = (r: { measure: string; neighborhoodId: number; month: string }) => `${r.measure}|${r.neighborhoodId}|${r.month}`;
  const out = new Set(sums.months.rows.filter((r) => r.complement !== undefined && !clearsSampleFloor(r.n, r.complement, rules)).map(atom));
  return { ...sums, groups: sums.groups.filter((g) => !out.has(atom(g))) };
}

/**
 * Aggregates in the column shape of Chicago's Police Sentiment Scores (one row per area and period, scores 0–100),
 * plus what that dataset lacks: each score's n and 95% interval, and the window a rolling figure covers.
 * START_DATE and END_DATE are the period the figure covers. Demographic splits use Chicago's names.
 */
export function aggregatesCsv(
  sums: AggregateSums,
  rules: ReleaseRules,
  request: TrendRequest,
  measures: readonly MeasureOption[],
  questions: readonly Question[],
): string[][] {
  const trends = measures.map((m) => computeTrends(sums.months, rules, { ...request, measure: m.value, selected: null }));
  const byMeasure = new Map(trends.map((t) => [t.measure, t]));
  const ordered = [...trends].sort((a, b) => {
    const rank = (m: string) => (chicagoOrder.includes(m) ? chicagoOrder.indexOf(m) : chicagoOrder.length);
    return rank(a.measure) - rank(b.measure);
  });
  const hasTrust = byMeasure.has('listening') && byMeasure.has('respect') && byMeasure.has(TRUST_MEASURE);
  const names = [...ordered.map((t) => columnName(t.measure))];
  if (hasTrust) names.splice(1, 0, 'TRUST');
  const splits = chicagoSplits(keptGroups(sums, rules), rules, request, questions);
  const splitNames = splits.columns;
  const header = [
    'START_DATE',
    'END_DATE',
    'AREA',
    'WINDOW_MONTHS',
    ...names,
    ...names.flatMap((x) => [`N_${x}`, `${x}_CI_LOW`, `${x}_CI_HIGH`]),
    ...splitNames.flatMap((x) => [x, `N_${x}`, `${x}_CI_LOW`, `${x}_CI_HIGH`]),
  ];
  const first = ordered[0] as Trends | undefined;
  const rows: string[][] = [];
  if (first) {
    first.series.forEach((series, s) => {
      first.buckets.forEach((bucket, b) => {
        const cells = new Map(ordered.map((t) => [t.measure, t.series[s].cells[b]]));
        const figures = ordered.map((t) => figureOf(cells.get(t.measure)));
        if (hasTrust) figures.splice(1, 0, chicagoTrust(cells));
        const windowStart = rollingStart(bucket.start, first);
        const splitFigures = splitNames.map((name) => splits.figure(name, series.area, b));
        rows.push([
          windowStart,
          bucket.end,
          series.area === CITY ? 'CITYWIDE' : series.name,
          String(monthsBetween(windowStart, bucket.end)),
          ...figures.map((f) => round(f.mean)),
          ...figures.flatMap((f) => [f.n === null ? '' : String(f.n), round(f.ci_low), round(f.ci_high)]),
          ...splitFigures.flatMap((f) => [round(f.mean), f.n === null ? '' : String(f.n), round(f.ci_low), round(f.ci_high)]),
        ]);
      });
    });
  }
  return [header, ...rows];
}

/** The first day a (rolling) figure covers. */
function rollingStart(start: string, trends: Trends): string {
  const size = { month: 1, quarter: 3, half: 6, year: 12 }[trends.bucket];
  const date = new Date(`${start}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() - size * (trends.rolling - 1));
  return date.toISOString().slice(0, 10);
}

function monthsBetween(from: string, to: string): number {
  return (Number(to.slice(0, 4)) - Number(from.slice(0, 4))) * 12 + Number(to.slice(5, 7)) - Number(from.slice(5, 7)) + 1;
}
