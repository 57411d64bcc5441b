import Database from 'better-sqlite3';
import t from 'tap';
import { bucketSql } from '../../src/results/queries.js';
import { bucketKinds, bucketStart } from '../../src/stats/buckets.js';

t.test('SQL buckets agree with bucketStart on every day of three years', async (t) => {
  const sqlite = new Database(':memory:');
  t.teardown(() => sqlite.close());
  for (const kind of bucketKinds) {
    const statement = sqlite.prepare<[string], { bucket: string }>(`WITH d(day) AS (SELECT ?) SELECT ${bucketSql('day', kind)} AS bucket FROM d`);
    const mismatches: string[] = [];
    for (let time = Date.UTC(2024, 0, 1); time <= Date.UTC(2026, 11, 31); time += 86400000) {
      const day = new Date(time).toISOString().slice(0, 10);
      const fromSql = statement.get(day)!.bucket;
      if (fromSql !== bucketStart(day, kind)) mismatches.push(`${kind} ${day}: ${fromSql}`);
    }
    t.same(mismatches, [], `${kind}: no mismatch`);
  }
  // Spot checks against a calendar: Sunday 2026-03-15 is in the week of Monday 2026-03-09.
  t.equal(
    sqlite
      .prepare(`SELECT ${bucketSql("'2026-03-15'", 'week')} AS b`)
      .pluck()
      .get(),
    '2026-03-09',
  );
  t.equal(
    sqlite
      .prepare(`SELECT ${bucketSql("'2026-11-25'", 'quarter')} AS b`)
      .pluck()
      .get(),
    '2026-10-01',
  );
});
