import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { dateIn } from '../../src/dates.js';
import { eq } from 'drizzle-orm';
import { bucketLabel, bucketStart, lastCompleteMonthEnd, shiftBucket } from '../../src/stats/buckets.js';
import { COUNT_NOISE_SD, SUM_NOISE_SD } from '../../src/stats/perturbation.js';
import { tQuantile } from '../../src/stats/t-distribution.js';
import { createResponseVoider } from '../../src/survey/response-recorder.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { describe, people, submit, trustScores, type Person } from '../helper/responses.js';

interface Cell {
  n: number | null;
  mean: number | null;
  sd: number | null;
  se: number | null;
  ci_low: number | null;
  ci_high: number | null;
  suppressed: boolean;
  low_reliability: boolean;
}
type Series = Record<string, Cell[]>;

/** Alternating scores of 50 and 60: a tiny spread, so the perturbation's variance dominates the interval. */
const steady = (n: number): Person[] => Array.from({ length: n }, (_, i) => (i % 2 ? { respect: 5, listening: 5 } : { respect: 6, listening: 6 }));

async function setup(t: { teardown(fn: () => unknown): void }) {
  const { app, store, database } = await buildTestApp(t);
  const [a, b, c, d, e] = await addNeighborhoods(store, 'Alder', 'Birch', 'Cedar', 'Dogwood', 'Elm');
  // March: Birch one short of the reliability threshold, Dogwood under the privacy floor.
  await submit(app, a.id, '2026-03-10', people(30, 3));
  await submit(app, b.id, '2026-03-11', people(29, 5));
  await submit(app, c.id, '2026-03-12', people(120, 7));
  await submit(app, d.id, '2026-03-13', people(2, 1));
  await submit(app, e.id, '2026-03-14', steady(40));
  // April: everyone from Alder to Cedar at or above the threshold; Dogwood has none.
  await submit(app, a.id, '2026-04-02', people(30, 4));
  await submit(app, b.id, '2026-04-20', people(30, 6));
  await submit(app, c.id, '2026-04-30', people(120, 8));
  await submit(app, e.id, '2026-04-15', steady(40));
  const sessions = await staffSessions(app);
  return { app, store, database, a, b, c, d, e, admin: sessions.asAdmin.get, liaison: sessions.asLiaison.get };
}

const seriesOf = (body: { series: { area: string; cells: Cell[] }[] }): Series => Object.fromEntries(body.series.map((s) => [s.area, s.cells]));

const close = (t: Test, actual: number | null, want: number, what: string, tolerance = 1e-9) =>
  t.ok(actual !== null && Math.abs(actual - want) < tolerance, `${what}: ${actual} ≈ ${want}`);

/** An exact cell against the textbook figures of the raw scores. */
function checkExact(t: Test, cell: Cell, scores: number[], what: string) {
  const want = describe(scores);
  t.equal(cell.n, want.n, `${what}: n`);
  close(t, cell.mean, want.mean, `${what}: mean`);
  close(t, cell.sd, want.sd, `${what}: sd`);
  close(t, cell.se, want.se, `${what}: se`);
  const half = tQuantile(0.975, want.n - 1) * want.se;
  close(t, cell.ci_low, want.mean - half, `${what}: interval`, 1e-6);
  close(t, cell.ci_high, want.mean + half, `${what}: interval`, 1e-6);
}

/** Variance a protected mean carries from the noise of `atoms` neighborhood × month atoms (delta method on sum / n). */
const noiseVariance = (mean: number, n: number, atoms: number) => (atoms * (SUM_NOISE_SD ** 2 + mean * mean * COUNT_NOISE_SD ** 2)) / (n * n);

/** What every protected cell must satisfy whatever its noise: the floor, the reliability threshold, an interval holding the noise. */
function checkProtected(t: Test, cell: Cell, atoms: number, what: string) {
  if (cell.n === null) {
    t.same(
      cell,
      { n: null, mean: null, sd: null, se: null, ci_low: null, ci_high: null, suppressed: true, low_reliability: false, weighted: false, n_eff: null },
      `${what}: nothing shown`,
    );
    return;
  }
  t.ok(cell.n >= 10, `${what}: a shown count is at least the floor (${cell.n})`);
  if (cell.mean === null) {
    t.ok(cell.n < 30 && cell.suppressed, `${what}: the mean is hidden only under 30 (${cell.n})`);
    return;
  }
  t.ok(cell.n >= 30 && !cell.suppressed, `${what}: a mean only from 30 responses (${cell.n})`);
  t.equal(cell.low_reliability, cell.n < 60, `${what}: low reliability under 60`);
  const se = Math.sqrt(cell.sd! ** 2 / cell.n + noiseVariance(cell.mean, cell.n, atoms));
  close(t, cell.se, se, `${what}: the standard error includes the noise of ${atoms} atoms`, 1e-9);
  const half = tQuantile(0.975, cell.n - 1) * se;
  close(t, cell.ci_high! - cell.mean, half, `${what}: interval`, 1e-6);
  t.ok(half > tQuantile(0.975, cell.n - 1) * (cell.sd! / Math.sqrt(cell.n)), `${what}: wider than the sampling error alone`);
}

t.test('admins see exact figures: textbook means and intervals, the floor at 10 and means from 30, no complementary suppression', async (t) => {
  const { store, a, b, c, d, e, admin } = await setup(t);
  const res = await admin('/api/trends?from=2026-03-05&to=2026-04-10&bucket=month');
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.from, '2026-03-01', 'snapped to the month');
  t.equal(body.to, '2026-04-30');
  t.same(
    body.buckets.map((x: { label: string }) => x.label),
    ['2026-03', '2026-04'],
  );
  const series = seriesOf(body);
  t.same(Object.keys(series), ['city', 'alder', 'birch', 'cedar', 'dogwood', 'elm']);

  t.same(
    series.birch[0],
    { n: 29, mean: null, sd: null, se: null, ci_low: null, ci_high: null, suppressed: true, low_reliability: false, weighted: false, n_eff: null },
    'n = 29: count only',
  );
  t.same(
    series.dogwood[0],
    { n: null, mean: null, sd: null, se: null, ci_low: null, ci_high: null, suppressed: true, low_reliability: false, weighted: false, n_eff: null },
    'n = 2: nothing',
  );
  checkExact(t, series.alder[0], await trustScores(store, [a.id], '2026-03-01', '2026-03-31'), 'Alder March (n = 30, beside a hidden Birch)');
  t.equal(series.alder[0].low_reliability, true);
  checkExact(t, series.cedar[0], await trustScores(store, [c.id], '2026-03-01', '2026-03-31'), 'Cedar March');
  t.equal(series.cedar[0].low_reliability, false);
  checkExact(t, series.birch[1], await trustScores(store, [b.id], '2026-04-01', '2026-04-30'), 'Birch April (n = 30)');
  checkExact(t, series.city[0], await trustScores(store, [a.id, b.id, c.id, d.id, e.id], '2026-03-01', '2026-03-31'), 'city March, hidden groups included');
  t.equal(series.city[0].n, 30 + 29 + 120 + 2 + 40);
  t.same(series.dogwood[1], series.dogwood[0], 'a month with no responses is hidden like a small one');
});

t.test('liaisons see protected figures: floor, reliability, noise within a few points, intervals widened by it', async (t) => {
  const { app, store, c, e, admin, liaison } = await setup(t);
  const url = '/api/trends?from=2026-03-01&to=2026-04-30';
  const exact = seriesOf((await admin(url)).json());
  const body = (await liaison(url)).json();
  const series = seriesOf(body);
  t.same(Object.keys(series), ['city', 'alder', 'birch', 'cedar', 'dogwood', 'elm']);
  // The city sums its neighborhoods' atoms: five in March, four in April (Dogwood's empty month carries no noise).
  const atoms = (area: string, month: number) => (area !== 'city' ? 1 : month === 0 ? 5 : 4);
  for (const [area, cells] of Object.entries(series)) cells.forEach((cell, i) => checkProtected(t, cell, atoms(area, i), `${area} ${body.buckets[i].label}`));
  t.equal(series.dogwood[0].n, null, 'two responses stay hidden');

  let countsMoved = 0;
  for (const [area, cells] of Object.entries(series)) {
    cells.forEach((cell, i) => {
      const truth = exact[area][i];
      if (cell.n === null || truth.n === null) return;
      // Count noise has sd 2 per atom: 5 sd is far beyond any real draw.
      t.ok(Math.abs(cell.n - truth.n) <= 10 * Math.sqrt(atoms(area, i)), `${area} ${i}: n ${cell.n} near ${truth.n}`);
      if (cell.n !== truth.n) countsMoved++;
      if (cell.mean === null || truth.mean === null) return;
      t.not(cell.mean, truth.mean, `${area} ${i}: the mean is perturbed`);
      if (truth.n >= 100) t.ok(Math.abs(cell.mean - truth.mean) < 5, `${area} ${i}: within a few points (${cell.mean} vs ${truth.mean})`);
    });
  }
  t.ok(countsMoved > 0, 'some counts are perturbed too');

  // Elm's scores barely vary: its exact interval is narrow, the protected one must carry the noise.
  const elmExact = describe(await trustScores(store, [e.id], '2026-03-01', '2026-03-31'));
  close(t, exact.elm[0].ci_high! - exact.elm[0].ci_low!, 2 * tQuantile(0.975, 39) * elmExact.se, 'Elm March exact interval', 1e-9);
  for (const i of [0, 1]) {
    const p = series.elm[i];
    t.ok(p.ci_high! - p.ci_low! > 2 * (exact.elm[i].ci_high! - exact.elm[i].ci_low!), `Elm ${i}: protected interval much wider than the exact one`);
  }

  // Noise is a fixed function of the records: asking again, or through the page, gives the same figures.
  t.same((await liaison(url)).json(), body, 'repeated reads cannot average the noise away');
  // One more response draws fresh noise for its own atom (Cedar × April) and leaves every other figure as it was.
  await submit(app, c.id, '2026-04-30', people(1, 2));
  const after = seriesOf((await liaison(url)).json());
  t.not(after.cedar[1].mean, series.cedar[1].mean, 'Cedar April moves');
  // Counts and means stay; intervals may move a little, as they use the spread pooled over every atom shown.
  const figures = (cells: { n: number | null; mean: number | null }[]) => cells.map(({ n, mean }) => ({ n, mean }));
  t.same(figures([after.cedar[0]]), figures([series.cedar[0]]), 'Cedar March does not');
  for (const area of ['alder', 'birch', 'dogwood', 'elm']) t.same(figures(after[area]), figures(series[area]), `${area} does not`);
  t.same(figures([after.city[0]]), figures([series.city[0]]), 'nor the city in March');
});

t.test('liaisons never see the current month; admins see it to today', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [a] = await addNeighborhoods(store, 'Alder');
  const today = dateIn('UTC');
  const thisMonth = bucketStart(today, 'month');
  const lastMonth = shiftBucket(thisMonth, 'month', -1);
  await submit(app, a.id, lastMonth, people(35, 3));
  await submit(app, a.id, today, people(45, 5));
  const { asAdmin, asLiaison } = await staffSessions(app);

  const exact = (await asAdmin.get('/api/trends')).json();
  t.equal(exact.to, today, 'admins: up to today');
  t.equal(exact.buckets.at(-1).label, bucketLabel(thisMonth, 'month'));
  t.equal(exact.series[1].cells.at(-1).n, 45, 'the month still filling, exactly');
  t.equal(exact.series[1].cells.at(-2).n, 35);

  const prot = (await asLiaison.get('/api/trends')).json();
  t.equal(prot.to, lastCompleteMonthEnd(today), 'liaisons: up to the end of last month');
  t.equal(prot.buckets.at(-1).label, bucketLabel(lastMonth, 'month'));
  t.notOk(
    prot.buckets.some((b: { start: string }) => b.start >= thisMonth),
    'no bucket of the current month',
  );
  const cutBack = (await asLiaison.get(`/api/trends?to=${today}&rolling=3`)).json();
  t.equal(cutBack.to, lastCompleteMonthEnd(today), 'a later end is cut back to the last complete month');
  const quarter = (await asLiaison.get(`/api/trends?from=${lastMonth}&bucket=quarter`)).json();
  const monthly = (await asLiaison.get(`/api/trends?from=${lastMonth}`)).json();
  const nAndMean = ({ n, mean }: { n: number | null; mean: number | null }) => ({ n, mean });
  // Intervals use the spread pooled over the months each request loads, so only n and mean must agree.
  t.same(
    nAndMean(quarter.series[1].cells.at(-1)),
    nAndMean(monthly.series[1].cells.at(-1)),
    'a quarter still filling holds only its complete months (the same atoms)',
  );
  t.ok(quarter.series[1].cells.at(-1).n < 45, 'not this month’s responses');
  const exactQuarter = (await asAdmin.get(`/api/trends?from=${lastMonth}&bucket=quarter`)).json();
  t.equal(
    exactQuarter.series[1].cells.at(-1).n,
    bucketStart(lastMonth, 'quarter') === bucketStart(today, 'quarter') ? 35 + 45 : 45,
    'admins: the quarter to today',
  );

  const early = await asLiaison.get(`/api/trends?from=${thisMonth}`);
  t.equal(early.statusCode, 400);
  t.equal(early.json().field, 'from');
  t.match(early.json().message, 'the last complete month');
  t.equal((await asAdmin.get(`/api/trends?from=${thisMonth}`)).statusCode, 200, 'admins may ask for it');

  const page = await asLiaison.get('/results?bucket=month');
  t.equal(page.statusCode, 200);
  const chart = JSON.parse(/<script type="application\/json" id="trend-chart-data"[^>]*>([^<]*)<\/script>/.exec(page.body)![1]);
  t.equal(chart.trends.to, lastCompleteMonthEnd(today));
  t.match(page.body, 'Figures cover complete months; each has a small fixed random change');
  const adminPage = await asAdmin.get('/results?bucket=month');
  t.match(adminPage.body, 'You are an admin: these figures are exact and include the current month.');
  const detail = await asLiaison.get('/results/alder?bucket=month');
  t.notMatch(detail.body, `<th scope="row">${bucketLabel(thisMonth, 'month')}</th>`, 'the neighborhood page has no row for this month');
  t.match(detail.body, `<th scope="row">${bucketLabel(lastMonth, 'month')}</th>`);
});

t.test('rolling windows and quarters pool whole months: exact for admins, sums of the same perturbed atoms for liaisons', async (t) => {
  const { store, a, b, c, e, admin, liaison } = await setup(t);
  const rolling = seriesOf((await admin('/api/trends?from=2026-04-01&to=2026-04-30&rolling=2&neighborhood=alder&neighborhood=cedar')).json());
  t.same(Object.keys(rolling), ['city', 'alder', 'cedar']);
  checkExact(t, rolling.cedar[0], await trustScores(store, [c.id], '2026-03-01', '2026-04-30'), 'Cedar March–April');
  checkExact(t, rolling.alder[0], await trustScores(store, [a.id], '2026-03-01', '2026-04-30'), 'Alder March–April, shown though Birch’s March is hidden');
  t.equal(rolling.city[0].n, 221 + 220, 'the city pools both months of every neighborhood');

  const quarters = (await admin('/api/trends?from=2026-01-01&to=2026-06-30&bucket=quarter')).json();
  t.same(
    quarters.buckets.map((x: { label: string }) => x.label),
    ['2026 Q1', '2026 Q2'],
  );
  const q = seriesOf(quarters);
  t.same(
    Object.fromEntries(Object.entries(q).map(([area, cells]) => [area, cells.map((cell) => cell.n)])),
    { city: [221, 220], alder: [30, 30], birch: [29, 30], cedar: [120, 120], dogwood: [null, null], elm: [40, 40] },
    'quarters count their months',
  );
  checkExact(t, q.birch[1], await trustScores(store, [b.id], '2026-04-01', '2026-06-30'), 'Birch Q2');

  // Protected: every window is a union of the same neighborhood × month atoms, so the figures add up.
  const months = seriesOf((await liaison('/api/trends?from=2026-03-01&to=2026-04-30')).json());
  const pooled = seriesOf((await liaison('/api/trends?from=2026-04-01&to=2026-04-30&rolling=2')).json());
  const quarter = seriesOf((await liaison('/api/trends?from=2026-04-01&to=2026-06-30&bucket=quarter')).json());
  for (const area of ['cedar', 'elm', 'city']) {
    const [march, april] = months[area];
    const both = pooled[area][0];
    t.equal(both.n, march.n! + april.n!, `${area}: the two-month n is the sum of the months' perturbed n`);
    close(t, both.mean! * both.n!, march.mean! * march.n! + april.mean! * april.n!, `${area}: and so is the sum of scores`, 1e-6);
    t.same([quarter[area][0].n, quarter[area][0].mean], [april.n, april.mean], `${area}: Q2 so far is April, with the same noise`);
    checkProtected(t, both, area === 'city' ? 9 : 2, `${area} March–April`);
  }
  const cityApril = months.city[1].n;
  t.equal(
    cityApril,
    ['alder', 'birch', 'cedar', 'elm'].reduce((sum, area) => sum + months[area][1].n!, 0),
    'the city is the sum of its neighborhoods',
  );
  void e;
});

t.test('bad query strings are answered 400 naming the field', async (t) => {
  const { liaison } = await setup(t);
  const cases: [string, string][] = [
    ['bucket=day', 'bucket'],
    ['bucket=week', 'bucket'],
    ['from=2026-02-30', 'from'],
    ['rolling=0', 'rolling'],
    ['rolling=13', 'rolling'],
    ['rolling=x', 'rolling'],
    ['measure=happiness', 'measure'],
    ['dimension=happiness', 'measure'],
    ['neighborhood=nowhere', 'neighborhood'],
    ['from=2026-05-01&to=2026-04-01', 'to'],
    ['survey=nope', 'survey'],
    ['from=2000-01-01&to=2026-01-01&bucket=month', 'from'],
  ];
  for (const [query, field] of cases) {
    const res = await liaison(`/api/trends?${query}`);
    t.equal(res.statusCode, 400, query);
    t.equal(res.json().field, field, `${query} names ${field}`);
  }
  t.match((await liaison('/api/trends?bucket=week')).json().message, 'bucket: must be month, quarter, half or year');
  const page = await liaison('/results?bucket=day&from=2026-01-01');
  t.equal(page.statusCode, 400);
  t.match(page.body, 'error-summary');
  t.match(page.body, 'href="#filter-bucket"');
  t.match(page.body, 'value="2026-01-01"', 'the values asked for are kept');
  const detail = await liaison('/results/alder?rolling=99');
  t.equal(detail.statusCode, 400);
  t.match(detail.body, 'rolling: must be at most 12');
  t.equal((await liaison('/results/nowhere')).statusCode, 404);
  t.equal((await liaison(`/results/${'x'.repeat(300)}`)).statusCode, 404, 'an over-long name is simply not found');
  t.equal((await liaison('/results/export.csv?bucket=week')).statusCode, 400);
  t.equal((await liaison('/api/trends?from=2026-01-01&to=2026-12-31&bucket=half')).statusCode, 200, 'half-years are a bucket');
});

t.test('pages show the same cells as the API', async (t) => {
  const { admin, liaison } = await setup(t);
  for (const get of [admin, liaison]) {
    const page = await get('/results?from=2026-03-01&to=2026-04-30&bucket=month');
    t.equal(page.statusCode, 200);
    const data = JSON.parse(/<script type="application\/json" id="trend-chart-data"[^>]*>([^<]*)<\/script>/.exec(page.body)![1]);
    const api = (await get('/api/trends?from=2026-03-01&to=2026-04-30')).json();
    t.same(data.trends, api, 'the chart data is the API object');
    t.match(page.body, '<script src="/static/vendor/chart.umd.min.js" defer></script>');
    t.notMatch(page.body, /<script>/, 'no inline script');
  }
  const page = await admin('/results?from=2026-03-01&to=2026-04-30&bucket=month');
  t.match(page.body, '<span class="n">n&nbsp;=&nbsp;29</span> <span class="suppressed">too few for a figure (fewer than 30)</span>', 'Birch March: count only');
  t.match(page.body, '<span class="suppressed">fewer than 10 responses</span>', 'Dogwood: nothing');
  t.notMatch(page.body, 'class="notice"', 'a view asked for has no opening sentence');

  const detail = await admin('/results/alder?from=2026-03-01&to=2026-04-30');
  t.equal(detail.statusCode, 200);
  t.match(detail.body, 'n&nbsp;=&nbsp;60:', 'distribution over both months');
  t.match(detail.body, 'Not enough answers in this period', 'no top issue answers: no themes');
});

t.test('voided responses are never counted: trends, distributions, groups or themes', async (t) => {
  const { app, store, a, admin } = await setup(t);
  await submit(app, a.id, '2026-04-03', people(40, 2), { top_issue: 'Speeding near the school', gender: 'woman' });
  const aprilTrust = async () => (await admin('/api/trends?from=2026-04-01&to=2026-04-30&neighborhood=alder')).json().series[1].cells[0].n;
  t.equal(await aprilTrust(), 70);
  const before = await admin('/results/alder?from=2026-04-01&to=2026-04-30');
  t.match(before.body, 'n&nbsp;=&nbsp;70:');
  t.match(before.body, '<td>speeding</td><td class="num">40</td>');
  // Void them the way the admin pages do: the flag, and the scores taken out of the rollups.
  const voider = createResponseVoider(store, 'UTC');
  const ids = (
    await store.read((db) =>
      store.rows<{ id: number }>(db, sql`SELECT response_id AS "id" FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = 'top_issue'`),
    )
  ).map((r) => r.id);
  await store.transaction((tx) => voider.setVoided(tx, { ids }, true, 'spam'));
  t.equal(await aprilTrust(), 30, 'gone from the trend');
  const after = await admin('/results/alder?from=2026-04-01&to=2026-04-30');
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

t.test('groups that moved: the exact change for admins; a small group hidden without hiding the others', async (t) => {
  const { app, c, admin, liaison } = await setup(t);
  const march = people(35, 2);
  const april = people(40, 9); // 40, so the women's perturbed count stays at 30 or more
  await submit(app, c.id, '2026-03-20', march, { gender: 'woman' });
  await submit(app, c.id, '2026-04-21', april, { gender: 'woman' });
  // Three men in April: too few for any figure, but no reason any more to hide the women's.
  await submit(app, c.id, '2026-04-22', people(3, 1), { gender: 'man' });
  const mean = (ps: { respect: number; listening: number }[]) => ps.reduce((a, p) => a + (p.respect + p.listening) * 5, 0) / ps.length;
  const change = mean(april) - mean(march);
  const groupsOf = (body: string) => /Groups of residents whose[\s\S]*?<\/table>/.exec(body)![0];
  const shown = groupsOf((await admin('/results/cedar?from=2026-03-01&to=2026-04-30')).body);
  t.match(shown, 'Woman');
  t.match(shown, `${change > 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}</strong>`, `change ${change.toFixed(2)} from plain means`);
  t.notMatch(shown, '>Man <', 'three men: no figure');
  const prot = groupsOf((await liaison('/results/cedar?from=2026-03-01&to=2026-04-30')).body);
  t.notMatch(prot, '>Man <', 'nor for liaisons');
  t.match(prot, 'Woman', 'liaisons see the women’s (perturbed) change');
});

t.test('distributions: exact counts for admins, points under the floor hidden; protected counts hold the floor', async (t) => {
  const { app, a, admin, liaison } = await setup(t);
  const birch = await admin('/results/birch?from=2026-03-01&to=2026-04-30');
  t.match(birch.body, 'n&nbsp;=&nbsp;59:', 'March’s 29 and April’s 30 together: no longer hidden for fear of differencing');
  t.match(birch.body, 'fewer than 10</span>', 'a point fewer than 10 people chose has no share');
  // Alder gets 40 more April answers of 10 and 10: those points are shown.
  await submit(
    app,
    a.id,
    '2026-04-05',
    Array.from({ length: 40 }, () => ({ respect: 10, listening: 10 })),
  );
  const read = async (get: typeof admin) => {
    const body = (await get('/results/alder?from=2026-03-01&to=2026-04-30')).body;
    return JSON.parse(/id="distribution-010-data"[^>]*>([^<]*)<\/script>/.exec(body)![1]) as {
      code: string;
      n: number | null;
      suppressed: boolean;
      points: { value: number; count: number | null; percent: number | null }[];
    }[];
  };
  const exact = (await read(admin)).find((d) => d.code === 'respect')!;
  t.equal(exact.n, 100);
  const ten = exact.points.find((p) => p.value === 10)!;
  t.ok(ten.count! >= 40, 'the tens are shown');
  close(t, ten.percent, (100 * ten.count!) / 100, 'their share of 100');
  t.ok(
    exact.points.every((p) => p.count === null || p.count >= 10),
    'no shown point under 10',
  );
  for (const d of await read(liaison)) {
    if (d.n !== null) t.ok(d.n >= 10, `${d.code}: n ${d.n} at least the floor`);
    if (!d.suppressed) t.ok(d.n! >= 30, `${d.code}: shares only from 30`);
    for (const p of d.points) if (p.count !== null) t.ok(p.count >= 10, `${d.code} ${p.value}: count ${p.count} at least the floor`);
  }
});

t.test('with no view asked for, /results opens on the finest rolling window covering every neighborhood, and says so', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [a, b] = await addNeighborhoods(store, 'Alder', 'Birch');
  // A retired neighborhood with no responses does not hold the view back.
  await addNeighborhoods(store, 'Old Town');
  const { neighborhoods } = store.tables;
  await store.transaction((tx) => tx.update(neighborhoods).set({ retired: true }).where(eq(neighborhoods.slug, 'old-town')));
  const lastMonth = shiftBucket(bucketStart(dateIn('UTC'), 'month'), 'month', -1);
  for (let k = 0; k < 3; k++) {
    const month = shiftBucket(lastMonth, 'month', -k);
    await submit(app, a.id, month, people(40, 3 + k));
    // Birch: 15 a month, never 30 in one month, 45 in three.
    await submit(app, b.id, month, people(15, 5 + k));
  }
  const { asLiaison } = await staffSessions(app);
  const page = await asLiaison.get('/results');
  t.equal(page.statusCode, 200);
  t.match(
    page.body,
    '<p class="notice">Showing rolling 3-month figures: the finest view in which every neighborhood has at least 30 responses for the latest month.</p>',
  );
  const chart = JSON.parse(/<script type="application\/json" id="trend-chart-data"[^>]*>([^<]*)<\/script>/.exec(page.body)![1]);
  t.equal(chart.trends.rolling, 3);
  t.equal(chart.trends.bucket, 'month');
  const birch = chart.trends.series.find((s: { area: string }) => s.area === 'birch');
  t.equal(birch.cells.at(-1).suppressed, false, 'Birch has a figure for the latest month');
  t.match(page.body, 'rolling&#x3D;3', 'the export link keeps the window');

  const asked = await asLiaison.get('/results?rolling=1');
  t.notMatch(asked.body, 'class="notice"', 'a window asked for is kept, without the sentence');

  // A neighborhood with no responses at all: no window covers it, and the sentence says so.
  await addNeighborhoods(store, 'Cedar');
  const short = await asLiaison.get('/results');
  t.match(short.body, /even so, 1 neighborhood has fewer than 30 responses for the latest month\./);
});

t.test('the neighborhood page leaves the current month out of answers, themes and groups, in quarters too', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [a] = await addNeighborhoods(store, 'Alder');
  const today = dateIn('UTC');
  const lastMonth = shiftBucket(bucketStart(today, 'month'), 'month', -1);
  // 60 answers: their perturbed counts (a few either way) stay above the reliability threshold and far below 160.
  await submit(app, a.id, lastMonth, people(60, 3), { gender: 'woman' });
  // Only this month's answers name speeding.
  await submit(app, a.id, today, people(100, 5), { top_issue: 'Speeding near the school', gender: 'woman' });
  const { asLiaison } = await staffSessions(app);
  for (const bucket of ['month', 'quarter', 'year']) {
    const body = (await asLiaison.get(`/results/alder?bucket=${bucket}&from=${lastMonth}`)).body;
    const n = Number(/n&nbsp;=&nbsp;(\d+):/.exec(body)?.[1]);
    t.ok(n > 40 && n < 80, `${bucket}: the answers counted are last month's 60, perturbed (${n}), not this month's 100 too`);
    t.notMatch(body, 'speeding', `${bucket}: no theme from this month`);
  }
});
