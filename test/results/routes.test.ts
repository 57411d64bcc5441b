import t from 'tap';
import { createResponseVoider } from '../../src/survey/response-recorder.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { expected, liaisonSession, people, submit } from '../helper/responses.js';

// t(0.975, 29) from a published t table.
const T29 = 2.04523;

async function setup(t: { teardown(fn: () => unknown): void }) {
  const { app, database } = await buildTestApp(t);
  const [a, b, c] = addNeighborhoods(database, 'Alder', 'Birch', 'Cedar');
  // March: Birch has 29 (one short), so it is hidden, and Alder (next smallest) is hidden with it.
  await submit(app, a.id, '2026-03-10', people(30, 3));
  await submit(app, b.id, '2026-03-11', people(29, 5));
  await submit(app, c.id, '2026-03-12', people(40, 7));
  // April: Alder and Birch exactly at the threshold.
  await submit(app, a.id, '2026-04-02', people(30, 4));
  await submit(app, b.id, '2026-04-20', people(30, 6));
  await submit(app, c.id, '2026-04-30', people(40, 8));
  const { get } = await liaisonSession(app);
  return { app, database, a, b, c, get };
}

const close = (t: { ok(value: boolean, message: string): unknown }, actual: number | null, want: number, what: string) =>
  t.ok(actual !== null && Math.abs(actual - want) < 1e-9, `${what}: ${actual} ≈ ${want}`);

t.test('trend cells: exact figures, suppression at n = 29 and 30, complementary suppression', async (t) => {
  const { database, a, c, get } = await setup(t);
  const res = await get('/api/trends?from=2026-03-05&to=2026-04-10&bucket=month');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.from, '2026-03-01', 'snapped to the month');
  t.equal(body.to, '2026-04-30');
  t.same(
    body.buckets.map((b: { label: string }) => b.label),
    ['2026-03', '2026-04'],
  );
  const series = Object.fromEntries(body.series.map((s: { area: string; cells: unknown[] }) => [s.area, s.cells]));
  t.same(Object.keys(series), ['city', 'alder', 'birch', 'cedar']);

  t.same(series.birch[0], { n: null, mean: null, sd: null, ci_low: null, ci_high: null, suppressed: true, low_reliability: false }, 'n = 29 suppressed');
  t.equal(series.alder[0].suppressed, true, 'n = 30 but hidden so Birch cannot be recovered from the city total');
  t.equal(series.city[0].n, 99, 'the city is shown');
  const cedar = expected(database, c.id, '2026-03-01', '2026-03-31', 2.022691);
  t.equal(series.cedar[0].n, 40);
  close(t, series.cedar[0].mean, cedar.mean, 'Cedar mean');
  close(t, series.cedar[0].sd, cedar.sd, 'Cedar sd');
  t.ok(Math.abs(series.cedar[0].ci_low - (cedar.mean - cedar.half)) < 1e-5, 'Cedar interval from t(0.975, 39) = 2.022691');

  const alder = expected(database, a.id, '2026-04-01', '2026-04-30', T29);
  t.equal(series.alder[1].n, 30, 'n = 30 shown');
  t.equal(series.alder[1].low_reliability, true);
  close(t, series.alder[1].mean, alder.mean, 'Alder April mean');
  t.ok(Math.abs(series.alder[1].ci_high - (alder.mean + alder.half)) < 1e-5, 'Alder April interval');
  t.equal(series.birch[1].suppressed, false);
});

t.test('rolling windows and quarters pool whole periods, never one hidden on its own', async (t) => {
  const { database, c, get } = await setup(t);
  const body = (await get('/api/trends?from=2026-04-01&to=2026-04-30&rolling=2&neighborhood=alder&neighborhood=cedar')).json();
  t.same(
    body.series.map((s: { area: string }) => s.area),
    ['city', 'alder', 'cedar'],
  );
  const pooled = expected(database, c.id, '2026-03-01', '2026-04-30', 1.99045); // t(0.975, 79)
  t.equal(body.series[2].cells[0].n, 80);
  close(t, body.series[2].cells[0].mean, pooled.mean, 'pooled mean');
  t.ok(Math.abs(body.series[2].cells[0].ci_low - (pooled.mean - pooled.half)) < 1e-5, 'pooled interval');
  // Alder's March is hidden (beside Birch's 29), so March + April minus the shown April would reveal it.
  t.equal(body.series[1].cells[0].suppressed, true, 'a window holding a hidden month is hidden');
  t.equal(body.series[0].cells[0].n, 99 + 100, 'the city pools both months');

  const quarter = (await get('/api/trends?from=2026-01-01&to=2026-06-30&bucket=quarter')).json();
  t.same(
    quarter.buckets.map((b: { label: string }) => b.label),
    ['2026 Q1', '2026 Q2'],
  );
  const q1 = Object.fromEntries(quarter.series.map((s: { area: string; cells: { n: number | null }[] }) => [s.area, s.cells[0].n]));
  t.same(q1, { city: 99, alder: null, birch: null, cedar: 40 }, 'quarters are hidden when a month in them is');
});

t.test('bad query strings are answered 400 naming the field', async (t) => {
  const { get } = await setup(t);
  const cases: [string, string][] = [
    ['bucket=day', 'bucket'],
    ['from=2026-02-30', 'from'],
    ['rolling=0', 'rolling'],
    ['rolling=x', 'rolling'],
    ['measure=happiness', 'measure'],
    ['dimension=happiness', 'measure'],
    ['neighborhood=nowhere', 'neighborhood'],
    ['from=2026-05-01&to=2026-04-01', 'to'],
    ['survey=nope', 'survey'],
    ['from=2000-01-01&to=2026-01-01&bucket=week', 'from'],
  ];
  for (const [query, field] of cases) {
    const res = await get(`/api/trends?${query}`);
    t.equal(res.statusCode, 400, query);
    t.equal(res.json().field, field, `${query} names ${field}`);
  }
  const page = await get('/results?bucket=day&from=2026-01-01');
  t.equal(page.statusCode, 400);
  t.match(page.body, 'error-summary');
  t.match(page.body, 'href="#filter-bucket"');
  t.match(page.body, 'value="2026-01-01"', 'the values asked for are kept');
  const detail = await get('/results/alder?rolling=99');
  t.equal(detail.statusCode, 400);
  t.match(detail.body, 'rolling: must be at most 12');
  t.equal((await get('/results/nowhere')).statusCode, 404);
  t.equal((await get(`/results/${'x'.repeat(300)}`)).statusCode, 404, 'an over-long name is simply not found');
  t.equal((await get('/results/export.csv?bucket=year')).statusCode, 400);
});

t.test('pages show the same suppressed and shown cells as the API', async (t) => {
  const { get } = await setup(t);
  const page = await get('/results?from=2026-03-01&to=2026-04-30');
  t.equal(page.statusCode, 200);
  t.match(page.body, 'not enough responses (n &lt; 30)');
  const data = JSON.parse(/<script type="application\/json" id="trend-chart-data"[^>]*>([^<]*)<\/script>/.exec(page.body)![1]);
  const api = (await get('/api/trends?from=2026-03-01&to=2026-04-30')).json();
  t.same(data.trends, api, 'the chart data is the API object');
  t.match(page.body, '<script src="/static/vendor/chart.umd.min.js" defer></script>');
  t.notMatch(page.body, /<script>/, 'no inline script');

  const detail = await get('/results/alder?from=2026-03-01&to=2026-04-30');
  t.equal(detail.statusCode, 200);
  t.match(detail.body, 'n&nbsp;=&nbsp;60:', 'distribution over both months');
  t.match(detail.body, 'Not enough answers in this period', 'no top issue answers: no themes');
});

t.test('voided responses are never counted: trends, distributions, groups or themes', async (t) => {
  const { app, database, a, get } = await setup(t);
  await submit(app, a.id, '2026-04-03', people(40, 2), { top_issue: 'Speeding near the school', gender: 'woman' });
  const aprilTrust = async () => (await get('/api/trends?from=2026-04-01&to=2026-04-30&neighborhood=alder')).json().series[1].cells[0].n;
  t.equal(await aprilTrust(), 70);
  const before = await get('/results/alder?from=2026-04-01&to=2026-04-30');
  t.match(before.body, 'n&nbsp;=&nbsp;70:');
  t.match(before.body, 'speeding');
  // Void them the way the admin pages do: the flag, and the scores taken out of the rollups.
  const voider = createResponseVoider(database.sqlite);
  const ids = database.sqlite
    .prepare("SELECT response_id FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'")
    .pluck()
    .all() as number[];
  database.sqlite.transaction(() => ids.forEach((id) => voider.setVoided(id, true, 'spam')))();
  t.equal(await aprilTrust(), 30, 'gone from the trend');
  const after = await get('/results/alder?from=2026-04-01&to=2026-04-30');
  t.match(after.body, 'n&nbsp;=&nbsp;30:');
  t.notMatch(after.body, 'speeding');
});

t.test('staff only: anonymous visitors are sent to log in, the API answers 401', async (t) => {
  const { app } = await setup(t);
  const page = await app.inject({ url: '/results' });
  t.equal(page.statusCode, 303);
  t.equal(page.headers.location, '/login?next=%2Fresults');
  t.equal((await app.inject({ url: '/api/trends' })).statusCode, 401);
  t.equal((await app.inject({ url: '/results/export.csv' })).statusCode, 303);
  t.equal((await app.inject({ url: '/results/alder' })).statusCode, 303);
});

t.test('groups that moved: complementary suppression within a question, exact change otherwise', async (t) => {
  const { app, c, get } = await setup(t);
  const march = people(35, 2);
  const april = people(31, 9);
  await submit(app, c.id, '2026-03-20', march, { gender: 'woman' });
  await submit(app, c.id, '2026-04-21', april, { gender: 'woman' });
  const mean = (ps: { respect: number; listening: number }[]) => ps.reduce((a, p) => a + (p.respect + p.listening) * 5, 0) / ps.length;
  const change = mean(april) - mean(march);
  const shown = await get('/results/cedar?from=2026-03-01&to=2026-04-30');
  const groups = /Groups of residents whose[\s\S]*?<\/table>/.exec(shown.body)![0];
  t.match(groups, 'Woman');
  t.match(groups, `${change > 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}</strong>`, `change ${change.toFixed(2)} from plain means`);

  // Three men in April: their group is hidden, and so is the women's (the total minus women would reveal the men).
  await submit(app, c.id, '2026-04-22', people(3, 1), { gender: 'man' });
  const hidden = await get('/results/cedar?from=2026-03-01&to=2026-04-30');
  t.match(/Groups of residents whose[\s\S]*?<\/table>/.exec(hidden.body)![0], 'No group had at least 30 responses in both periods.');
});

t.test('distributions over a range are hidden when one month in it has a few answers', async (t) => {
  const { get } = await setup(t);
  const birch = await get('/results/birch?from=2026-03-01&to=2026-04-30');
  t.notMatch(birch.body, 'n&nbsp;=&nbsp;59', 'March has 29: the two months together would reveal it against April alone');
  t.match(birch.body, 'not enough responses (n &lt; 30)');
  t.match((await get('/results/birch?from=2026-04-01&to=2026-04-30')).body, 'n&nbsp;=&nbsp;30:', 'April alone is shown');
});
