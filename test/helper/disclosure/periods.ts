/** Calendar periods as the routes document them (ISO weeks from Monday, calendar months and quarters), written out again. */
export type Period = 'week' | 'month' | 'quarter';

const utc = (day: string) => new Date(`${day}T00:00:00Z`);
const iso = (d: Date) => d.toISOString().slice(0, 10);

export function periodStart(day: string, kind: Period): string {
  const d = utc(day);
  if (kind === 'week') {
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
    return iso(d);
  }
  const month = kind === 'month' ? d.getUTCMonth() : Math.floor(d.getUTCMonth() / 3) * 3;
  return iso(new Date(Date.UTC(d.getUTCFullYear(), month, 1)));
}

export function shiftPeriod(start: string, kind: Period, steps: number): string {
  const d = utc(start);
  if (kind === 'week') d.setUTCDate(d.getUTCDate() + 7 * steps);
  else d.setUTCMonth(d.getUTCMonth() + (kind === 'month' ? 1 : 3) * steps);
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
