import t from 'tap';
import { addNeighborhoods, buildTestApp, csrfFrom, form, rowCount } from '../helper/app.js';
import { expected, liaisonSession, people, submit } from '../helper/responses.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const { app, database } = await buildTestApp(t);
  const [alder, birch] = addNeighborhoods(database, 'Alder', 'Birch');
  const { jar, get } = await liaisonSession(app);
  const post = async (url: string, fields: Record<string, string>, withToken = true) => {
    const page = await get('/events/new');
    return app.inject({
      method: 'POST',
      url,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ ...fields, ...(withToken ? { _csrf: csrfFrom(page.body) ?? '' } : {}) }),
    });
  };
  return { app, database, alder, birch, get, post };
}

const audit = (database: Parameters<typeof rowCount>[0]) =>
  database.sqlite.prepare('SELECT action, entity_id AS entityId, user_id AS userId FROM audit_log ORDER BY id').all() as {
    action: string;
    entityId: string;
    userId: number;
  }[];

t.test('liaisons add, edit and delete events; each change is audited', async (t) => {
  const { database, get, post } = await setup(t);
  t.equal((await get('/events/new')).statusCode, 200);

  const bad = await post('/events/new', {
    title_en: '  ',
    occurredOn: '2026-02-30',
    neighborhood: 'nowhere',
    link: 'javascript:alert(1)',
    description: 'Kept <b>as text</b>',
  });
  t.equal(bad.statusCode, 400);
  for (const field of ['title_en', 'occurredOn', 'neighborhood', 'kind', 'link']) t.match(bad.body, `href="#field-${field}"`, `${field} error linked`);
  t.match(bad.body, 'Kept &lt;b&gt;as text&lt;/b&gt;', 'values kept, escaped');
  t.match(bad.body, 'value="javascript:alert(1)"');
  t.equal(rowCount(database, 'events'), 0);

  t.equal((await post('/events/new', { title_en: 'No token', occurredOn: '2026-03-18', kind: 'other' }, false)).statusCode, 403, 'CSRF token required');

  const publicOnlyInEnglish = await post('/events/new', { title_en: 'Block party', occurredOn: '2026-03-18', kind: 'outreach', isPublic: 'on' });
  t.equal(publicOnlyInEnglish.statusCode, 400, 'a public event needs its title in every language');
  t.match(publicOnlyInEnglish.body, 'Enter the title in Español for the public page.');
  t.match(publicOnlyInEnglish.body, 'href="#field-title_es"');

  const created = await post('/events/new', {
    title_en: 'Block party',
    title_es: 'Fiesta de barrio',
    occurredOn: '2026-03-18',
    neighborhood: 'alder',
    kind: 'outreach',
    link: 'https://news.example/party',
    isPublic: 'on',
  });
  t.equal(created.statusCode, 303);
  const id = Number(/\/events\/(\d+)$/.exec(created.headers.location as string)![1]);
  const row = database.sqlite.prepare('SELECT title, occurred_on, neighborhood_id, kind, link, is_public, description FROM events WHERE id = ?').get(id);
  t.same(row, {
    title: '{"en":"Block party","es":"Fiesta de barrio"}',
    occurred_on: '2026-03-18',
    neighborhood_id: 1,
    kind: 'outreach',
    link: 'https://news.example/party',
    is_public: 1,
    description: null,
  });

  const list = await get('/events');
  t.match(list.body, 'Block party');
  t.match(list.body, 'Alder');
  const editPage = await get(`/events/${id}/edit`);
  t.match(editPage.body, 'value="Block party"');
  t.match(editPage.body, 'value="Fiesta de barrio"');
  t.match(editPage.body, '<option value="alder" selected>');

  const edited = await post(`/events/${id}/edit`, { title_en: 'Block party on Elm', occurredOn: '2026-03-19', neighborhood: '', kind: 'other' });
  t.equal(edited.statusCode, 303);
  t.same(database.sqlite.prepare('SELECT title, neighborhood_id, is_public FROM events WHERE id = ?').get(id), {
    title: '{"en":"Block party on Elm"}',
    neighborhood_id: null,
    is_public: 0,
  });
  t.equal((await post(`/events/${id}/edit`, { title_en: '', occurredOn: '2026-03-19', kind: 'other' })).statusCode, 400);

  const asked = await post(`/events/${id}/delete`, {});
  t.equal(asked.statusCode, 200, 'deleting asks first');
  t.match(asked.body, 'Delete the event “Block party on Elm”?');
  t.equal(rowCount(database, 'events'), 1, 'nothing deleted before the confirmation');
  t.equal((await post(`/events/${id}/delete`, { confirmed: 'yes' })).statusCode, 303);
  t.equal(rowCount(database, 'events'), 0);
  t.match((await get('/events')).body, 'Event “Block party on Elm” deleted.', 'a message says it is done');
  t.same(
    audit(database).map((a) => [a.action, a.entityId]),
    [
      ['event.create', String(id)],
      ['event.update', String(id)],
      ['event.delete', String(id)],
    ],
  );
  t.equal((await get(`/events/${id}`)).statusCode, 404);
  t.equal((await get(`/events/${id}/edit`)).statusCode, 404);
  t.equal((await post(`/events/${id}/edit`, { title_en: 'x', occurredOn: '2026-03-19', kind: 'other' })).statusCode, 404);
  t.equal((await post(`/events/${id}/delete`, {})).statusCode, 404);
  t.equal((await get('/events/abc')).statusCode, 404);
});

t.test('impact: whole weeks either side, the event week left out, difference-in-differences', async (t) => {
  const { app, database, alder, birch, get, post } = await setup(t);
  // Event on Wednesday 2026-03-18: its week is 2026-03-16..22; 4 weeks before are 2026-02-16..03-15, after 03-23..04-19.
  await submit(app, alder.id, '2026-02-10', people(10, 1)); // in the 8-week window only
  await submit(app, alder.id, '2026-03-02', people(30, 3));
  await submit(
    app,
    alder.id,
    '2026-03-18',
    Array.from({ length: 10 }, () => ({ respect: 10, listening: 10 })),
  ); // event week
  await submit(app, alder.id, '2026-03-25', people(35, 5));
  await submit(app, birch.id, '2026-03-01', people(40, 7));
  await submit(app, birch.id, '2026-04-01', people(40, 9));
  const created = await post('/events/new', { title_en: 'Block party', occurredOn: '2026-03-18', neighborhood: 'alder', kind: 'outreach' });
  const id = Number(/\/events\/(\d+)$/.exec(created.headers.location as string)![1]);

  const res = await get(`/api/events/${id}/impact?weeks=4`);
  t.equal(res.statusCode, 200);
  const impact = res.json();
  t.same(impact.windows.before, { from: '2026-02-16', to: '2026-03-15' });
  t.same(impact.windows.after, { from: '2026-03-23', to: '2026-04-19' });
  const aBefore = expected(database, alder.id, '2026-02-16', '2026-03-15', 0);
  const aAfter = expected(database, alder.id, '2026-03-23', '2026-04-19', 0);
  const bBefore = expected(database, birch.id, '2026-02-16', '2026-03-15', 0);
  const bAfter = expected(database, birch.id, '2026-03-23', '2026-04-19', 0);
  t.equal(impact.area.before.n, 30);
  t.equal(impact.area.after.n, 35, 'the event week is left out');
  t.ok(Math.abs(impact.area.difference.estimate - (aAfter.mean - aBefore.mean)) < 1e-9);
  t.equal(impact.comparison.before.n, 40);
  const did = aAfter.mean - aBefore.mean - (bAfter.mean - bBefore.mean);
  t.ok(Math.abs(impact.differenceInDifferences.estimate - did) < 1e-9, 'DiD from plain means');
  t.ok(impact.differenceInDifferences.ci_low < did && impact.differenceInDifferences.ci_high > did);
  t.equal(impact.weekly.buckets.length, 9, '4 + 1 + 4 weeks');
  t.same(
    impact.weekly.series.map((s: { area: string }) => s.area),
    ['alder'],
  );

  const eight = (await get(`/api/events/${id}/impact`)).json();
  t.equal(eight.weeks, 8, 'default 8 weeks');
  // With 8 weeks the before window holds the week of 2026-02-09 with 10 responses, hidden on its own: the window
  // minus the shown weeks would reveal it, so the window is hidden too, and the difference with it.
  t.equal(eight.area.before.suppressed, true);
  t.equal(eight.comparison.before.suppressed, true);
  t.equal(eight.differenceInDifferences, null);

  const page = await get(`/events/${id}?weeks=12`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'association, not proof');
  t.match(page.body, 'Difference-in-differences');
  t.match(page.body, '<option value="12" selected>');

  t.equal((await get(`/api/events/${id}/impact?weeks=5`)).json().field, 'weeks');
  t.equal((await get(`/api/events/${id}/impact?measure=mood`)).json().field, 'measure');
  t.equal((await get(`/api/events/${id}/impact?survey=none`)).json().field, 'survey');
  t.equal((await get('/api/events/abc/impact')).statusCode, 400);
  const missing = await get('/api/events/999/impact');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error, 'Not Found');
  const badPage = await get(`/events/${id}?weeks=3`);
  t.equal(badPage.statusCode, 400);
  t.match(badPage.body, 'weeks: must be 4, 8 or 12');

  const cityWide = await post('/events/new', { title_en: 'New chief', occurredOn: '2026-03-18', kind: 'policy' });
  const cityId = Number(/\/events\/(\d+)$/.exec(cityWide.headers.location as string)![1]);
  const city = (await get(`/api/events/${cityId}/impact?weeks=4`)).json();
  t.equal(city.comparison, null);
  t.equal(city.differenceInDifferences, null);
  t.equal(city.area.before.n, 70);
  t.same(
    city.weekly.series.map((s: { area: string }) => s.area),
    ['city'],
  );
});

t.test('small windows are suppressed on both sides of the comparison', async (t) => {
  const { app, alder, birch, get, post } = await setup(t);
  await submit(app, alder.id, '2026-03-02', people(12, 3));
  await submit(app, alder.id, '2026-03-25', people(40, 5));
  await submit(app, birch.id, '2026-03-01', people(40, 7));
  await submit(app, birch.id, '2026-04-01', people(40, 9));
  const created = await post('/events/new', { title_en: 'Block party', occurredOn: '2026-03-18', neighborhood: 'alder', kind: 'outreach' });
  const impact = (await get(`${created.headers.location!.replace('/events/', '/api/events/')}/impact?weeks=4`)).json();
  t.equal(impact.area.before.suppressed, true);
  t.equal(impact.comparison.before.suppressed, true, 'the rest of the city is hidden too, or the city total would reveal it');
  t.equal(impact.area.difference, null);
  t.equal(impact.differenceInDifferences, null);
  t.equal(impact.area.after.n, 40);
});
