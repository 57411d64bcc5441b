import { eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { dateIn } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { bucketLabel, bucketStart, shiftBucket } from '../../src/stats/buckets.js';
import { COUNT_NOISE_SD, SUM_NOISE_SD } from '../../src/stats/perturbation.js';
import { DETECTION_FACTOR } from '../../src/stats/power.js';
import { tQuantile } from '../../src/stats/t-distribution.js';
import { addNeighborhoods, buildTestApp, csrfFrom, form, rowCount } from '../helper/app.js';
import { seedResponses, staffSessions, type SeedResponse } from '../helper/admin.js';
import { describe, people, submit, trustScores, type Person } from '../helper/responses.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const { app, store, database } = await buildTestApp(t);
  const [alder, birch] = await addNeighborhoods(store, 'Alder', 'Birch');
  const { asAdmin, asLiaison, liaisonJar: jar } = await staffSessions(app);
  const get = asLiaison.get;
  const post = async (url: string, fields: Record<string, string>, withToken = true) => {
    const page = await get('/events/new');
    return app.inject({
      method: 'POST',
      url,
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ ...fields, ...(withToken ? { _csrf: csrfFrom(page.body) ?? '' } : {}) }),
    });
  };
  const eventId = async (fields: Record<string, string>) => Number(/\/events\/(\d+)$/.exec((await post('/events/new', fields)).headers.location as string)![1]);
  return { app, store, database, alder, birch, jar, get, admin: asAdmin.get, post, eventId };
}

const audit = (store: Store) => {
  const { auditLog } = store.tables;
  return store.read((db) => db.select({ action: auditLog.action, entityId: auditLog.entityId, userId: auditLog.userId }).from(auditLog).orderBy(auditLog.id));
};

/** An event as stored. */
const storedEvent = async (store: Store, id: number) => {
  const { events } = store.tables;
  const [row] = await store.read((db) =>
    db
      .select({
        title: events.title,
        occurredOn: events.occurredOn,
        neighborhoodId: events.neighborhoodId,
        kind: events.kind,
        link: events.link,
        isPublic: events.isPublic,
        description: events.description,
      })
      .from(events)
      .where(eq(events.id, id)),
  );
  return row;
};

t.test('liaisons add, edit and delete events; each change is audited', async (t) => {
  const { app, store, get, post, jar } = await setup(t);
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
  t.equal(await rowCount(store, 'events'), 0);

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
  t.same(await storedEvent(store, id), {
    title: { en: 'Block party', es: 'Fiesta de barrio' },
    occurredOn: '2026-03-18',
    neighborhoodId: 1,
    kind: 'outreach',
    link: 'https://news.example/party',
    isPublic: true,
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
  t.match(await storedEvent(store, id), {
    title: { en: 'Block party on Elm' },
    neighborhoodId: null,
    isPublic: false,
  });
  t.same((await storedEvent(store, id)).title, { en: 'Block party on Elm' }, 'the Spanish title removed');
  t.equal((await post(`/events/${id}/edit`, { title_en: '', occurredOn: '2026-03-19', kind: 'other' })).statusCode, 400);

  const asked = await post(`/events/${id}/delete`, {});
  t.equal(asked.statusCode, 200, 'deleting asks first');
  t.match(asked.body, 'Delete the event “Block party on Elm”?');
  t.equal(await rowCount(store, 'events'), 1, 'nothing deleted before the confirmation');
  t.equal((await post(`/events/${id}/delete`, { confirmed: 'yes' })).statusCode, 303);
  t.equal(await rowCount(store, 'events'), 0);
  // Read directly: the helper's GET fetches a CSRF token from another page first, which would show the message there.
  const afterDelete = await app.inject({ url: '/events', headers: { cookie: jar.header() } });
  t.match(afterDelete.body, 'Event “Block party on Elm” deleted.', 'a message says it is done');
  t.same(
    (await audit(store)).map((a) => [a.action, a.entityId]),
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

/** Scores of 80 and 90 (answers 8/8 and 9/9), alternating: a clear rise from `people`'s average of about 50. */
const high = (n: number): Person[] => Array.from({ length: n }, (_, i) => (i % 2 ? { respect: 8, listening: 8 } : { respect: 9, listening: 9 }));
/** Scores of 50 and 60, alternating: little spread, so small samples detect small changes. */
const steady = (n: number): Person[] => Array.from({ length: n }, (_, i) => (i % 2 ? { respect: 5, listening: 5 } : { respect: 6, listening: 6 }));

const close = (t: Test, actual: number | null | undefined, want: number, what: string) =>
  t.ok(actual != null && Math.abs(actual - want) < 1e-9, `${what}: ${actual} ≈ ${want}`);

t.test('impact: whole months either side, the event month left out, difference-in-differences and a verdict (exact for admins)', async (t) => {
  const { app, store, alder, birch, admin, eventId } = await setup(t);
  // Event on 2026-03-18: March is left out; one month either side is February and April.
  await submit(app, alder.id, '2026-01-15', people(10, 1)); // only in the 3- and 6-month windows
  await submit(app, alder.id, '2026-02-10', people(40, 3));
  await submit(
    app,
    alder.id,
    '2026-03-25',
    Array.from({ length: 10 }, () => ({ respect: 0, listening: 0 })),
  ); // the event month, after the event: left out all the same
  await submit(app, alder.id, '2026-04-10', high(40));
  await submit(app, birch.id, '2026-02-01', people(40, 7));
  await submit(app, birch.id, '2026-04-01', people(40, 9));
  const id = await eventId({ title_en: 'Block party', occurredOn: '2026-03-18', neighborhood: 'alder', kind: 'outreach' });

  const res = await admin(`/api/events/${id}/impact?months=1`);
  t.equal(res.statusCode, 200);
  const impact = res.json();
  t.equal(impact.months, 1);
  t.same(impact.windows.before, { from: '2026-02-01', to: '2026-02-28' });
  t.same(impact.windows.eventMonth, { from: '2026-03-01', to: '2026-03-31' });
  t.same(impact.windows.after, { from: '2026-04-01', to: '2026-04-30' });
  t.equal(impact.event.monthLabel, '2026-03');
  const aBefore = describe(await trustScores(store, [alder.id], '2026-02-01', '2026-02-28'));
  const aAfter = describe(await trustScores(store, [alder.id], '2026-04-01', '2026-04-30'));
  const bBefore = describe(await trustScores(store, [birch.id], '2026-02-01', '2026-02-28'));
  const bAfter = describe(await trustScores(store, [birch.id], '2026-04-01', '2026-04-30'));
  t.equal(impact.area.before.n, 40);
  t.equal(impact.area.after.n, 40, 'the event month is left out');
  t.equal(impact.after_months_available, 1);
  close(t, impact.area.before.mean, aBefore.mean, 'before mean');
  close(t, impact.area.difference.estimate, aAfter.mean - aBefore.mean, 'before/after difference');
  t.equal(impact.comparison.before.n, 40, 'the rest of the city');
  const did = aAfter.mean - aBefore.mean - (bAfter.mean - bBefore.mean);
  close(t, impact.differenceInDifferences.estimate, did, 'DiD from plain means');
  const se = Math.sqrt(aBefore.se ** 2 + aAfter.se ** 2 + bBefore.se ** 2 + bAfter.se ** 2);
  close(t, impact.differenceInDifferences.se, se, 'its standard error from the four plain standard errors');
  t.ok(impact.differenceInDifferences.ci_low > 0, 'the interval excludes 0');

  const v = impact.verdict;
  t.equal(v.kind, 'clear-rise');
  t.same(v.estimate, impact.differenceInDifferences, 'a neighborhood event is judged on the difference-in-differences');
  close(t, v.t, did / se, 't');
  close(t, v.minimum_detectable, DETECTION_FACTOR * se, 'minimum detectable change');
  t.equal(v.target, 10);
  t.ok(v.placebo.windows < 20 && v.placebo.enough === false, 'too little history for placebo windows');
  // The before-window and Birch's windows alone exceed the variance a 10-point change allows: no later responses help.
  t.ok((10 / DETECTION_FACTOR) ** 2 < aBefore.se ** 2 + bBefore.se ** 2 + bAfter.se ** 2);
  t.equal(v.responses_for_target, null, 'no number of responses after the event would detect 10 points');
  t.equal(impact.monthly.buckets.length, 3, '1 + 1 + 1 months');
  t.same(
    impact.monthly.buckets.map((b: { label: string }) => b.label),
    ['2026-02', '2026-03', '2026-04'],
  );
  t.same(
    impact.monthly.series.map((s: { area: string }) => s.area),
    ['alder'],
  );

  t.equal((await admin(`/api/events/${id}/impact`)).json().months, 6, 'default 6 months');
  const three = (await admin(`/api/events/${id}/impact?months=3`)).json();
  t.equal(three.months, 3);
  t.same(three.windows.before, { from: '2025-12-01', to: '2026-02-28' });
  t.same(three.windows.after, { from: '2026-04-01', to: '2026-06-30' });
  t.equal(three.area.before.n, 50, 'January’s 10 pool with February: no month hidden on its own');
  t.equal(three.monthly.buckets.length, 7);

  const page = await admin(`/events/${id}?months=6`);
  t.equal(page.statusCode, 200);
  t.match(page.body, 'association, not proof');
  t.match(page.body, 'Difference-in-differences');
  t.match(page.body, '<option value="6" selected>6 months</option>');
  t.match(page.body, '6 whole months before (2025-09-01 to 2026-02-28) and after (2026-04-01 to 2026-09-30)');
  t.match(page.body, '<section class="verdict verdict-clear-rise"');
  t.match(page.body, '<h2 id="verdict-title">Clear rise</h2>');
  t.match(page.body, 'the smallest change that can be told from noise is');
  t.match(page.body, '(20 are needed to judge how unusual a change is), so the verdict rests on the interval alone.');
  t.match(page.body, 'No number of further responses after the event would detect a 10-point change');
  t.match(page.body, '2026-03 (event month, left out)');

  const cityId = await eventId({ title_en: 'New chief', occurredOn: '2026-03-18', kind: 'policy' });
  const city = (await admin(`/api/events/${cityId}/impact?months=1`)).json();
  t.equal(city.comparison, null);
  t.equal(city.differenceInDifferences, null);
  t.equal(city.area.before.n, 80);
  t.same(city.verdict.estimate, city.area.difference, 'a city-wide event is judged on before/after');
  t.same(
    city.monthly.series.map((s: { area: string }) => s.area),
    ['city'],
  );
});

t.test('bad impact queries: 400 naming the field; unknown events 404', async (t) => {
  const { app, alder, get, eventId } = await setup(t);
  await submit(app, alder.id, '2026-02-10', people(30, 3));
  const id = await eventId({ title_en: 'Block party', occurredOn: '2026-03-18', neighborhood: 'alder', kind: 'outreach' });
  for (const months of ['5', '0', '12', 'x', '4']) {
    const res = await get(`/api/events/${id}/impact?months=${months}`);
    t.equal(res.statusCode, 400, `months=${months}`);
    t.equal(res.json().field, 'months');
    t.match(res.json().message, 'months: must be 1, 3 or 6');
  }
  t.equal((await get(`/api/events/${id}/impact?weeks=8`)).statusCode, 200, 'an unknown parameter is ignored');
  t.equal((await get(`/api/events/${id}/impact?measure=mood`)).json().field, 'measure');
  t.equal((await get(`/api/events/${id}/impact?survey=none`)).json().field, 'survey');
  t.equal((await get('/api/events/abc/impact')).statusCode, 400);
  const missing = await get('/api/events/999/impact');
  t.equal(missing.statusCode, 404);
  t.equal(missing.json().error, 'Not Found');
  const badPage = await get(`/events/${id}?months=2`);
  t.equal(badPage.statusCode, 400);
  t.match(badPage.body, 'months: must be 1, 3 or 6');
  t.match(badPage.body, 'href="#impact-months"');
});

t.test('too few and no clear change: the verdict says which, and what more responses would buy', async (t) => {
  const { app, store, alder, birch, admin, eventId } = await setup(t);
  // Twelve before the event: a count but no mean, so no difference and "too few".
  await submit(app, alder.id, '2026-02-02', people(12, 3));
  await submit(app, alder.id, '2026-04-25', people(40, 5));
  await submit(app, birch.id, '2026-02-01', people(40, 7));
  await submit(app, birch.id, '2026-04-01', people(40, 9));
  const few = await eventId({ title_en: 'Block party', occurredOn: '2026-03-18', neighborhood: 'alder', kind: 'outreach' });
  const impact = (await admin(`/api/events/${few}/impact?months=1`)).json();
  t.same([impact.area.before.n, impact.area.before.mean, impact.area.before.suppressed], [12, null, true]);
  t.equal(impact.area.difference, null);
  t.equal(impact.differenceInDifferences, null);
  t.equal(impact.area.after.n, 40);
  t.equal(impact.verdict.kind, 'too-few');
  t.equal(impact.verdict.minimum_detectable, null);
  t.equal(impact.verdict.responses_for_target, null, 'no number of later responses makes up for a thin before-window');
  const page = (await admin(`/events/${few}?months=1`)).body;
  t.match(page, '<h2 id="verdict-title">Too few responses to tell</h2>');
  t.match(page, 'No number of further responses after the event would detect a 10-point change');

  // Birch: the same steady answers before and after, in Birch and elsewhere: no change, and enough to see 10 points.
  await submit(app, birch.id, '2026-06-02', steady(40));
  await submit(app, birch.id, '2026-08-02', steady(40));
  await submit(app, alder.id, '2026-06-02', steady(40));
  await submit(app, alder.id, '2026-08-02', steady(40));
  const flat = await eventId({ title_en: 'Walking beat', occurredOn: '2026-07-09', neighborhood: 'birch', kind: 'policy' });
  const none = (await admin(`/api/events/${flat}/impact?months=1`)).json();
  t.equal(none.differenceInDifferences.estimate, 0);
  t.equal(none.verdict.kind, 'no-clear-change');
  t.ok(none.verdict.minimum_detectable < 10, `small enough to see 10 points (${none.verdict.minimum_detectable})`);
  t.equal(none.verdict.responses_for_target, 0);
  t.match((await admin(`/events/${flat}?months=1`)).body, '<h2 id="verdict-title">No clear change</h2>');

  // A thin, spread-out after-window: more responses after the event would let it see 10 points.
  await submit(app, alder.id, '2025-04-02', steady(40));
  await submit(app, birch.id, '2025-04-02', steady(40));
  await submit(app, alder.id, '2025-06-02', people(30, 3));
  await submit(app, birch.id, '2025-06-02', steady(40));
  const thin = await eventId({ title_en: 'Town hall', occurredOn: '2025-05-14', neighborhood: 'alder', kind: 'outreach' });
  const more = (await admin(`/api/events/${thin}/impact?months=1`)).json();
  const others = [
    [alder.id, '2025-04-01', '2025-04-30'],
    [birch.id, '2025-04-01', '2025-04-30'],
    [birch.id, '2025-06-01', '2025-06-30'],
  ] as const;
  const otherScores = await Promise.all(others.map(([id, from, to]) => trustScores(store, [id], from, to)));
  const budget = (10 / DETECTION_FACTOR) ** 2 - otherScores.reduce((sum, scores) => sum + describe(scores).se ** 2, 0);
  const after = describe(await trustScores(store, [alder.id], '2025-06-01', '2025-06-30'));
  const needed = Math.ceil(after.sd ** 2 / budget) - after.n;
  t.ok(needed > 0, `${needed} more responses needed`);
  t.equal(more.verdict.responses_for_target, needed, 'responses needed for a 10-point change, from the plain variances');
  t.match((await admin(`/events/${thin}?months=1`)).body, `About ${needed} more responses after the event would detect a 10-point change.`);
});

t.test('placebo windows: with two years of history, a change is clear only when it beats the same change at quiet months', async (t) => {
  const { app, alder, birch, admin, eventId } = await setup(t);
  const [cedar] = await addNeighborhoods(app.store, 'Cedar');
  const ids = [alder.id, birch.id, cedar.id];
  const rows: SeedResponse[] = [];
  // 2024-01 to 2026-04, forty steady answers a month everywhere; Alder jumps by 30 points from February 2026.
  for (let month = '2024-01-01'; month <= '2026-04-01'; month = shiftBucket(month, 'month', 1)) {
    for (const id of ids) {
      const people = id === alder.id && month >= '2026-02-01' ? high(40) : steady(40);
      for (const p of people) rows.push({ neighborhoodId: id, submittedOn: month, answers: { respect: p.respect, listening: p.listening } });
    }
  }
  await seedResponses(app, rows);
  const jump = await eventId({ title_en: 'New community officer', occurredOn: '2026-01-20', neighborhood: 'alder', kind: 'policy' });
  const impact = (await admin(`/api/events/${jump}/impact?months=1`)).json();
  t.ok(impact.verdict.placebo.windows >= 20, `${impact.verdict.placebo.windows} placebo windows`);
  t.equal(impact.verdict.placebo.enough, true);
  t.equal(impact.verdict.placebo.exceeded, 1, 'larger than every placebo change');
  t.equal(impact.verdict.kind, 'clear-rise');
  const page = (await admin(`/events/${jump}?months=1`)).body;
  t.match(page, `The change is larger than 100% of the same changes at ${impact.verdict.placebo.windows} comparison windows with no event`);

  // An event in a quiet month changes nothing and is no more unusual than the placebos.
  const quiet = await eventId({ title_en: 'Open house', occurredOn: '2025-06-11', neighborhood: 'birch', kind: 'outreach' });
  const q = (await admin(`/api/events/${quiet}/impact?months=1`)).json();
  t.equal(q.verdict.kind, 'no-clear-change');
  t.ok(q.verdict.placebo.exceeded < 0.95, `not unusual (${q.verdict.placebo.exceeded})`);
});

t.test('liaisons: protected figures of complete months only, with the months still to come said plainly', async (t) => {
  const { app, alder, birch, get, admin, eventId } = await setup(t);
  const thisMonth = bucketStart(dateIn('UTC'), 'month');
  const lastMonth = shiftBucket(thisMonth, 'month', -1);
  const before = shiftBucket(lastMonth, 'month', -1);
  for (const id of [alder.id, birch.id]) {
    await submit(app, id, before, people(40, 3));
    await submit(app, id, thisMonth, people(40, 5));
  }
  const id = await eventId({ title_en: 'Block party', occurredOn: lastMonth, neighborhood: 'alder', kind: 'outreach' });
  const exact = (await admin(`/api/events/${id}/impact?months=1`)).json();
  t.equal(exact.after_months_available, 1, 'admins: this month counts so far');
  t.equal(exact.area.after.n, 40);

  const res = await get(`/api/events/${id}/impact?months=1`);
  t.equal(res.statusCode, 200);
  const impact = res.json();
  t.equal(impact.after_months_available, 0, 'liaisons: no complete month after the event yet');
  t.same([impact.area.after.n, impact.area.after.mean], [null, null], 'nothing of this month');
  t.equal(impact.verdict.kind, 'too-few');
  t.notOk(
    impact.monthly.buckets.some((b: { start: string }) => b.start >= thisMonth),
    'no bucket of the current month',
  );
  t.equal(impact.monthly.buckets.at(-1).label, bucketLabel(lastMonth, 'month'));
  const b = impact.area.before;
  t.ok(b.n >= 30 && Math.abs(b.n - 40) <= 10, `before: perturbed n ${b.n}`);
  t.not(b.mean, exact.area.before.mean, 'before: perturbed mean');
  const se = Math.sqrt(b.sd ** 2 / b.n + (SUM_NOISE_SD ** 2 + b.mean ** 2 * COUNT_NOISE_SD ** 2) / b.n ** 2);
  t.ok(Math.abs(b.ci_high - b.mean - tQuantile(0.975, b.n - 1) * se) < 1e-6, 'interval: sampling and noise variance');
  const page = (await get(`/events/${id}?months=3`)).body;
  t.match(page, '0 of 3 months after the event are complete so far.');
});

t.test('an event whose windows lie past the last released month is answered with its page, never a 500', async (t) => {
  const { get, admin, eventId, alder } = await setup(t);
  const today = dateIn('America/Chicago');
  for (const occurredOn of [today, shiftBucket(bucketStart(today, 'month'), 'month', 3)]) {
    const id = await eventId({ title_en: `Later ${occurredOn}`, occurredOn, kind: 'outreach', neighborhood: alder.slug });
    for (const months of ['1', '3', '6']) {
      t.equal((await get(`/events/${id}?months=${months}`)).statusCode, 200, `liaison, ${occurredOn}, ${months} months`);
      t.equal((await admin(`/events/${id}?months=${months}`)).statusCode, 200, `admin, ${occurredOn}, ${months} months`);
      t.equal((await get(`/api/events/${id}/impact?months=${months}`)).statusCode, 200, `API, ${occurredOn}, ${months} months`);
    }
  }
});
