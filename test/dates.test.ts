import t from 'tap';
import { addDays, dateIn, isIsoDate } from '../src/dates.js';

t.test('the calendar date in the configured time zone', async (t) => {
  const instant = new Date('2026-03-01T03:30:00Z');
  t.equal(dateIn('UTC', instant), '2026-03-01');
  t.equal(dateIn('America/Chicago', instant), '2026-02-28', 'still the evening before in Chicago');
  t.equal(dateIn('Asia/Tokyo', new Date('2026-12-31T16:00:00Z')), '2027-01-01');
});

t.test('real dates only', async (t) => {
  t.ok(isIsoDate('2024-02-29'));
  t.notOk(isIsoDate('2026-02-29'));
  t.notOk(isIsoDate('2026-02-30'));
  t.notOk(isIsoDate('2026-2-3'));
  t.notOk(isIsoDate('2026-02-03T00:00'));
  t.equal(addDays('2026-02-27', 2), '2026-03-01');
  t.equal(addDays('2026-01-01', -1), '2025-12-31');
});

t.test('dateIn is right on both sides of midnight when asked within a few milliseconds', (t) => {
  t.equal(dateIn('America/Chicago', new Date('2026-03-02T05:59:59.998Z')), '2026-03-01');
  t.equal(dateIn('America/Chicago', new Date('2026-03-02T05:59:59.999Z')), '2026-03-01', 'same second, remembered');
  t.equal(dateIn('America/Chicago', new Date('2026-03-02T06:00:00.000Z')), '2026-03-02', 'next second is the next day');
  t.end();
});
