import { stringify } from 'csv-stringify/sync';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { Cell } from '../stats/cells.js';
import { CITY, type Trends } from './trends.js';

// Chicago's Police Sentiment Scores name these measures; other dimensions keep their own name in capitals.
const chicagoNames: Record<string, string> = { safety: 'SAFETY', [TRUST_MEASURE]: 'TRUST', listening: 'T_LISTEN', respect: 'T_RESPECT' };
const chicagoOrder = ['safety', TRUST_MEASURE, 'listening', 'respect'];

export const columnName = (measure: string) => chicagoNames[measure] ?? measure.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

const round = (v: number | null) => (v === null ? '' : v.toFixed(2));

/**
 * Aggregates in the column shape of Chicago's Police Sentiment Scores (one row per area and bucket, scores 0–100),
 * plus what that dataset lacks: each score's n and 95% interval. Suppressed cells are empty.
 */
export function aggregatesCsv(trendsByMeasure: readonly Trends[], options: { bom: boolean }): string {
  const ordered = [...trendsByMeasure].sort((a, b) => {
    const rank = (m: string) => (chicagoOrder.includes(m) ? chicagoOrder.indexOf(m) : chicagoOrder.length);
    return rank(a.measure) - rank(b.measure);
  });
  const names = ordered.map((t) => columnName(t.measure));
  const header = ['START_DATE', 'END_DATE', 'AREA', ...names, ...names.flatMap((x) => [`N_${x}`, `${x}_CI_LOW`, `${x}_CI_HIGH`])];
  const first = ordered[0];
  const rows: string[][] = [];
  if (first) {
    first.series.forEach((series, s) => {
      first.buckets.forEach((bucket, b) => {
        const cells: Cell[] = ordered.map((t) => t.series[s].cells[b]);
        rows.push([
          bucket.start,
          bucket.end,
          series.area === CITY ? 'CITYWIDE' : series.name,
          ...cells.map((c) => round(c.mean)),
          ...cells.flatMap((c) => [c.n === null ? '' : String(c.n), round(c.ci_low), round(c.ci_high)]),
        ]);
      });
    });
  }
  return stringify([header, ...rows], { escape_formulas: true, record_delimiter: '\r\n', bom: options.bom });
}
