import t from 'tap';
import { bucketEnd, bucketLabel, bucketStart, bucketsBetween, eventWindows, shiftBucket, snapRange } from '../../src/stats/buckets.js';

t.test('bucket starts: ISO weeks begin on Monday; months; quarters', async (t) => {
  // 2026-01-01 is a Thursday (calendar), so its ISO week starts Monday 2025-12-29 and is 2026-W01.
  t.equal(bucketStart('2026-01-01', 'week'), '2025-12-29');
  t.equal(bucketStart('2025-12-29', 'week'), '2025-12-29');
  t.equal(bucketStart('2026-01-04', 'week'), '2025-12-29', 'Sunday belongs to the week before');
  t.equal(bucketLabel('2025-12-29', 'week'), '2026-W01');
  // 2021-01-01 is a Friday: it falls in 2020-W53 (ISO 8601 long year).
  t.equal(bucketLabel(bucketStart('2021-01-01', 'week'), 'week'), '2020-W53');
  t.equal(bucketLabel('2026-11-23', 'week'), '2026-W48');
  t.equal(bucketStart('2026-02-28', 'month'), '2026-02-01');
  t.equal(bucketEnd('2024-02-01', 'month'), '2024-02-29', 'leap year');
  t.equal(bucketStart('2026-08-15', 'quarter'), '2026-07-01');
  t.equal(bucketEnd('2026-10-01', 'quarter'), '2026-12-31');
  t.equal(bucketLabel('2026-07-01', 'quarter'), '2026 Q3');
  t.equal(bucketLabel('2026-07-01', 'month'), '2026-07');
  t.equal(shiftBucket('2026-01-31', 'month', 0), '2026-01-31');
  t.equal(shiftBucket('2026-01-01', 'quarter', -1), '2025-10-01');
  t.equal(shiftBucket('2025-12-29', 'week', 2), '2026-01-12');
});

t.test('date ranges snap to whole buckets', async (t) => {
  t.same(snapRange('2026-03-17', '2026-05-02', 'month'), { from: '2026-03-01', to: '2026-05-31' });
  t.same(snapRange('2026-03-18', '2026-03-18', 'week'), { from: '2026-03-16', to: '2026-03-22' });
  t.same(bucketsBetween('2026-01-15', '2026-04-01', 'month'), ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01']);
  t.same(bucketsBetween('2026-05-01', '2026-04-01', 'month'), []);
});

t.test('event windows are whole ISO weeks either side of the event week', async (t) => {
  // Wednesday 2026-03-18 is in the week of Monday 2026-03-16 (counted on a calendar).
  t.same(eventWindows('2026-03-18', 4), {
    before: { from: '2026-02-16', to: '2026-03-15' },
    eventWeek: { from: '2026-03-16', to: '2026-03-22' },
    after: { from: '2026-03-23', to: '2026-04-19' },
  });
  const eight = eventWindows('2026-03-16', 8);
  t.equal(eight.before.from, '2026-01-19', 'eight Mondays back');
  t.equal(eight.after.to, '2026-05-17');
});
