import type { FastifyInstance } from 'fastify';
import { parse } from 'csv-parse/sync';
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import { rollupsAndRecomputation, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, form } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
// The same value on every scale question: what a script stuffing the box sends.
const stuffed = { neighborhood: 'riverside', q_safety: '5', q_respect: '5', q_listening: '5', q_fairness: '5', q_confidence: '5' };
// Answers that vary from one to the next, as real residents' do.
const varied = (i: number, neighborhood = 'riverside') => ({
  neighborhood,
  q_safety: String(i % 11),
  q_respect: String((i * 3) % 11),
  q_listening: String((i * 7 + 1) % 11),
});

/** Posts answers from a new address each time, behind a trusted proxy (10.0.0.1), as a stuffer rotating X-Forwarded-For would. */
async function post(app: FastifyInstance, i: number, answers: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { ...formHeaders, 'x-forwarded-for': `198.51.${Math.floor(i / 250)}.${i % 250}`, ...headers },
    remoteAddress: '10.0.0.1',
    payload: form(answers),
  });
  if (res.statusCode !== 303) throw new Error(`submission ${i}: ${res.statusCode}`);
}

/** The one value of a one-row, one-column query. */
const value = async <T = number>(app: FastifyInstance, query: SQL) =>
  Object.values((await app.store.read((db) => app.store.rows<Record<string, T>>(db, query)))[0])[0];
const responsesWhere = (app: FastifyInstance, where: SQL) => value(app, sql`SELECT count(*) AS "n" FROM responses WHERE ${where}`);
const counted = (app: FastifyInstance) => responsesWhere(app, sql`NOT voided`);
const held = (app: FastifyInstance) => responsesWhere(app, sql`voided AND void_reason = 'held for review (quarantine)'`);
const rolledUp = (app: FastifyInstance) => value(app, sql`SELECT coalesce(sum(n), 0) AS "n" FROM monthly_rollups WHERE measure = 'trust'`);

async function figures(app: FastifyInstance, asAdmin: Awaited<ReturnType<typeof staffSessions>>['asAdmin']) {
  const today = dateIn(app.config.TIME_ZONE);
  const csv: string[][] = parse((await asAdmin.get('/admin/export.csv?survey=community-trust&format=wide')).body);
  const trends = (await asAdmin.get(`/api/trends?from=${today}&to=${today}`)).json<{ series: { area: string; cells: { n: number | null }[] }[] }>();
  return { exported: csv.length - 1, rolledUp: await rolledUp(app), trendN: trends.series.find((s) => s.area === 'city')!.cells[0].n };
}

t.test('500 identical answers from rotating addresses behind a trusted proxy are held, not counted, until an admin decides', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1', SUBMIT_RATE_LIMIT: '5' });
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const session = await staffSessions(app);
  const { asAdmin } = session;
  for (let i = 0; i < 3; i++) await post(app, 1000 + i, varied(i));
  for (let i = 0; i < 500; i++) await post(app, i, stuffed);

  t.equal(await responsesWhere(app, sql`TRUE`), 503, 'every answer is stored: nothing is dropped silently');
  t.equal(await held(app), 500, 'all 500 straight-lined answers are held (the burst took the first five of the day with it)');
  t.equal(await counted(app), 3, 'only the real answers count');
  const before = await figures(app, asAdmin);
  t.equal(before.exported, 3, 'the export leaves the held answers out');
  t.equal(before.rolledUp, 3, 'the rollups leave them out');
  t.same((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed);
  t.equal(before.trendN, null, 'the trends API does not count them (3 answers are below the floor)');

  const page = await asAdmin.get('/admin/quarantine');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Riverside, identical answers');
  t.match(page.body, '<dd>500</dd>', 'the count');
  const today = dateIn(app.config.TIME_ZONE);
  t.match(page.body, `${today} to ${today}`, 'the days it spans');
  t.match(page.body, '100% of these answers', 'the share of straight-lined answers');
  t.match(page.body, '<th scope="row">respect</th><td>5 × 500</td>', 'the answer pattern per question');
  t.equal((await session.asLiaison.get('/admin/quarantine')).statusCode, 403, 'and for admins only');

  // A held answer is not restored on its own.
  const one = await value(app, sql`SELECT id FROM responses WHERE voided LIMIT 1`);
  t.match((await asAdmin.get(`/admin/responses?id=${one}`)).body, 'Held for review with a burst');
  await asAdmin.post(`/admin/responses/${one}/restore`, {}, `/admin/responses?id=${one}`);
  t.equal(await held(app), 500, 'restoring one held answer is refused');

  const id = await value(app, sql`SELECT id FROM quarantines`);
  const noReason = await asAdmin.post(`/admin/quarantine/${id}/count`, { reason: ' ', confirmed: 'yes' }, '/admin/quarantine');
  t.equal(noReason.statusCode, 400, 'a reason is required');
  t.match(noReason.body, 'Give a reason');
  const ask = await asAdmin.post(`/admin/quarantine/${id}/count`, { reason: 'town hall meeting' }, '/admin/quarantine');
  t.match(ask.body, 'Count these answers', 'the confirmation page asks first');
  t.equal(await held(app), 500, 'nothing changes before the confirmation');
  const noToken = await session.asAdmin.postWithoutToken(`/admin/quarantine/${id}/count`, { reason: 'x', confirmed: 'yes' });
  t.equal(noToken.statusCode, 403, 'CSRF is checked');

  const done = await asAdmin.post(`/admin/quarantine/${id}/count`, { reason: 'town hall meeting', confirmed: 'yes' }, '/admin/quarantine');
  t.equal(done.statusCode, 303);
  const next = await app.inject({ url: '/admin/quarantine', headers: { cookie: session.adminJar.header() } });
  t.match(next.body, '500 held answers of Riverside counted.', 'a flash message says what was done');
  t.equal(await counted(app), 503, 'counted: they join the figures');
  const after = await figures(app, asAdmin);
  t.equal(after.exported, 503);
  t.equal(after.rolledUp, 503);
  t.ok(after.trendN! > 450, `the trends API counts them (n ${after.trendN})`);
  t.same((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed, 'rollups (cell keys included) equal a recomputation');
  t.equal((await asAdmin.post(`/admin/quarantine/${id}/void`, { reason: 'x', confirmed: 'yes' }, '/admin/quarantine')).statusCode, 404, 'decided once');
  const { auditLog, quarantines, responses } = store.tables;
  const audit = await store.read((db) =>
    db
      .select({ details: auditLog.details })
      .from(auditLog)
      .where(sql`${auditLog.action} = 'quarantine.count'`),
  );
  t.same(
    audit.map((d) => d.details),
    [{ responses: 500, reason: 'town hall meeting' }],
    'the decision is audited',
  );

  // Nothing about the burst records an address or a time of day.
  const stored = JSON.stringify(await store.read((db) => db.select().from(quarantines)));
  t.notMatch(stored, /198\.51|10\.0\.0|\d\d:\d\d/, `no address or time in ${stored}`);
  const columns = Object.values(getTableColumns(responses)).map((c) => c.name);
  t.notOk(
    columns.some((c) => /ip|addr|agent|time|_at$/.test(c)),
    `responses columns: ${columns.join(', ')}`,
  );
});

t.test('a voided burst stays out of every figure; a later burst the same day is held again', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1' });
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  for (let i = 0; i < 20; i++) await post(app, i, stuffed);
  t.equal(await held(app), 20);
  const id = await value(app, sql`SELECT id FROM quarantines`);
  await asAdmin.post(`/admin/quarantine/${id}/void`, { reason: 'a bot', confirmed: 'yes' }, '/admin/quarantine');
  t.equal(await responsesWhere(app, sql`voided AND void_reason = 'a bot'`), 20, 'voided with the admin’s reason');
  t.equal((await figures(app, asAdmin)).exported, 0);
  t.equal(await rolledUp(app), 0);
  t.match((await asAdmin.get('/admin/quarantine')).body, 'No answers are held for review.');
  for (let i = 0; i < 10; i++) await post(app, 100 + i, stuffed);
  t.equal(await held(app), 10, 'the bot coming back is held in a new burst');
  t.equal(await value(app, sql`SELECT count(*) AS "n" FROM quarantines WHERE status = 'held'`), 1);
  t.same((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed);
});

t.test('a volume burst of varied answers is held; the same burst on a staff kiosk link is not', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1', PUBLIC_URL: 'http://trust.example.org' });
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin } = await staffSessions(app);
  for (let i = 0; i < 45; i++) await post(app, i, varied(i));
  t.equal(await responsesWhere(app, sql`neighborhood_id = 1 AND NOT voided`), 30, 'the first 30 of the day count');
  t.equal(await held(app), 15, 'the rest are held');
  t.match((await asAdmin.get('/admin/quarantine')).body, 'Riverside, unusual volume');

  const issued = await asAdmin.post(
    '/outreach/kiosk-links',
    { survey: 'community-trust', neighborhood: 'old-town' },
    '/outreach?survey=community-trust&neighborhood=old-town',
  );
  const link = /href="https?:\/\/[^/"]+(\/kiosk\/[^"]+)"/.exec(issued.body)![1];
  const opened = await app.inject(link);
  const device = { cookie: `cg_kiosk=${opened.cookies.find((c) => c.name === 'cg_kiosk')!.value}` };
  for (let i = 0; i < 45; i++) await post(app, 500 + i, { ...varied(i, 'old-town'), channel: 'kiosk' }, device);
  t.equal(await responsesWhere(app, sql`neighborhood_id = 2 AND channel = 'kiosk' AND NOT voided`), 45, 'a cookout on a kiosk link counts in full');
  t.equal(await held(app), 15);
  t.same((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed);
});

t.test('a burst sent all at once is counted up to the floor exactly, in one quarantine per rule', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1', SUBMIT_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'Riverside');
  await Promise.all(Array.from({ length: 80 }, (_, i) => post(app, i, varied(i))));
  t.equal(await counted(app), 30, 'the first 30 count, whichever they are');
  t.equal(await held(app), 50, 'the rest are held');
  t.equal(await value(app, sql`SELECT count(*) AS "n" FROM quarantines WHERE status = 'held'`), 1, 'one volume burst');
  await Promise.all(Array.from({ length: 20 }, (_, i) => post(app, 100 + i, stuffed)));
  t.equal(
    await value(app, sql`SELECT count(*) AS "n" FROM quarantines WHERE status = 'held' AND reason = 'identical-answers'`),
    1,
    'one identical-answers burst',
  );
  t.same((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed);
});

t.test('a neighborhood used to many answers a day is held only far above its own rate', async (t) => {
  const { app, store } = await buildTestApp(t, { TRUST_PROXY: '1' });
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const today = dateIn(app.config.TIME_ZONE);
  // 20 a day for the previous 28 days: held beyond 5 × 20 = 100 today.
  await seedResponses(
    app,
    Array.from({ length: 28 * 20 }, (_, i) => ({
      neighborhoodId: riverside.id,
      submittedOn: addDays(today, -1 - (i % 28)),
      answers: { respect: i % 11, listening: 3 },
    })),
  );
  for (let i = 0; i < 105; i++) await post(app, i, varied(i));
  t.equal(await held(app), 5, 'the 101st and later are held');
});
