import { parse } from 'csv-parse/sync';
import { count, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import type { Store } from '../../src/db/store.js';
import { dateIn } from '../../src/dates.js';
import { MARGIN_QUESTION_CODES } from '../../src/margins/schemas.js';
import { auditActions, multipart, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, csrfFrom } from '../helper/app.js';
import { buildDemoApp } from '../helper/demo.js';

const marginCount = async (store: Store) => (await store.read((db) => db.select({ n: count() }).from(store.tables.populationMargins)))[0].n;

/** A whole valid form for one neighborhood: every option of the three questions. */
const fullForm = (overrides: Record<string, string> = {}): Record<string, string> => ({
  source: 'ACS 2019–2023 5-year',
  year: '2023',
  'count-age_band-18_24': '900',
  'count-age_band-25_34': '1500',
  'count-age_band-35_44': '1400',
  'count-age_band-45_54': '1300',
  'count-age_band-55_64': '1200',
  'count-age_band-65_plus': '1700',
  'count-age_band-prefer_not': '',
  'count-gender-woman': '4100',
  'count-gender-man': '3900',
  'count-gender-another': '',
  'count-gender-prefer_not': '',
  'count-race_ethnicity-black': '2400',
  'count-race_ethnicity-hispanic': '1900',
  'count-race_ethnicity-white': '2800',
  'count-race_ethnicity-asian': '600',
  'count-race_ethnicity-native': '100',
  'count-race_ethnicity-other': '200',
  'count-race_ethnicity-prefer_not': '',
  ...overrides,
});

async function upload(app: FastifyInstance, jar: { header(): string }, csv: string | undefined, token?: string) {
  const page = await app.inject({ url: '/admin/margins', headers: { cookie: jar.header() } });
  const body = multipart(
    { _csrf: token ?? csrfFrom(page.body) ?? '', survey: 'community-trust' },
    csv === undefined ? undefined : { name: 'acs.csv', content: csv },
  );
  return app.inject({
    method: 'POST',
    url: '/admin/margins/upload',
    headers: { cookie: jar.header(), 'content-type': body.contentType },
    payload: body.payload,
  });
}

const header = 'neighborhood,question_code,option_value,count,source,year';
const goodCsv = [
  header,
  'riverside,age_band,18_24,800,ACS 2023 B01001,2023',
  'riverside,age_band,65_plus,1200,ACS 2023 B01001,2023',
  'riverside,gender,woman,1000,ACS 2023 B01001,2023',
  'riverside,gender,man,1000,ACS 2023 B01001,2023',
  'riverside,gender,another,,ACS 2023 B01001,2023',
  'old-town,race_ethnicity,white,500,ACS 2023 B03002,2023',
  'old-town,race_ethnicity,hispanic,300,ACS 2023 B03002,2023',
].join('\r\n');

t.test('an admin saves a neighborhood through the form and sees counts, shares, source and year', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { adminJar, asAdmin } = await staffSessions(app);
  const before = await asAdmin.get('/admin/margins');
  t.equal(before.statusCode, 200);
  t.match(before.body, /No margins yet for: <a href="\/admin\/margins\/community-trust\/old-town">Old Town<\/a>, <a[^>]*>Riverside<\/a>/);
  const home = await asAdmin.get('/admin');
  t.match(home.body, 'href="/admin/margins"', 'linked from the admin home');

  const edit = await asAdmin.get('/admin/margins/community-trust/riverside');
  t.equal(edit.statusCode, 200);
  t.match(edit.body, /<fieldset class="group">\s*<legend>What is your age\?/);
  t.match(edit.body, 'for="field-count-gender-another"');

  const res = await asAdmin.post('/admin/margins/community-trust/riverside', fullForm(), '/admin/margins/community-trust/riverside');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/admin/margins?survey=community-trust');
  t.equal(await marginCount(store), 18, 'one row per option, empty counts kept as "no count"');
  const stored = await store.read((db) =>
    store.rows(db, sql`SELECT question_code, option_value, count, source, year FROM population_margins WHERE option_value IN ('another', 'man') ORDER BY 2`),
  );
  t.same(stored, [
    { question_code: 'gender', option_value: 'another', count: null, source: 'ACS 2019–2023 5-year', year: 2023 },
    { question_code: 'gender', option_value: 'man', count: 3900, source: 'ACS 2019–2023 5-year', year: 2023 },
  ]);
  // Read with the session alone: asAdmin.get first opens another page, which would show the flash message.
  const page = await app.inject({ url: '/admin/margins', headers: { cookie: adminJar.header() } });
  t.match(page.body, 'Margins for Riverside saved.');
  t.match(page.body, /No margins yet for: <a[^>]*>Old Town<\/a>\./);
  t.match(page.body, 'Source: ACS 2019–2023 5-year, 2023.');
  // 3900 of 8000 counted (another gender and prefer not to say have no count).
  t.match(page.body, /<th scope="row">Man<\/th><td class="num">3900<\/td><td class="num">48\.8%<\/td>/);
  t.match(page.body, /<th scope="row">Non-binary or another gender<\/th><td class="num">no count<\/td>/);
  t.same(await auditActions(app), ['margins.replace']);

  // Saving again replaces the set, and the form shows what is stored.
  await asAdmin.post('/admin/margins/community-trust/riverside', fullForm({ 'count-gender-man': '4000' }), '/admin/margins/community-trust/riverside');
  t.equal(await marginCount(store), 18);
  t.match((await asAdmin.get('/admin/margins/community-trust/riverside')).body, /id="field-count-gender-man" name="count-gender-man" value="4000"/);
});

t.test('each form error: 400, the field named, values kept, nothing saved', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const url = '/admin/margins/community-trust/riverside';
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ['negative count', { 'count-gender-man': '-3' }, 'count-gender-man', /whole number of 0 or more/],
    ['non-integer count', { 'count-gender-man': '12.5' }, 'count-gender-man', /whole number of 0 or more/],
    ['not a number', { 'count-age_band-18_24': 'many' }, 'count-age_band-18_24', /whole number of 0 or more/],
    ['counts summing to 0', { 'count-gender-woman': '0', 'count-gender-man': '0' }, 'count-gender-woman', /add up to 0/],
    ['missing source', { source: ' ' }, 'source', /Enter the source/],
    ['bad year', { year: '23' }, 'year', /from 1900 on/],
  ];
  for (const [name, overrides, field, message] of cases) {
    const res = await asAdmin.post(url, fullForm(overrides), url);
    t.equal(res.statusCode, 400, name);
    t.match(res.body, `<a href="#field-${field}">`, `${name}: the summary links to the field`);
    t.match(
      res.body,
      new RegExp(`id="field-${field}-error">[^<]*<span class="visually-hidden">Error:</span> [^<]*${message.source}`),
      `${name}: the message is beside the field`,
    );
    t.match(res.body, `value="${fullForm(overrides)[field]}"`, `${name}: the value is kept`);
  }
  t.equal(await marginCount(store), 0);
  t.same(await auditActions(app), []);
  t.equal((await asAdmin.get('/admin/margins/community-trust/nowhere')).statusCode, 404, 'an unknown neighborhood is not found');
  t.equal((await asAdmin.post('/admin/margins/community-trust/nowhere', fullForm(), url)).statusCode, 404);
  t.equal((await asAdmin.get('/admin/margins/no-survey/riverside')).statusCode, 404, 'an unknown survey is not found');
});

t.test('liaisons and visitors are kept out; a post without the CSRF token is refused', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asLiaison, asAdmin } = await staffSessions(app);
  for (const url of ['/admin/margins', '/admin/margins/community-trust/riverside', '/admin/margins/template.csv?survey=community-trust'])
    t.equal((await asLiaison.get(url)).statusCode, 403, `liaison: ${url}`);
  t.equal((await asLiaison.post('/admin/margins/community-trust/riverside', fullForm(), '/account/password')).statusCode, 403);
  const anonymous = await app.inject({ url: '/admin/margins' });
  t.equal(anonymous.statusCode, 303);
  t.match(anonymous.headers.location, /^\/login\?next=/);
  t.equal((await asAdmin.postWithoutToken('/admin/margins/community-trust/riverside', fullForm())).statusCode, 403, 'form without token');
  t.equal(await marginCount(store), 0);
});

t.test('CSV: a good file replaces the named neighborhoods; a bad one saves nothing and lists line and column', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town', 'Lakeview');
  const { adminJar, asAdmin } = await staffSessions(app);
  // Lakeview's margins, saved by the form, are not in the file and stay.
  await asAdmin.post('/admin/margins/community-trust/lakeview', fullForm(), '/admin/margins/community-trust/lakeview');
  const noToken = await upload(app, adminJar, goodCsv, 'not-the-token');
  t.equal(noToken.statusCode, 403, 'upload without a valid token');

  const res = await upload(app, adminJar, goodCsv);
  t.equal(res.statusCode, 303);
  t.equal(await marginCount(store), 18 + 7);
  const page = await app.inject({ url: '/admin/margins', headers: { cookie: adminJar.header() } });
  t.match(page.body, 'Margins saved from acs.csv: 7 counts.');
  t.match(page.body, /<th scope="row">White<\/th><td class="num">500<\/td><td class="num">62\.5%<\/td>/);
  t.match(page.body, 'Every neighborhood has margins.');

  const bad: [string, string, number, string, RegExp][] = [
    ['unknown neighborhood', 'nowhere,gender,man,5,ACS,2023', 2, 'neighborhood', /&quot;nowhere&quot; is not a neighborhood/],
    ['unknown question', 'riverside,income,low,5,ACS,2023', 2, 'question_code', /&quot;income&quot; is not a demographic question/],
    ['unknown option', 'riverside,gender,robot,5,ACS,2023', 2, 'option_value', /&quot;robot&quot; is not an option of gender/],
    ['negative count', 'riverside,gender,man,-5,ACS,2023', 2, 'count', /whole number of 0 or more/],
    ['non-integer count', 'riverside,gender,man,2.5,ACS,2023', 2, 'count', /whole number of 0 or more/],
    ['duplicate row', 'riverside,gender,man,5,ACS,2023\r\nriverside,gender,man,6,ACS,2023', 3, 'option_value', /already on line 3/],
    ['sum of 0', 'riverside,gender,man,0,ACS,2023\r\nriverside,gender,woman,0,ACS,2023', 2, 'count', /add up to 0/],
    ['missing year', 'riverside,gender,man,5,ACS,', 2, 'year', /Enter the year/],
  ];
  for (const [name, lines, line, column, message] of bad) {
    // A good line first: nothing of it is saved either.
    const csv = `${header}\r\nold-town,gender,woman,77,ACS,2023\r\n${lines}`;
    const failed = await upload(app, adminJar, csv);
    t.equal(failed.statusCode, 400, name);
    t.match(failed.body, 'Nothing was saved', name);
    t.match(
      failed.body,
      new RegExp(`<tr><td>${line + 1}</td><td><code>${column}</code></td><td>[^<]*${message.source}`),
      `${name}: line ${line + 1}, ${column}`,
    );
  }
  const missingColumn = await upload(app, adminJar, 'neighborhood,question_code,option_value,count\r\nriverside,gender,man,5');
  t.equal(missingColumn.statusCode, 400);
  t.match(missingColumn.body, /<tr><td>1<\/td><td><code>source<\/code><\/td><td>The column &quot;source&quot; is missing/);
  const noFile = await upload(app, adminJar, undefined);
  t.equal(noFile.statusCode, 400);
  t.match(noFile.body, '<a href="#field-file">Choose a CSV file to upload.</a>');
  t.equal(await marginCount(store), 18 + 7, 'nothing saved by any bad file');
  t.same(await auditActions(app), ['margins.replace', 'margins.replace']);
});

t.test('the template lists every neighborhood, question and option, with saved counts, formula cells neutralised', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { adminJar, asAdmin } = await staffSessions(app);
  await asAdmin.post('/admin/margins/community-trust/riverside', fullForm({ source: '=HYPERLINK("http://evil")' }), '/admin/margins/community-trust/riverside');
  const res = await asAdmin.get('/admin/margins/template.csv?survey=community-trust');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], 'attachment; filename="community-trust-margins.csv"');
  const rows: string[][] = parse(res.body);
  t.same(rows[0], ['neighborhood', 'question_code', 'option_value', 'count', 'source', 'year']);
  t.equal(rows.length, 1 + 2 * 18, 'two neighborhoods × 18 options');
  t.same(
    rows.find((r) => r[0] === 'riverside' && r[2] === 'man'),
    ['riverside', 'gender', 'man', '3900', `'=HYPERLINK("http://evil")`, '2023'],
  );
  t.same(
    rows.find((r) => r[0] === 'old-town' && r[2] === 'man'),
    ['old-town', 'gender', 'man', '', '', ''],
  );
  t.same(new Set(rows.slice(1).map((r) => r[1])), new Set(MARGIN_QUESTION_CODES));
  t.equal((await asAdmin.get('/admin/margins/template.csv?survey=nope')).statusCode, 404);
  // The template, filled in, uploads as it is (the neutralised source comes back without its ').
  const filled = res.body.replace(/^old-town,(\w+),(\w+),,,$/gm, 'old-town,$1,$2,10,ACS,2023');
  t.equal((await upload(app, adminJar, filled)).statusCode, 303);
  const sources = await store.read((db) => store.rows<{ source: string }>(db, sql`SELECT DISTINCT source FROM population_margins ORDER BY source`));
  t.same(
    sources.map((s) => s.source),
    ['=HYPERLINK("http://evil")', 'ACS'],
  );
});

t.test('the demo has margins for every neighborhood and demographic question', async (t) => {
  // The demo city of the public pages' tests, generated once per test process (test/helper/demo.ts) rather than again here.
  const { store } = await buildDemoApp(t, { seed: 3, asOf: dateIn('UTC'), dailyRate: 1.5 });
  const perNeighborhood = await store.read((db) =>
    store.rows<{ slug: string; population: number; questions: number; age: number; gender: number; race: number }>(
      db,
      sql`SELECT n.slug, n.population, count(DISTINCT m.question_code) AS questions,
            sum(CASE WHEN m.question_code = 'age_band' THEN m.count ELSE 0 END) AS age,
            sum(CASE WHEN m.question_code = 'gender' THEN m.count ELSE 0 END) AS gender,
            sum(CASE WHEN m.question_code = 'race_ethnicity' THEN m.count ELSE 0 END) AS race
          FROM neighborhoods n LEFT JOIN population_margins m ON m.neighborhood_id = n.id GROUP BY n.slug, n.population ORDER BY n.slug`,
    ),
  );
  t.equal(perNeighborhood.length, 8);
  for (const n of perNeighborhood) {
    t.equal(Number(n.questions), 3, `${n.slug}: three questions`);
    t.equal(Number(n.age), Number(n.gender), `${n.slug}: every question counts the same adults`);
    t.equal(Number(n.age), Number(n.race), `${n.slug}: every question counts the same adults`);
    t.ok(Number(n.age) < n.population && Number(n.age) > 0.6 * n.population, `${n.slug}: adults are most of the population`);
  }
  // The sample differs from the census as opt-in surveys do: more of the oldest, fewer of the youngest and of men.
  const share = (rows: { v: string; n: number }[], value: string) => Number(rows.find((r) => r.v === value)!.n) / rows.reduce((sum, r) => sum + Number(r.n), 0);
  const counted = ['18_24', '25_34', '35_44', '45_54', '55_64', '65_plus', 'woman', 'man'];
  const sample = await store.read((db) =>
    store.rows<{ q: string; v: string; n: number }>(
      db,
      sql`SELECT q.code AS q, a.value_text AS v, count(*) AS n FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code IN ('age_band', 'gender') GROUP BY q.code, a.value_text`,
    ),
  );
  const census = await store.read((db) =>
    store.rows<{ q: string; v: string; n: number }>(
      db,
      sql`SELECT question_code AS q, option_value AS v, sum(count) AS n FROM population_margins WHERE count IS NOT NULL GROUP BY question_code, option_value`,
    ),
  );
  const of = (rows: { q: string; v: string; n: number }[], q: string) => rows.filter((r) => r.q === q && counted.includes(r.v));
  t.ok(share(of(sample, 'age_band'), '65_plus') > share(of(census, 'age_band'), '65_plus') + 0.03, 'residents 65 or older are over-represented');
  t.ok(share(of(sample, 'age_band'), '18_24') < share(of(census, 'age_band'), '18_24') - 0.03, 'residents 18–24 are under-represented');
  t.ok(share(of(sample, 'gender'), 'man') < share(of(census, 'gender'), 'man') - 0.03, 'men are under-represented');
});
