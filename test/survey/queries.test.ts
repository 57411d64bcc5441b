import Database from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { addNeighborhoods, buildTestApp, testDialect } from '../helper/app.js';

t.test('cached survey reads see every change made through the store', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'North End');
  const first = (await app.surveys.findWithQuestions('community-trust'))!;
  t.equal(await app.surveys.findWithQuestions('community-trust'), first, 'unchanged data is served from the cache');
  t.equal(first.survey.status, 'open');
  t.same(
    (await app.surveys.activeNeighborhoods()).map((n) => n.slug),
    ['north-end'],
  );

  await store.transaction((tx) => store.execute(tx, sql`UPDATE surveys SET status = 'closed' WHERE slug = 'community-trust'`));
  t.equal((await app.surveys.findWithQuestions('community-trust'))!.survey.status, 'closed', 'a change through the store is seen at once');
  t.equal(await app.surveys.findWithQuestions('no-such-survey'), undefined);
});

t.test(
  'cached survey reads see a write outside the store and a commit by another SQLite connection',
  { skip: testDialect === 'sqlite' ? false : "SQLite's data_version; PostgreSQL's other server is tested in test/db/pg-store.test.ts" },
  async (t) => {
    const { app, store, database } = await buildTestApp(t);
    await addNeighborhoods(store, 'North End');
    t.equal((await app.surveys.findWithQuestions('community-trust'))!.survey.status, 'open');
    // Transitional, while some features still write through the raw handle.
    database.sqlite.prepare("UPDATE surveys SET status = 'closed' WHERE slug = 'community-trust'").run();
    t.equal((await app.surveys.findWithQuestions('community-trust'))!.survey.status, 'closed', 'a write on the same connection outside the store is seen');

    t.same(
      (await app.surveys.activeNeighborhoods()).map((n) => n.slug),
      ['north-end'],
    );
    const other = new Database(database.path);
    t.teardown(() => other.close());
    other.prepare("INSERT INTO neighborhoods (slug, name) VALUES ('south-end', 'South End')").run();
    t.same(
      (await app.surveys.activeNeighborhoods()).map((n) => n.slug),
      ['north-end', 'south-end'],
      'a commit by another connection is seen at once',
    );
  },
);

t.test('a submission leaves the cached survey alone', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'North End');
  const first = await app.surveys.findWithQuestions('community-trust');
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    payload: new URLSearchParams({ neighborhood: 'north-end', q_safety: '5' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.equal(res.statusCode, 303);
  t.equal(await app.surveys.findWithQuestions('community-trust'), first, 'still served from the cache');
});

t.test('a submission after a neighborhood is retired is refused for it', async (t) => {
  const { app, store } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'North End', 'Old Town');
  const submit = (neighborhood: string) =>
    app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      payload: new URLSearchParams({ neighborhood, q_safety: '5' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  t.equal((await submit('old-town')).statusCode, 303);
  await store.transaction((tx) =>
    tx
      .update(store.tables.neighborhoods)
      .set({ retired: true })
      .where(sql`slug = 'old-town'`),
  );
  t.equal((await submit('old-town')).statusCode, 400, 'the retired neighborhood is no longer accepted');
  t.equal((await submit('north-end')).statusCode, 303);
});
