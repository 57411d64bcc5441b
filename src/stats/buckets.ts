export const bucketKinds = ['week', 'month', 'quarter'] as const;
export type BucketKind = (typeof bucketKinds)[number];

const utc = (day: string) => new Date(`${day}T00:00:00Z`);
const iso = (date: Date) => date.toISOString().slice(0, 10);

/** The first day of the bucket holding `day`: the Monday of its ISO week, the 1st of its month or quarter. */
export function bucketStart(day: string, kind: BucketKind): string {
  const date = utc(day);
  if (kind === 'week') {
    // getUTCDay: Sunday 0 … Saturday 6; ISO weeks start on Monday.
    date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
    return iso(date);
  }
  const month = kind === 'month' ? date.getUTCMonth() : Math.floor(date.getUTCMonth() / 3) * 3;
  return iso(new Date(Date.UTC(date.getUTCFullYear(), month, 1)));
}

/** The first day of the bucket `steps` buckets after (or before, when negative) the one starting on `start`. */
export function shiftBucket(start: string, kind: BucketKind, steps: number): string {
  const date = utc(start);
  if (kind === 'week') date.setUTCDate(date.getUTCDate() + 7 * steps);
  else date.setUTCMonth(date.getUTCMonth() + (kind === 'month' ? 1 : 3) * steps);
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

/** ISO 8601 week-numbering year and week of a day. */
function isoWeek(day: string): { year: number; week: number } {
  const date = utc(day);
  // The Thursday of the same ISO week decides its year.
  date.setUTCDate(date.getUTCDate() + 3 - ((date.getUTCDay() + 6) % 7));
  const year = date.getUTCFullYear();
  const dayOfYear = Math.round((date.getTime() - Date.UTC(year, 0, 1)) / 86400000);
  return { year, week: Math.floor(dayOfYear / 7) + 1 };
}

/** A short label: 2026-W05, 2026-03, 2026 Q1. */
export function bucketLabel(start: string, kind: BucketKind): string {
  if (kind === 'week') {
    const { year, week } = isoWeek(start);
    return `${year}-W${String(week).padStart(2, '0')}`;
  }
  if (kind === 'month') return start.slice(0, 7);
  return `${start.slice(0, 4)} Q${Math.floor(Number(start.slice(5, 7)) / 3) + 1}`;
}

/**
 * Whole ISO weeks either side of an event, leaving out the event's own week (its responses are part before and
 * part after it): `weeks` weeks before that week and `weeks` weeks after it.
 */
export function eventWindows(occurredOn: string, weeks: number) {
  const week = bucketStart(occurredOn, 'week');
  return {
    before: { from: shiftBucket(week, 'week', -weeks), to: bucketEnd(shiftBucket(week, 'week', -1), 'week') },
    eventWeek: { from: week, to: bucketEnd(week, 'week') },
    after: { from: shiftBucket(week, 'week', 1), to: bucketEnd(shiftBucket(week, 'week', weeks), 'week') },
  };
}
