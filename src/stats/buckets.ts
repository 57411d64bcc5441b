/**
 * The release grid is the calendar month: every figure covers whole months, so views never mix grids that do not
 * nest (weeks and months did, and their difference revealed small groups).
 */
export const bucketKinds = ['month', 'quarter', 'half', 'year'] as const;
export type BucketKind = (typeof bucketKinds)[number];

/** Months in one bucket of each kind. */
export const monthsIn: Record<BucketKind, number> = { month: 1, quarter: 3, half: 6, year: 12 };

// Plain string arithmetic on YYYY-MM-DD: trends call these for every month of every cell, and Date is slow at it.
const yearOf = (day: string) => Number(day.slice(0, 4));
const monthOf = (day: string) => Number(day.slice(5, 7)) - 1;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
/** The 1st of a month counted from January of `year` (months may run past December or before January). */
function firstOfMonth(year: number, month: number): string {
  const y = year + Math.floor(month / 12);
  return `${pad(y, 4)}-${pad(month - Math.floor(month / 12) * 12 + 1, 2)}-01`;
}
const daysIn = (year: number, month: number) =>
  month === 1 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month];

/** The first day of the bucket holding `day`: the 1st of its month, quarter, half-year or year. */
export function bucketStart(day: string, kind: BucketKind): string {
  const size = monthsIn[kind];
  return firstOfMonth(yearOf(day), Math.floor(monthOf(day) / size) * size);
}

/** The first day of the bucket `steps` buckets after (or before, when negative) the one starting on `start`. */
export function shiftBucket(start: string, kind: BucketKind, steps: number): string {
  return firstOfMonth(yearOf(start), monthOf(start) + monthsIn[kind] * steps);
}

/** The last day of the bucket starting on `start`. */
export function bucketEnd(start: string, kind: BucketKind): string {
  const last = monthOf(start) + monthsIn[kind] - 1;
  const year = yearOf(start) + Math.floor(last / 12);
  const month = last - Math.floor(last / 12) * 12;
  return `${pad(year, 4)}-${pad(month + 1, 2)}-${pad(daysIn(year, month), 2)}`;
}

/** Widens a date range to whole buckets, so no view can be narrowed to a day or a handful of people. */
export function snapRange(from: string, to: string, kind: BucketKind): { from: string; to: string } {
  return { from: bucketStart(from, kind), to: bucketEnd(bucketStart(to, kind), kind) };
}

/** The start of every bucket from the one holding `from` to the one holding `to`. */
export function bucketsBetween(from: string, to: string, kind: BucketKind): string[] {
  const starts: string[] = [];
  for (let b = bucketStart(from, kind); b <= to; b = shiftBucket(b, kind, 1)) starts.push(b);
  return starts;
}

/** A short label: 2026-03, 2026 Q1, 2026 H1, 2026. */
export function bucketLabel(start: string, kind: BucketKind): string {
  const year = start.slice(0, 4);
  const month = Number(start.slice(5, 7));
  if (kind === 'month') return start.slice(0, 7);
  if (kind === 'quarter') return `${year} Q${Math.floor((month - 1) / 3) + 1}`;
  if (kind === 'half') return `${year} H${month <= 6 ? 1 : 2}`;
  return year;
}

/** The last day of the last complete month before `today`: protected figures never include a month still filling. */
export function lastCompleteMonthEnd(today: string): string {
  return bucketEnd(shiftBucket(bucketStart(today, 'month'), 'month', -1), 'month');
}

/**
 * Whole months either side of an event, leaving out the event's own month (its responses are part before and part
 * after it): `months` months before that month and `months` months after it.
 */
export function eventWindows(occurredOn: string, months: number) {
  const month = bucketStart(occurredOn, 'month');
  return {
    before: { from: shiftBucket(month, 'month', -months), to: bucketEnd(shiftBucket(month, 'month', -1), 'month') },
    eventMonth: { from: month, to: bucketEnd(month, 'month') },
    after: { from: shiftBucket(month, 'month', 1), to: bucketEnd(shiftBucket(month, 'month', months), 'month') },
  };
}
