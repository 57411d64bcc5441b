import { eq } from 'drizzle-orm';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { dateIn } from '../../src/dates.js';
import { openPgStore } from '../../src/db/open.js';
import { exited, startServerProcess, storedMarkers, submissionLoad } from '../../scripts/lib/crash-round.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, compiledServer, form, testConfig } from '../helper/app.js';
import { testDatabaseUrl } from '../helper/postgres.js';
import { createSurveyRepository } from '../../src/survey/queries.js';
import { standardSurvey } from '../../src/survey/standard-survey.js';

// Several app servers on one PostgreSQL: nothing one keeps in memory may make another wrong.

async function server(t: Parameters<typeof testConfig>[0], url: string) {
  const store = await openPgStore(url);
  const app = await buildApp({ config: testConfig(t, { TIME_ZONE: 'UTC' }), store });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  return app;
}

t.test('two servers on one database: a response, an admin change and a session on one are seen by the other at once', async (t) => {
  const url = await testDatabaseUrl(t);
  const one = await server(t, url);
  const other = await server(t, url);
  const [riverside] = await addNeighborhoods(one.store, 'Riverside');
  // Logged in on one server; the session lives in the database, so the other knows it.
  const { adminJar } = await staffSessions(one);
  const today = dateIn('UTC');
  const trendsOnOther = async () => {
    const res = await other.inject({
      url: `/api/trends?from=${today.slice(0, 8)}01&to=${today}&neighborhood=riverside`,
      headers: { cookie: adminJar.header() },
    });
    t.equal(res.statusCode, 200, 'the other server accepts the session made on the first');
    const series = res.json().series as { cells: { n: number | null }[] }[];
    return series.at(-1)!.cells.at(-1)!.n ?? 0;
  };
  t.equal(await trendsOnOther(), 0);

  const submit = (app: typeof one) =>
    app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ neighborhood: 'riverside', q_safety: '4', q_respect: '7', q_listening: '6' }),
    });
  // Enough for a shown count (the privacy floor hides fewer, even from admins).
  for (let i = 0; i < 11; i++) t.equal((await submit(one)).statusCode, 303);
  t.equal(await trendsOnOther(), 11, 'responses submitted to one server are in the other’s figures at once');
  t.equal((await submit(one)).statusCode, 303);
  t.equal(await trendsOnOther(), 12, 'and the next one too: no stale cache');

  t.match((await other.inject('/surveys/community-trust')).body, 'Riverside');
  await one.store.transaction((tx) =>
    tx.update(one.store.tables.neighborhoods).set({ name: 'Riverside Heights' }).where(eq(one.store.tables.neighborhoods.id, riverside.id)),
  );
  t.match((await other.inject('/surveys/community-trust')).body, 'Riverside Heights', 'a neighborhood renamed on one server shows renamed on the other');

  const staffPage = await other.inject({ url: '/account/password', headers: { cookie: adminJar.header() } });
  t.equal(staffPage.statusCode, 200, 'staff pages on the other server open with the session');
});

t.test('killing one of two servers under load loses no acknowledged response', async (t) => {
  const url = await testDatabaseUrl(t);
  const store = await openPgStore(url);
  t.teardown(() => store.close());
  await addNeighborhoods(store, 'Crash Town');
  const env = { DATABASE_URL: url, DATABASE_PATH: '/nonexistent/unused.db' };
  // Started together, as behind a load balancer: both migrate at once (the advisory lock makes one wait).
  const started = await Promise.allSettled([startServerProcess(compiledServer(), env), startServerProcess(compiledServer(), env)]);
  t.teardown(() => {
    for (const server of started) if (server.status === 'fulfilled') server.value.child.kill('SIGKILL');
  });
  const [first, second] = started.map((server) => {
    if (server.status === 'rejected') throw server.reason;
    return server.value;
  });
  const toFirst = submissionLoad(first.url, 8, 'first');
  const toSecond = submissionLoad(second.url, 8, 'second');
  await Promise.all([toFirst.whenAcknowledged(150), toSecond.whenAcknowledged(50)]);
  first.child.kill('SIGKILL');
  await exited(first.child);
  await toFirst.stop();
  await toSecond.whenAcknowledged(toSecond.acknowledged.length + 50);
  await toSecond.stop();

  const stored = await storedMarkers(store);
  const lost = [...toFirst.acknowledged, ...toSecond.acknowledged].filter((marker) => !stored.has(marker));
  t.same(lost, [], `every acknowledged response is stored (${toFirst.acknowledged.length} to the killed server, ${toSecond.acknowledged.length} to the other)`);
  t.ok(toFirst.acknowledged.length >= 150 && toSecond.acknowledged.length >= 100);
});

t.test('servers started together create the standard survey once', async (t) => {
  const url = await testDatabaseUrl(t);
  const stores = await Promise.all([1, 2, 3].map(() => openPgStore(url)));
  t.teardown(() => Promise.all(stores.map((store) => store.close())));
  await Promise.all(stores.map((store) => createSurveyRepository(store, 'UTC').ensureStandardSurvey()));
  const { surveys, questions } = stores[0].tables;
  t.equal((await stores[0].read((db) => db.select().from(surveys))).length, 1, 'one survey, and no start failed');
  t.equal((await stores[0].read((db) => db.select().from(questions))).length, standardSurvey.questions.length);
});
