import { and, eq } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { demoStaff } from '../../src/demo/generate.js';
import { bucketEnd, bucketStart, lastCompleteMonthEnd, shiftBucket } from '../../src/stats/buckets.js';
import { addNeighborhoods, buildTestApp, createStaff, csrfFrom, form, login } from '../helper/app.js';
import { buildDemoApp } from '../helper/demo.js';
import { people, submit } from '../helper/responses.js';

/** A demo city, smaller than the full demo. */
const city = { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 };
const demoApp = (t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}, published = true) => buildDemoApp(t, city, { env, published });

const publishAll = (store: Store, published = true) => store.transaction((tx) => tx.update(store.tables.surveys).set({ published }));

t.test('unpublished results are not found', async (t) => {
  const { app } = await demoApp(t, {}, false);
  for (const url of ['/public/community-trust', '/public/community-trust/embed', '/public/community-trust/data.csv', '/public/nope']) {
    t.equal((await app.inject(url)).statusCode, 404, url);
  }
  const list = await app.inject('/public');
  t.match(list.body, 'No results have been published yet.');
});

t.test('the public page: trust over time with intervals, dimensions, public events, method; never free text', async (t) => {
  const { app, store } = await demoApp(t);
  await store.transaction((tx) =>
    tx.insert(store.tables.events).values({ title: { en: 'Private briefing' }, occurredOn: dateIn('UTC'), kind: 'other', isPublic: false }),
  );
  const res = await app.inject('/public/community-trust');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'What residents told us: Community Trust Survey');
  t.match(res.body, 'Trust in police over time');
  t.match(
    res.body,
    /<strong>\d+\.\d<\/strong> <span class="ci">\(\d+\.\d–\d+\.\d\)<\/span> <span class="n">n&nbsp;=&nbsp;\d+, n<sub>eff<\/sub>&nbsp;=&nbsp;\d+\.\d<\/span>/,
    'weighted means with intervals, n and n_eff',
  );
  t.match(res.body, 'Cookout with officers at Riverside Park', 'public events marked');
  t.notMatch(res.body, 'Private briefing', 'non-public events left out');
  t.match(res.body, 'People chose to answer, so the answers are weighted to the census', 'the demo has census margins: weighted, and says so');
  const switchLink = /<a href="([^"]+weighting(?:=|&#x3D;)unweighted[^"]*)">Show the unweighted figures/
    .exec(res.body)?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=');
  t.ok(switchLink, 'a switch to the unweighted figures');
  const unweighted = await app.inject(switchLink!);
  t.match(unweighted.body, 'People chose to answer: this is not a random sample');
  t.match(unweighted.body, /<span class="n">n&nbsp;=&nbsp;\d+<\/span>/, 'unweighted: n alone');
  t.match(unweighted.body, 'Show the figures weighted to the census');
  t.match(res.body, 'Police treat everyone fairly', 'dimension scores');
  const { answers, questions } = store.tables;
  const texts = await store.read((db) =>
    db.selectDistinct({ v: answers.valueText }).from(answers).innerJoin(questions, eq(questions.id, answers.questionId)).where(eq(questions.code, 'top_issue')),
  );
  t.ok(texts.length > 0);
  for (const { v } of texts) t.notMatch(res.body, v!, 'no free-text answer appears');
  t.match(res.body, '<script type="application/json" id="public-trend-data" data-chart="trend"');
  const home = await app.inject('/');
  t.match(home.body, 'href="/public/community-trust?lang=en"');
});

t.test('small groups are hidden on the public page and in its open data; complete months only', async (t) => {
  const { app, store } = await demoApp(t, { MIN_GROUP_SIZE: '100', MIN_RELIABLE_SIZE: '200', LOW_RELIABILITY_SIZE: '400' });
  const res = await app.inject('/public/community-trust?bucket=quarter');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'not enough responses (fewer than 200)');
  t.match(res.body, 'no count under 100 is ever shown');
  const chart = JSON.parse(/id="public-trend-data"[^>]*>([^<]*)<\/script>/.exec(res.body)![1]);
  const today = dateIn('UTC');
  t.equal(chart.trends.bucket, 'quarter');
  t.ok(chart.trends.buckets.at(-1).start <= lastCompleteMonthEnd(today), 'the last quarter shown has a complete month');
  const csv = await app.inject('/public/community-trust/data.csv?bucket=quarter');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-disposition'], /^attachment; filename="community-trust-public-quarter-\d{4}-\d{2}-\d{2}\.csv"$/);
  const rows = parse<Record<string, string>>(csv.body, { columns: true });
  t.ok(rows.length > 0);
  for (const row of rows) {
    const what = `${row.AREA} ${row.START_DATE}`;
    t.ok(row.END_DATE <= lastCompleteMonthEnd(today) || row.END_DATE === bucketEnd(bucketStart(today, 'quarter'), 'quarter'), `${what}: ends by this quarter`);
    t.equal(row.WINDOW_MONTHS, '3', `${what}: a quarter`);
    for (const n of Object.keys(row).filter((c) => c.startsWith('N_'))) {
      if (row[n] !== '') t.ok(Number(row[n]) >= 100, `${what} ${n}: shown only from 100 responses (${row[n]})`);
      if (row[n.slice(2)] !== '') t.ok(Number(row[n]) >= 200, `${what} ${n.slice(2)}: a mean only from 200 (${row[n]})`);
    }
  }
  // The quarter still filling counts only complete months: its figures equal those of the months so far, pooled.
  const thisQuarter = rows.filter((r) => r.START_DATE === bucketStart(today, 'quarter') && r.AREA === 'CITYWIDE');
  const monthly = parse<Record<string, string>>((await app.inject('/public/community-trust/data.csv?bucket=month&rolling=1')).body, { columns: true });
  const monthsSoFar = monthly.filter((r) => r.AREA === 'CITYWIDE' && r.START_DATE >= bucketStart(today, 'quarter'));
  t.ok(
    monthly.every((r) => r.END_DATE <= lastCompleteMonthEnd(today)),
    'no month still filling',
  );
  if (thisQuarter.length === 1 && monthsSoFar.every((r) => r.N_TRUST_INDEX !== '')) {
    t.equal(
      Number(thisQuarter[0].N_TRUST_INDEX),
      monthsSoFar.reduce((sum, r) => sum + Number(r.N_TRUST_INDEX), 0),
      'the quarter so far is the sum of its complete months',
    );
  }
  // Quarter × neighborhood: the raw count of the smallest group, recomputed directly, is under the threshold.
  const { responses, responseScores } = store.tables;
  const scored = await store.read((db) =>
    db
      .select({ neighborhood: responses.neighborhoodId, day: responses.submittedOn })
      .from(responses)
      .innerJoin(responseScores, and(eq(responseScores.responseId, responses.id), eq(responseScores.measure, 'trust'))),
  );
  const groups = new Map<string, number>();
  for (const r of scored) {
    const key = `${r.neighborhood}:${bucketStart(r.day, 'quarter')}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  t.ok(Math.min(...groups.values()) < 200, 'some groups really are small, so hiding was needed');
});

t.test('public figures are the protected ones, and bucket and rolling choose the window', async (t) => {
  const { app } = await demoApp(t);
  const today = dateIn('UTC');
  const csv = async (query: string) => parse<Record<string, string>>((await app.inject(`/public/community-trust/data.csv?${query}`)).body, { columns: true });
  for (const [query, months] of [
    ['bucket=month&rolling=1', '1'],
    ['bucket=month&rolling=3', '3'],
    ['rolling=12', '12'],
    ['bucket=quarter', '3'],
    ['bucket=quarter&rolling=3', '9'],
  ] as const) {
    const got = await csv(query);
    t.ok(got.length > 0 && got.every((r) => r.WINDOW_MONTHS === months), `${query}: ${months}-month windows`);
    t.ok(
      got.every((r) => r.END_DATE <= lastCompleteMonthEnd(today) || query.includes('quarter')),
      `${query}: complete months only`,
    );
  }
  const page = await app.inject('/public/community-trust');
  const dataUrl = /href="(\/public\/community-trust\/data\.csv[^"]*)"/
    .exec(page.body)![1]
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=');
  const rolling = new URL(dataUrl, 'http://x').searchParams.get('rolling');
  t.ok(['1', '3', '6', '12'].includes(rolling!), `the page opens on a rolling window (${rolling}) and links its data`);
  const opened = await csv('');
  t.ok(
    opened.every((r) => r.WINDOW_MONTHS === rolling),
    'the data without parameters uses the same window',
  );
  t.same(await csv('rolling=5&bucket=week'), opened, 'a window not offered falls back to the default');

  // The public sees what liaisons see: the same perturbed atoms, nothing exact.
  const from = shiftBucket(bucketStart(today, 'month'), 'month', -24);
  const liaison = await login(app, demoStaff[1].email, demoStaff[1].password);
  const token = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: liaison.jar.header() } })).body)!;
  const staffCsv = async (jar: typeof liaison.jar, csrf: string) =>
    (
      await app.inject({
        url: `/results/export.csv?from=${from}&to=${lastCompleteMonthEnd(today)}&bucket=month&rolling=1`,
        headers: { cookie: jar.header(), 'csrf-token': csrf },
      })
    ).body;
  const publicCsv = (await app.inject('/public/community-trust/data.csv?bucket=month&rolling=1')).body;
  t.equal(publicCsv, await staffCsv(liaison.jar, token), 'the open data is the liaisons’ export of the same months');
  const admin = await login(app, demoStaff[0].email, demoStaff[0].password);
  const adminToken = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: admin.jar.header() } })).body)!;
  t.not(publicCsv, await staffCsv(admin.jar, adminToken), 'and not the exact figures admins see');
});

t.test('the public page at low volume: a wide enough window, no small counts, the current month left out', async (t) => {
  const { app, store } = await buildTestApp(t);
  await publishAll(store);
  const [alder, birch] = await addNeighborhoods(store, 'Alder', 'Birch');
  const today = dateIn('UTC');
  const thisMonth = bucketStart(today, 'month');
  // Six complete months: Alder 15 a month three to six months ago and 3 a month since (9 in three months, 54 in six);
  // Birch 2 a month; and a busy current month nobody may see yet.
  for (let k = 1; k <= 6; k++) {
    const month = shiftBucket(thisMonth, 'month', -k);
    await submit(app, alder.id, month, people(k > 3 ? 15 : 3, k + 2));
    await submit(app, birch.id, month, people(2, k + 4));
  }
  await submit(app, alder.id, today, people(60, 3));
  await submit(app, birch.id, today, people(60, 5));
  const res = await app.inject('/public/community-trust');
  t.equal(res.statusCode, 200);
  const chart = JSON.parse(/id="public-trend-data"[^>]*>([^<]*)<\/script>/.exec(res.body)![1]);
  t.equal(chart.trends.rolling, 6, 'six-month windows: the first in which Alder has a figure (Birch has none in any)');
  t.match(res.body, 'data.csv?bucket&#x3D;month&amp;rolling&#x3D;6', 'and links the same window’s data');
  t.equal(chart.trends.to, lastCompleteMonthEnd(today));
  for (const s of chart.trends.series) {
    for (const cell of s.cells) {
      if (cell.n !== null) t.ok(cell.n >= 10, `${s.area}: n ${cell.n} at least the floor`);
      if (cell.mean !== null) t.ok(cell.n >= 30, `${s.area}: a mean only from 30`);
    }
  }
  const birchCells = chart.trends.series.find((s: { area: string }) => s.area === 'birch').cells;
  t.ok(
    birchCells.every((c: { mean: number | null }) => c.mean === null),
    'Birch (12 in six months) has no mean',
  );
  t.ok(chart.trends.series.find((s: { area: string }) => s.area === 'alder').cells.at(-1).mean !== null, 'Alder has one for the last six months');
  t.match(res.body, 'not enough responses (fewer than 30)');
  const counted = Number(/(\d+) responses are counted here/.exec(res.body)![1]);
  // 17 a month three to six months ago (5 a month since: mostly under the floor): about 51, not the windows' sum (near 300).
  t.ok(counted >= 20 && counted <= 100, `the responses counted are those of the six months, once each (${counted})`);
  const csv = parse<Record<string, string>>((await app.inject('/public/community-trust/data.csv')).body, { columns: true });
  t.ok(
    csv.every((r) => r.WINDOW_MONTHS === '6' && r.END_DATE <= lastCompleteMonthEnd(today)),
    'the open data uses the same window, complete months only',
  );
  for (const row of csv)
    for (const n of Object.keys(row).filter((c) => c.startsWith('N_'))) if (row[n] !== '') t.ok(Number(row[n]) >= 10, `${row.AREA} ${n}: ${row[n]}`);
});

t.test('Spanish public page: words, dates and numbers', async (t) => {
  const { app } = await demoApp(t);
  const res = await app.inject('/public/community-trust?lang=es');
  t.match(res.body, '<html lang="es">');
  t.match(res.body, 'Lo que nos dijeron los residentes: Encuesta de Confianza Comunitaria');
  t.match(res.body, /<strong>\d+,\d<\/strong>/, 'decimal comma');
  t.match(res.body, 'Toda la ciudad');
  t.match(res.body, / de \d{4}/, 'dates written in Spanish');
});

t.test('the embed: framing allowed only for the configured origins', async (t) => {
  const closed = await demoApp(t);
  const noOrigins = await closed.app.inject('/public/community-trust/embed');
  t.equal(noOrigins.statusCode, 200);
  t.match(noOrigins.headers['content-security-policy'], "frame-ancestors 'none'");
  t.notMatch(noOrigins.body, 'class="site-header"', 'no site navigation inside the frame');

  const open = await demoApp(t, { EMBED_ORIGINS: 'https://city.example.gov, https://pd.example.gov' });
  const res = await open.app.inject('/public/community-trust/embed');
  t.match(res.headers['content-security-policy'], 'frame-ancestors https://city.example.gov https://pd.example.gov');
  t.equal(res.headers['x-frame-options'], undefined);
  t.match(res.headers['content-security-policy'], "script-src 'self'", 'the rest of the policy stays strict');
  const page = await open.app.inject('/public/community-trust');
  t.match(page.headers['content-security-policy'], "frame-ancestors 'none'", 'only the embed may be framed');
});

t.test('admins publish and unpublish from the survey editor, audited', async (t) => {
  const { app, store } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const { surveys, auditLog } = store.tables;
  const [survey] = await store.read((db) => db.select().from(surveys).limit(1));
  const page = await app.inject({ url: `/admin/surveys/${survey.id}`, headers: { cookie: jar.header() } });
  t.match(page.body, 'Publish the results');
  const publish = await app.inject({
    method: 'POST',
    url: `/admin/surveys/${survey.id}/publish`,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ _csrf: csrfFrom(page.body)!, confirmed: 'yes' }),
  });
  t.equal(publish.statusCode, 303);
  const [stored] = await store.read((db) => db.select().from(surveys).where(eq(surveys.id, survey.id)));
  t.equal(stored.published, true);
  t.equal((await app.inject('/public/community-trust')).statusCode, 200);
  const audit = await store.read((db) => db.select().from(auditLog).where(eq(auditLog.action, 'survey.publish')));
  t.equal(audit.length, 1);
  const unpublish = await app.inject({
    method: 'POST',
    url: `/admin/surveys/${survey.id}/unpublish`,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ _csrf: csrfFrom(page.body)!, confirmed: 'yes' }),
  });
  t.equal(unpublish.statusCode, 303);
  t.equal((await app.inject('/public/community-trust')).statusCode, 404);
});
