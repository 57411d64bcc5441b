import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { events } from '../../src/db/schema.js';
import { projectRoot } from '../../src/paths.js';
import { addNeighborhoods, buildTestApp, testDialect } from '../helper/app.js';

// Public pages show whole months already released, so the event is placed well inside the shown range.
const twoMonthsAgo = () => new Date(Date.parse(dateIn('UTC')) - 60 * 86_400_000).toISOString().slice(0, 10);

t.test('public pages show each event in the page language', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  await store.transaction(async (tx) => {
    await tx.update(store.tables.surveys).set({ published: true });
    await tx
      .insert(store.tables.events)
      .values({ title: { en: 'Cookout in the park', es: 'Parrillada en el parque' }, occurredOn: twoMonthsAgo(), kind: 'outreach', isPublic: true });
  });
  const spanish = await app.inject('/public/community-trust?lang=es');
  t.equal(spanish.statusCode, 200);
  t.match(spanish.body, 'Parrillada en el parque');
  t.notMatch(spanish.body, 'Cookout in the park');
  const english = await app.inject('/public/community-trust?lang=en');
  t.match(english.body, 'Cookout in the park');
});

t.test(
  'the migration keeps existing event titles as their English text',
  { skip: testDialect === 'sqlite' ? false : "SQLite's migration 0006 on an old file: PostgreSQL's schema began with per-language titles" },
  async (t) => {
    const { database } = await buildTestApp(t);
    database.sqlite.prepare("INSERT INTO events (title, occurred_on, kind) VALUES ('Block party on \"5th\"', '2026-03-01', 'outreach')").run();
    database.sqlite.exec(readFileSync(join(projectRoot, 'drizzle', '0006_event_titles_per_language.sql'), 'utf8'));
    t.same(database.db.select({ title: events.title }).from(events).all(), [{ title: { en: 'Block party on "5th"' } }]);
  },
);
