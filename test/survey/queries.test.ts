import Database from 'better-sqlite3';
import t from 'tap';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';

t.test('cached survey reads see every change, from this connection or another', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  await addNeighborhoods(store, 'North End');
  const first = app.surveys.findWithQuestions('community-trust')!;
  t.equal(app.surveys.findWithQuestions('community-trust'), first, 'unchanged data is served from the cache');
  t.equal(first.survey.status, 'open');
  t.same(
    app.surveys.activeNeighborhoods().map((n) => n.slug),
    ['north-end'],
  );

  database.sqlite.prepare("UPDATE surveys SET status = 'closed' WHERE slug = 'community-trust'").run();
  t.equal(app.surveys.findWithQuestions('community-trust')!.survey.status, 'closed', 'a change on the same connection is seen at once');

  const other = new Database(database.path);
  t.teardown(() => other.close());
  other.prepare("INSERT INTO neighborhoods (slug, name) VALUES ('south-end', 'South End')").run();
  t.same(
    app.surveys.activeNeighborhoods().map((n) => n.slug),
    ['north-end', 'south-end'],
    'a commit by another connection is seen at once',
  );
  t.equal(app.surveys.findWithQuestions('no-such-survey'), undefined);
});

t.test('a submission after a neighborhood is retired is refused for it', async (t) => {
  const { app, store, database } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'North End', 'Old Town');
  const submit = (neighborhood: string) =>
    app.inject({
      method: 'POST',
      url: '/surveys/community-trust',
      payload: new URLSearchParams({ neighborhood, q_safety: '5' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  t.equal((await submit('old-town')).statusCode, 303);
  database.sqlite.prepare("UPDATE neighborhoods SET retired = 1 WHERE slug = 'old-town'").run();
  t.equal((await submit('old-town')).statusCode, 400, 'the retired neighborhood is no longer accepted');
  t.equal((await submit('north-end')).statusCode, 303);
});
