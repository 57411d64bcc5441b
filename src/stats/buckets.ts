/**
 * The release grid is the calendar month: every figure covers whole months, so views never mix grids that do not
 * nest (weeks and months did, and their difference revealed small groups).
 */
export const bucketKinds = ['month', 'quarter', 'half', 'year'] as const;
export type BucketKind = (typeof bucketKinds)[number];

/** Months in one bucket of each kind. */
export const monthsIn: Record<BucketKind, number> = { month: 1, quarter: 3, half: 6, year: 12 };

const utc = (day: string) => new Date(`${day}T00:00:00Z`);
const iso = (date: Date) => date.toISOString().slice(0, 10);

/** The first day of the bucket holding `day`: the 1st of its month, quarter, half-year or year. */
export function bucketStart(day: string, kind: BucketKind): string {
  const date = utc(day);
  const size = monthsIn[kind];
  const month = Math.floor(date.getUTCMonth() / size) * size;
  return iso(new Date(Date.UTC(date.getUTCFullYear(), month, 1)));
}

/** The first day of the bucket `steps` buckets after (or before, when negative) the one starting on `start`. */
export function shiftBucket(start: string, kind: BucketKind, steps: number): string {
  const date = utc(start);
  date.setUTCMonth(date.getUTCMonth() + monthsIn[kind] * steps);
  return iso(date);
}

/** The last day of the bucket starting on `start`. */
export function bucketEnd(start: string, kind: BucketKind): string {
  const date = utc(shiftBucket(start, kind, 1));
  date.setUTCDate(date.getUTCDate() - 1);
  return iso(date);
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
