import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { generateDemo } from '../../src/demo/generate.js';
import { tempDir } from '../helper/app.js';

// Content only: response ids are random, so they differ between two runs of the same seed.
const fingerprint = (path: string) => {
  const handle = openDatabase(path);
  const row = handle.sqlite
    .prepare(
      `SELECT count(*) AS n, sum((julianday(r.submitted_on) - 2460000) * 131 + r.neighborhood_id * 17 + a.question_id * 7 + coalesce(a.value_number, length(a.value_text))) AS checksum,
              min(r.submitted_on) AS first, max(r.submitted_on) AS last
              FROM responses r JOIN answers a ON a.response_id = r.id`,
    )
    .get();
  handle.close();
  return row as { n: number; checksum: number; first: string; last: string };
};

t.test('the demo is deterministic for a seed and date, covers 24 months and tells its stories', async (t) => {
  const dir = tempDir(t);
  // Determinism on small cities (the same code path at a lower daily rate), then one full-size demo.
  for (const [name, seed] of [
    ['a.db', 1],
    ['b.db', 1],
    ['c.db', 7],
  ] as const) {
    const handle = openDatabase(join(dir, name));
    await generateDemo(handle, { seed, asOf: '2026-06-15', passwordCost: 10, dailyRate: 1 });
    handle.close();
  }
  const [a, b, c] = ['a.db', 'b.db', 'c.db'].map((n) => fingerprint(join(dir, n)));
  t.same(a, b, 'same seed, same data');
  t.not(a.checksum, c.checksum, 'another seed, other data');

  const full = openDatabase(join(dir, 'full.db'));
  // How long this takes is measured by the bench (`demo.generateMs`), not asserted here.
  const { responses } = await generateDemo(full, { seed: 1, asOf: '2026-06-15', passwordCost: 10 });
  full.close();
  t.ok(responses > 2_500 && responses < 3_400, `Chicago's rate for 172,000 residents: about 2,900 responses (${responses})`);
  const span = fingerprint(join(dir, 'full.db'));
  t.equal(span.first, '2024-07-01', '24 whole months ending with the as-of month');
  t.equal(span.last, '2026-06-15');

  const handle = openDatabase(join(dir, 'full.db'));
  t.teardown(() => handle.close());
  t.equal((handle.sqlite.prepare('SELECT count(*) AS n FROM neighborhoods').get() as { n: number }).n, 8);
  t.equal((handle.sqlite.prepare('SELECT count(*) AS n FROM staff_users').get() as { n: number }).n, 2);
  const broughtIn = handle.sqlite
    .prepare(
      "SELECT count(*) AS n, min(r.channel) AS channel FROM responses r JOIN events e ON e.id = r.event_id WHERE json_extract(e.title, '$.en') LIKE 'Cookout%'",
    )
    .get() as { n: number; channel: string };
  t.ok(broughtIn.n > 0, `the cookout's QR cards brought in responses (${broughtIn.n})`);
  t.equal(broughtIn.channel, 'qr');
  const monthly = handle.sqlite
    .prepare(
      `SELECT min(n) AS fewest, max(n) AS most, avg(n) AS mean FROM (
      SELECT neighborhood_id, substr(submitted_on, 1, 7) AS month, count(*) AS n FROM responses WHERE submitted_on < '2026-06-01' GROUP BY 1, 2)`,
    )
    .get() as { fewest: number; most: number; mean: number };
  t.ok(monthly.mean > 9 && monthly.mean < 21, `a neighborhood gets 9–21 responses a month, as real departments do (mean ${monthly.mean.toFixed(1)})`);

  // The stories: trust in Riverside after the cookout beats the months before it; Mill District dips after the incident.
  const trustAround = (title: string, beforeDays: number, afterDays: number) =>
    handle.sqlite
      .prepare(
        `SELECT
          avg(CASE WHEN r.submitted_on <  e.occurred_on AND r.submitted_on >= date(e.occurred_on, ?) THEN s.score END) AS before,
          avg(CASE WHEN r.submitted_on >  e.occurred_on AND r.submitted_on <= date(e.occurred_on, ?) THEN s.score END) AS after
        FROM events e JOIN responses r ON r.neighborhood_id = e.neighborhood_id JOIN response_scores s ON s.response_id = r.id AND s.measure = 'trust'
        WHERE json_extract(e.title, '$.en') = ?`,
      )
      .get(`-${beforeDays} days`, `+${afterDays} days`, title) as { before: number; after: number };
  const cookout = trustAround('Cookout with officers at Riverside Park', 56, 84);
  t.ok(cookout.after - cookout.before > 5, `trust up after the cookout (${cookout.before.toFixed(1)} → ${cookout.after.toFixed(1)})`);
  const incident = trustAround('Use-of-force incident on Mill Street', 56, 56);
  t.ok(incident.before - incident.after > 5, `trust down after the incident (${incident.before.toFixed(1)} → ${incident.after.toFixed(1)})`);
});
