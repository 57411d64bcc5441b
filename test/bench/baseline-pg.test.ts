import { sql } from 'drizzle-orm';
import t from 'tap';
import { benchNeighborhoods, submissionBodies } from '../../bench/forms.js';
import { moduleCommand, startServer } from '../../bench/processes.js';
import { openPgStore } from '../../src/db/open.js';
import { createSurveyRepository } from '../../src/survey/queries.js';
import { rollupsAndRecomputation } from '../helper/admin.js';
import { testDatabaseUrl } from '../helper/postgres.js';

// The bench's PostgreSQL baseline writes what the app writes for a submission (its smoke run takes ~30 s, too long here).
t.test('the bare pg baseline stores a response, its answers, scores and rollups in one transaction', async (t) => {
  const url = await testDatabaseUrl(t);
  const store = await openPgStore(url, { max: 1 });
  t.teardown(() => store.close());
  await createSurveyRepository(store, 'UTC').ensureStandardSurvey();
  await store.transaction((tx) => tx.insert(store.tables.neighborhoods).values(benchNeighborhoods.map((n) => ({ slug: n.slug, name: n.name }))));

  const server = await startServer(moduleCommand('bench/baseline-pg-server'), { DATABASE_URL: url, SYNC: 'FULL' });
  t.teardown(() => server.stop());
  for (const body of submissionBodies(3, 1)) {
    const res = await fetch(`${server.url}/surveys/community-trust`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    t.equal(res.status, 201);
  }
  const count = async (table: string) => Number((await store.read((db) => store.rows<{ n: number }>(db, sql.raw(`SELECT count(*) AS n FROM ${table}`))))[0].n);
  t.equal(await count('responses'), 3);
  t.ok((await count('answers')) >= 3 * 5, 'answers stored');
  t.ok((await count('response_scores')) > 0, 'scores stored');
  t.ok((await count('monthly_rollups')) > 0, 'rollups stored');
  const rounded = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v])));
  const { stored, recomputed } = await rollupsAndRecomputation({ store });
  t.same(rounded(stored), rounded(recomputed), 'its four rollups hold what the app would: the sums of its raw rows');
});
