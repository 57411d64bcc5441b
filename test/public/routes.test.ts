import { eq } from 'drizzle-orm';
import { parse } from 'csv-parse/sync';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { events, surveys } from '../../src/db/schema.js';
import { generateDemo } from '../../src/demo/generate.js';
import { buildTestApp, createStaff, csrfFrom, form, login } from '../helper/app.js';

/** A demo city (smaller than the full demo; the demo publishes its survey) with its survey published or not. */
async function demoApp(t: Parameters<typeof buildTestApp>[0], env: Record<string, string> = {}, publish = true) {
  const built = await buildTestApp(t, env);
  await generateDemo(built.database, { seed: 3, asOf: dateIn('UTC'), passwordCost: 10, dailyRate: 4 });
  built.database.db.update(surveys).set({ published: publish }).run();
  return built;
}

t.test('unpublished results are not found', async (t) => {
  const { app } = await demoApp(t, {}, false);
  for (const url of ['/public/community-trust', '/public/community-trust/embed', '/public/community-trust/data.csv', '/public/nope']) {
    t.equal((await app.inject(url)).statusCode, 404, url);
  }
  const list = await app.inject('/public');
  t.match(list.body, 'No results have been published yet.');
});

t.test('the public page: trust over time with intervals, dimensions, public events, method; never free text', async (t) => {
  const { app, database } = await demoApp(t);
  database.db
    .insert(events)
    .values({ title: 'Private briefing', occurredOn: dateIn('UTC'), kind: 'other', isPublic: false })
    .run();
  const res = await app.inject('/public/community-trust');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'What residents told us: Community Trust Survey');
  t.match(res.body, 'Trust in police over time');
  t.match(
    res.body,
    /<strong>\d+\.\d<\/strong> <span class="ci">\(\d+\.\d–\d+\.\d\)<\/span> <span class="n">n&nbsp;=&nbsp;\d+<\/span>/,
    'means with intervals and n',
  );
  t.match(res.body, 'Cookout with officers at Riverside Park', 'public events marked');
  t.notMatch(res.body, 'Private briefing', 'non-public events left out');
  t.match(res.body, 'People chose to answer: this is not a random sample');
  t.match(res.body, 'Police treat everyone fairly', 'dimension scores');
  const texts = database.sqlite
    .prepare("SELECT DISTINCT value_text AS v FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'")
    .all() as { v: string }[];
  t.ok(texts.length > 0);
  for (const { v } of texts) t.notMatch(res.body, v, 'no free-text answer appears');
  t.match(res.body, '<script type="application/json" id="public-trend-data" data-chart="trend"');
  const home = await app.inject('/');
  t.match(home.body, 'href="/public/community-trust?lang=en"');
});

t.test('small groups are hidden on the public page and in its open data', async (t) => {
  const { app, database } = await demoApp(t, { MIN_CELL_SIZE: '200', LOW_RELIABILITY_SIZE: '400' });
  const res = await app.inject('/public/community-trust?bucket=quarter');
  t.equal(res.statusCode, 200);
  t.match(res.body, 'not enough responses (fewer than 200)');
  const csv = await app.inject('/public/community-trust/data.csv?bucket=quarter');
  t.equal(csv.statusCode, 200);
  t.match(csv.headers['content-disposition'], /^attachment; filename="community-trust-public-quarter-\d{4}-\d{2}-\d{2}\.csv"$/);
  const rows = parse<Record<string, string>>(csv.body, { columns: true });
  t.ok(rows.length > 0);
  for (const row of rows) {
    const n = row.N_TRUST;
    if (n !== '') t.ok(Number(n) >= 200, `${row.AREA} ${row.START_DATE}: shown only from 200 responses (${n})`);
    else t.equal(row.TRUST, '', 'a hidden n has no mean either');
  }
  // Quarter × neighborhood: the raw count of the smallest shown cell, recomputed directly, is at least the threshold.
  const counts = database.sqlite
    .prepare(
      `SELECT min(n) AS smallest FROM (SELECT count(*) AS n FROM responses r JOIN response_scores s ON s.response_id = r.id AND s.measure = 'trust' GROUP BY r.neighborhood_id, substr(r.submitted_on, 1, 4), (CAST(substr(r.submitted_on, 6, 2) AS INTEGER) - 1) / 3)`,
    )
    .get() as { smallest: number };
  t.ok(counts.smallest < 200, 'some groups really are small, so hiding was needed');
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
  const { app, database } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const survey = database.db.select().from(surveys).get()!;
  const page = await app.inject({ url: `/admin/surveys/${survey.id}`, headers: { cookie: jar.header() } });
  t.match(page.body, 'Publish the results');
  const publish = await app.inject({
    method: 'POST',
    url: `/admin/surveys/${survey.id}/publish`,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ _csrf: csrfFrom(page.body)! }),
  });
  t.equal(publish.statusCode, 303);
  t.equal(database.db.select().from(surveys).where(eq(surveys.id, survey.id)).get()!.published, true);
  t.equal((await app.inject('/public/community-trust')).statusCode, 200);
  const audit = database.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'survey.publish'").get() as { n: number };
  t.equal(audit.n, 1);
  const unpublish = await app.inject({
    method: 'POST',
    url: `/admin/surveys/${survey.id}/unpublish`,
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ _csrf: csrfFrom(page.body)! }),
  });
  t.equal(unpublish.statusCode, 303);
  t.equal((await app.inject('/public/community-trust')).statusCode, 404);
});
