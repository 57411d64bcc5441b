/** Calendar buckets as the routes document them (months, quarters, half-years, years), written out again. */
export type Period = 'month' | 'quarter' | 'half' | 'year';

const size: Record<Period, number> = { month: 1, quarter: 3, half: 6, year: 12 };
const utc = (day: string) => new Date(`${day}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

export function periodStart(day: string, kind: Period): string {
  const d = utc(day);
  return iso(new Date(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / size[kind]) * size[kind], 1)));
}

export function shiftPeriod(start: string, kind: Period, steps: number): string {
  const d = utc(start);
  d.setUTCMonth(d.getUTCMonth() + size[kind] * steps);
  return iso(d);
}

export function periodEnd(start: string, kind: Period): string {
  const d = utc(shiftPeriod(periodStart(start, kind), kind, 1));
  d.setUTCDate(d.getUTCDate() - 1);
  return iso(d);
}

/** Starts of every period from the one holding `from` to the one holding `to`. */
export function periodsBetween(from: string, to: string, kind: Period): string[] {
  const out: string[] = [];
  for (let p = periodStart(from, kind); p <= to; p = shiftPeriod(p, kind, 1)) out.push(p);
  return out;
}

/** The last day liaisons and the public may see: the end of the last complete month before `today`. */
export const lastCompleteMonthEnd = (today: string) => periodEnd(shiftPeriod(periodStart(today, 'month'), 'month', -1), 'month');
