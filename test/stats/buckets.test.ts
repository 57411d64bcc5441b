import t from 'tap';
import {
  bucketEnd,
  bucketKinds,
  bucketLabel,
  bucketsBetween,
  bucketStart,
  eventWindows,
  lastCompleteMonthEnd,
  monthsIn,
  shiftBucket,
  snapRange,
} from '../../src/stats/buckets.js';

t.test('buckets are whole months, quarters, half-years and years', async (t) => {
  t.equal(bucketStart('2026-03-15', 'month'), '2026-03-01');
  t.equal(bucketStart('2026-03-15', 'quarter'), '2026-01-01');
  t.equal(bucketStart('2026-08-31', 'half'), '2026-07-01');
  t.equal(bucketStart('2026-08-31', 'year'), '2026-01-01');
  t.equal(bucketEnd('2024-02-01', 'month'), '2024-02-29', 'leap year');
  t.equal(bucketEnd('2026-07-01', 'half'), '2026-12-31');
  t.equal(shiftBucket('2026-01-01', 'quarter', -1), '2025-10-01');
  t.equal(shiftBucket('2026-01-01', 'half', 3), '2027-07-01');
  t.same(snapRange('2026-02-10', '2026-05-02', 'quarter'), { from: '2026-01-01', to: '2026-06-30' });
  t.same(bucketsBetween('2025-11-20', '2026-02-01', 'month'), ['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-01']);
  t.equal(bucketLabel('2026-04-01', 'quarter'), '2026 Q2');
  t.equal(bucketLabel('2026-07-01', 'half'), '2026 H2');
  t.equal(bucketLabel('2026-01-01', 'year'), '2026');
  t.equal(bucketLabel('2026-03-01', 'month'), '2026-03');
});

t.test('every bucket is a union of whole months (the release grid nests)', async (t) => {
  for (const kind of ['quarter', 'half', 'year'] as const) {
    for (let time = Date.UTC(2024, 0, 1); time <= Date.UTC(2026, 11, 31); time += 86400000 * 5) {
      const day = new Date(time).toISOString().slice(0, 10);
      const start = bucketStart(day, kind);
      t.equal(start.slice(8), '01', `${kind} of ${day} starts on a 1st`);
      t.equal(bucketEnd(start, kind), bucketEnd(bucketStart(bucketEnd(start, kind), 'month'), 'month'), `${kind} of ${day} ends at a month's end`);
    }
  }
});

t.test('protected figures stop at the last complete month', async (t) => {
  t.equal(lastCompleteMonthEnd('2026-11-30'), '2026-10-31');
  t.equal(lastCompleteMonthEnd('2026-03-01'), '2026-02-28');
});

t.test('event windows: whole months either side, the event month left out', async (t) => {
  t.same(eventWindows('2026-05-17', 3), {
    before: { from: '2026-02-01', to: '2026-04-30' },
    eventMonth: { from: '2026-05-01', to: '2026-05-31' },
    after: { from: '2026-06-01', to: '2026-08-31' },
  });
  t.same(eventWindows('2026-01-01', 1).before, { from: '2025-12-01', to: '2025-12-31' });
});

t.test('string arithmetic agrees with the calendar (Date) over four centuries of months', async (t) => {
  const iso = (date: Date) => date.toISOString().slice(0, 10);
  const mismatches: string[] = [];
  for (let year = 1900; year <= 2300; year++) {
    for (let month = 0; month < 12; month++) {
      const start = iso(new Date(Date.UTC(year, month, 1)));
      for (const kind of bucketKinds) {
        const size = monthsIn[kind];
        const expectedStart = iso(new Date(Date.UTC(year, Math.floor(month / size) * size, 1)));
        if (bucketStart(iso(new Date(Date.UTC(year, month, 17))), kind) !== expectedStart) mismatches.push(`start ${start} ${kind}`);
        if (bucketEnd(expectedStart, kind) !== iso(new Date(Date.UTC(year, Math.floor(month / size) * size + size, 0))))
          mismatches.push(`end ${start} ${kind}`);
        for (const steps of [-25, -1, 1, 13]) {
          if (shiftBucket(start, kind, steps) !== iso(new Date(Date.UTC(year, month + size * steps, 1)))) mismatches.push(`shift ${start} ${kind} ${steps}`);
        }
      }
    }
  }
  t.same(mismatches, []);
});
