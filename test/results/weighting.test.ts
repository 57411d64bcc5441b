import { sql } from 'drizzle-orm';
import t from 'tap';
import { summarizeWeighted, weightedSums } from '../../src/stats/weighted.js';
import { seedResponses, staffSessions, type SeedResponse } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';

/** Census: three young residents for each older one, as many men as women; the sample leans old and female. */
const margins = (neighborhoodId: number) =>
  [
    ['age_band', '18_24', 3000],
    ['age_band', '65_plus', 1000],
    ['gender', 'woman', 2000],
    ['gender', 'man', 2000],
  ].map(([questionCode, optionValue, count]) => ({
    neighborhoodId,
    questionCode: String(questionCode),
    optionValue: String(optionValue),
    count: Number(count),
    source: 'ACS 2023 B01001',
    year: 2023,
  }));

/** Per month, 90 respondents: the young trust less (respect 2–4) than the old (8–10). */
function month(neighborhoodId: number, day: string): SeedResponse[] {
  const rows: SeedResponse[] = [];
  const add = (count: number, age: string, gender: string, respect: number) => {
    for (let i = 0; i < count; i++)
      rows.push({ neighborhoodId, submittedOn: day, answers: { respect: respect + (i % 3), listening: respect + ((i + 1) % 3), age_band: age, gender } });
  };
  add(12, '18_24', 'man', 2);
  add(18, '18_24', 'woman', 2);
  add(22, '65_plus', 'man', 8);
  add(38, '65_plus', 'woman', 8);
  return rows;
}

t.test('with margins, results are weighted by default, with n_eff, exact for admins and switchable to unweighted', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [east, west] = await addNeighborhoods(store, 'East', 'West');
  const { admin, asAdmin, asLiaison } = await staffSessions(app);
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  await seedResponses(app, [...month(east.id, '2026-09-10'), ...month(west.id, '2026-09-12')]);
  const url = '/api/trends?from=2026-09-01&to=2026-09-30&neighborhood=east';

  // No margins anywhere: unweighted, as before.
  const plain = (await asAdmin.get(url)).json();
  t.match(plain.series[1].cells[0], { weighted: false, n_eff: null, n: 90 });

  await app.margins.replace(admin.id, survey.id, margins(east.id), 'form');
  await app.weighting.runStale();
  const weighted = (await asAdmin.get(url)).json();
  const cell = weighted.series[1].cells[0];
  t.match(cell, { weighted: true, n: 90, suppressed: false });

  // The same figure computed independently from the stored weights and the answers.
  const rows = await store.read((db) =>
    store.rows<{ weight: number; respect: number; listening: number }>(
      db,
      sql`SELECT r.weight AS "weight",
                 (SELECT a.value_number FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'respect' WHERE a.response_id = r.id) AS "respect",
                 (SELECT a.value_number FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'listening' WHERE a.response_id = r.id) AS "listening"
            FROM responses r WHERE r.neighborhood_id = ${east.id}`,
    ),
  );
  const expected = summarizeWeighted(
    weightedSums(
      rows.map((r) => (r.respect + r.listening) * 5),
      rows.map((r) => r.weight),
    ),
  )!;
  t.ok(Math.abs(cell.mean - expected.mean) < 1e-9, 'weighted mean');
  t.ok(Math.abs(cell.se - expected.se!) < 1e-9, 'linearized standard error');
  t.equal(cell.n_eff, Math.round(expected.nEff * 10) / 10, 'Kish n_eff');
  t.ok(cell.mean < plain.series[1].cells[0].mean - 10, 'weighting to a younger census lowers trust here');

  const switched = (await asAdmin.get(`${url}&weighting=unweighted`)).json();
  t.same(switched.series[1].cells[0], plain.series[1].cells[0], 'the switch gives the unweighted figure');
  const bad = await asAdmin.get(`${url}&weighting=heavy`);
  t.equal(bad.statusCode, 400);
  t.equal(bad.json().field, 'weighting');

  // The city figure adds East (4,000 residents, weighted) and West (no margins, no population: its own responses).
  t.match(weighted.series[0].cells[0], { weighted: true });

  // Liaisons see the weighted figure protected: near the exact one, with a wider interval.
  const protectedCell = (await asLiaison.get(url)).json().series[1].cells[0];
  t.match(protectedCell, { weighted: true });
  t.ok(Math.abs(protectedCell.mean - cell.mean) < 15, 'close to the exact figure');
  t.ok(protectedCell.ci_high - protectedCell.ci_low > cell.ci_high - cell.ci_low, 'its interval includes the noise');

  const page = await asLiaison.get('/results/east?from=2026-09-01&to=2026-09-30');
  t.equal(page.statusCode, 200);
  t.match(page.body, /Weighted to the census:/);
  t.match(page.body, /n<sub>eff<\/sub>/);
  t.match(page.body, /Show unweighted figures/);
  const unweightedPage = await asLiaison.get('/results/east?from=2026-09-01&to=2026-09-30&weighting=unweighted');
  t.match(unweightedPage.body, /<strong>Unweighted:<\/strong>/);

  const census = await asLiaison.get('/results/weighting');
  t.equal(census.statusCode, 200);
  t.match(census.body, /<h2 id="area-east">East<\/h2>/);
  t.match(
    census.body,
    /18–24<\/th><td>75\.0%<\/td><td>\d+\.\d% <span class="n">\(n&nbsp;=&nbsp;\d+\)<\/span><\/td><td>75\.0%<\/td>/,
    'census, sample and weighted shares',
  );
  t.notMatch(census.body, /area-west/, 'a neighborhood without margins has no comparison');
  t.match(census.body, /West/, 'but is named as unweighted');
});

t.test('event impact uses weighted means: the difference-in-differences is that of the weighted figures', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [east, west] = await addNeighborhoods(store, 'East', 'West');
  const { admin, asAdmin } = await staffSessions(app);
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  await app.margins.replace(admin.id, survey.id, [...margins(east.id), ...margins(west.id)], 'form');
  await seedResponses(app, [
    ...month(east.id, '2026-09-10'),
    ...month(west.id, '2026-09-12'),
    ...month(east.id, '2026-11-10'),
    ...month(west.id, '2026-11-12'),
  ]);
  await app.weighting.runStale();
  const [event] = await store.transaction((tx) =>
    tx
      .insert(store.tables.events)
      .values({ title: { en: 'Cookout' }, occurredOn: '2026-10-15', neighborhoodId: east.id, kind: 'outreach' })
      .returning(),
  );
  const weighted = (await asAdmin.get(`/api/events/${event.id}/impact?months=1`)).json();
  t.match(weighted.area.before, { weighted: true, n: 90 });
  t.match(weighted.comparison.after, { weighted: true });
  const change = (a: { before: { mean: number }; after: { mean: number } }) => a.after.mean - a.before.mean;
  t.ok(Math.abs(weighted.differenceInDifferences.estimate - (change(weighted.area) - change(weighted.comparison))) < 1e-9, 'DiD of the weighted means');
  const plain = (await asAdmin.get(`/api/events/${event.id}/impact?months=1&weighting=unweighted`)).json();
  t.match(plain.area.before, { weighted: false, n_eff: null });
  t.ok(weighted.area.before.n_eff < plain.area.before.n, 'weighting costs precision: n_eff under n');
  t.not(weighted.area.before.mean, plain.area.before.mean);
  const page = await asAdmin.get(`/events/${event.id}`);
  t.match(page.body, /Weighted to the census:/, 'the event page says its figures are weighted');
});
