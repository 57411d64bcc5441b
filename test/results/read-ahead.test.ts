import { sql } from 'drizzle-orm';
import t from 'tap';
import { readAhead } from '../../src/results/read-ahead.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { people, submit } from '../helper/responses.js';

// At start the server reads each survey's newest months of sums into the figures' cache (READ_AHEAD_ROWS), so the first
// pages do not wait for them: within its budget, newest first, and no figure differs for it.

t.test('the newest months are read first, within the budget, and the figures are the same', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [alder, birch] = await addNeighborhoods(store, 'Alder', 'Birch');
  for (const day of ['2026-01-10', '2026-02-10', '2026-04-10']) {
    await submit(app, alder.id, day, people(12, 2));
    await submit(app, birch.id, day, people(12, 3));
  }
  const [{ measures }] = await store.aggregate<{ measures: number }>(sql`SELECT count(DISTINCT measure) AS "measures" FROM monthly_rollups`);
  t.ok(measures > 1, 'every measure of the survey has sums');
  const { asAdmin } = await staffSessions(app);
  const page = async () => (await asAdmin.get('/api/trends?from=2026-01-01&to=2026-04-30&bucket=month')).body;
  const before = await page();

  // Four months (January to April, March without responses) of every measure in two neighborhoods, newest three first.
  t.equal(await readAhead(app, 1_000_000).done, 4 * measures * 2, 'every month of the grid, counted from above');
  t.equal(await readAhead(app, 3 * measures * 2).done, 3 * measures * 2, 'a budget of three months: April, March and February');
  t.equal(await readAhead(app, 3 * measures * 2 - 1).done, 0, 'less than one read of three months: none');
  t.equal(await page(), before, 'the figures are the same');

  const reading = readAhead(app, 1_000_000);
  t.equal(await reading.stop(), 0, 'stopped before its first read, it reads nothing');
});
