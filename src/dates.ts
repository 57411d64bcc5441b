// Building an Intl formatter costs far more than formatting with it (submissions ask for the date each time, a page
// formats hundreds of figures): each is made once per locale and options.
const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function made<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let format = formats.get(key) as T | undefined;
  if (!format) {
    format = make();
    formats.set(key, format);
  }
  return format;
}

/** A date formatter for a locale and options, made once. */
export const dateFormat = (locale: string, options: Intl.DateTimeFormatOptions) =>
  made(`date|${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));

/** A number formatter for a locale and options, made once. */
export const numberFormat = (locale: string, options: Intl.NumberFormatOptions = {}) =>
  made(`number|${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));

// Zone offsets are whole seconds, so every instant in one second has the same date: format once per second.
const lastDates = new Map<string, { second: number; date: string }>();

/** The calendar date (YYYY-MM-DD) of an instant in an IANA time zone. */
export function dateIn(timeZone: string, instant: Date = new Date()): string {
  const second = Math.floor(instant.getTime() / 1000);
  const last = lastDates.get(timeZone);
  if (last?.second === second) return last.date;
  // en-CA formats as YYYY-MM-DD.
  const date = dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(instant);
  lastDates.set(timeZone, { second, date });
  return date;
}

/** True for a real calendar date written YYYY-MM-DD (so 2026-02-30 is false). */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The UTC instant (ISO) at which a calendar date begins in an IANA time zone. */
export function startOfDayIn(timeZone: string, isoDate: string): string {
  const guess = Date.parse(`${isoDate}T00:00:00Z`);
  // The zone's offset at that moment, read back from how the zone writes it; applied twice to settle across DST changes.
  const offsetAt = (instant: number) => {
    const parts = dateFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(new Date(instant))
      .reduce<Record<string, number>>((acc, p) => (p.type === 'literal' ? acc : { ...acc, [p.type]: Number(p.value) }), {});
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - instant;
  };
  const first = guess - offsetAt(guess);
  return new Date(guess - offsetAt(first)).toISOString();
}

/** Earlier than any response: a cached figure `over` days from here to its last counts every day it may. */
export const EARLIEST_DAY = '0001-01-01';
