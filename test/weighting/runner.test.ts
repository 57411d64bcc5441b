import { sql } from 'drizzle-orm';
import t from 'tap';
import { seedResponses, type SeedResponse } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';

// Two age bands and two genders; the sample over-represents older women, as opt-in samples do.
const margins = (neighborhoodId: number) =>
  [
    ['age_band', '18_24', 3000],
    ['age_band', '65_plus', 1000],
    ['age_band', 'prefer_not', null],
    ['gender', 'woman', 2000],
    ['gender', 'man', 2000],
    ['gender', 'another', null],
  ].map(([questionCode, optionValue, count]) => ({
    neighborhoodId,
    questionCode: String(questionCode),
    optionValue: String(optionValue),
    count: count as number | null,
    source: 'test',
    year: 2023,
  }));

function sample(neighborhoodId: number, year: number): SeedResponse[] {
  const rows: SeedResponse[] = [];
  const add = (count: number, age: string, gender: string, respect: number) => {
    for (let i = 0; i < count; i++)
      rows.push({
        neighborhoodId,
        submittedOn: `${year}-0${1 + (i % 6)}-1${i % 9}`,
        answers: { respect, listening: (respect + i) % 11, age_band: age, gender },
      });
  };
  add(6, '18_24', 'man', 2);
  add(8, '18_24', 'woman', 4);
  add(12, '65_plus', 'man', 7);
  add(20, '65_plus', 'woman', 9);
  add(3, 'prefer_not', 'another', 5);
  return rows;
}

const weightsOf = (app: Awaited<ReturnType<typeof buildTestApp>>['app'], neighborhoodId: number, year: number) =>
  app.store.read((db) =>
    app.store.rows<{ id: number; weight: number | null; age: string | null; gender: string | null; month: string }>(
      db,
      sql`SELECT r.id AS "id", r.weight AS "weight", ${app.store.sql.monthOf(sql.raw('r.submitted_on'))} AS "month",
                 (SELECT a.value_text FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'age_band' WHERE a.response_id = r.id) AS "age",
                 (SELECT a.value_text FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'gender' WHERE a.response_id = r.id) AS "gender"
            FROM responses r WHERE r.neighborhood_id = ${neighborhoodId} AND NOT r.voided AND r.submitted_on BETWEEN ${`${year}-01-01`} AND ${`${year}-12-31`}`,
    ),
  );

t.test('each neighborhood-year is raked to its margins and its weighted sums kept per month', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [east, west] = await addNeighborhoods(store, 'East', 'West');
  await store.transaction((tx) =>
    tx
      .update(store.tables.neighborhoods)
      .set({ population: 3000 })
      .where(sql`id = ${west.id}`),
  );
  const admin = await createStaff(app, 'a@example.org', 'a password here', 'admin');
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  await app.margins.replace(admin.id, survey.id, margins(east.id), 'form');
  await seedResponses(app, [...sample(east.id, 2025), ...sample(west.id, 2025), ...sample(east.id, 2026)]);

  t.equal((await app.weighting.staleRuns()).length, 3, 'every neighborhood-year written to is stale');
  t.equal(await app.weighting.runStale(), 3);
  t.same(await app.weighting.staleRuns(), [], 'none once weighted');

  const east2025 = await weightsOf(app, east.id, 2025);
  const total = (rows: typeof east2025, keep: (r: (typeof east2025)[number]) => boolean) => rows.filter(keep).reduce((a, r) => a + r.weight!, 0);
  t.ok(Math.abs(total(east2025, () => true) - 4000) < 1e-6, 'weights add up to the population');
  // Those who did not answer a margin keep their weight on its step: the census shares apply to those who answered.
  const answeredAge = total(east2025, (r) => r.age !== 'prefer_not');
  t.ok(Math.abs(total(east2025, (r) => r.age === '18_24') / answeredAge - 0.75) < 1e-6, 'age band shares met');
  const answeredGender = total(east2025, (r) => r.gender === 'woman' || r.gender === 'man');
  t.ok(Math.abs(total(east2025, (r) => r.gender === 'man') / answeredGender - 0.5) < 1e-6, 'gender shares met');
  const young = east2025.find((r) => r.age === '18_24' && r.gender === 'man')!.weight!;
  const old = east2025.find((r) => r.age === '65_plus' && r.gender === 'woman')!.weight!;
  t.ok(young > old * 3, 'under-represented residents weigh more');

  const west2025 = await weightsOf(app, west.id, 2025);
  t.ok(
    west2025.every((r) => Math.abs(r.weight! - 3000 / west2025.length) < 1e-9),
    'a neighborhood without margins: equal weights adding up to its population',
  );

  // The weighted sums per month are those of the stored weights and trust scores.
  const stored = await store.read((db) =>
    store.rows<{ month: string; n: number; sumW: number; sumWY: number; maxW: number }>(
      db,
      sql`SELECT ${store.sql.monthOf(sql.raw('month'))} AS "month", n AS "n", sum_w AS "sumW", sum_wy AS "sumWY", max_w AS "maxW" FROM weighted_rollups
            WHERE neighborhood_id = ${east.id} AND measure = 'trust' AND month BETWEEN '2025-01-01' AND '2025-12-31' ORDER BY month`,
    ),
  );
  const scores = new Map(
    (
      await store.read((db) =>
        store.rows<{ id: number; score: number }>(db, sql`SELECT response_id AS "id", score AS "score" FROM response_scores WHERE measure = 'trust'`),
      )
    ).map((s) => [s.id, s.score]),
  );
  for (const row of stored) {
    const inMonth = east2025.filter((r) => r.month === row.month);
    t.equal(row.n, inMonth.length, `${row.month}: n`);
    t.ok(Math.abs(row.sumW - inMonth.reduce((a, r) => a + r.weight!, 0)) < 1e-6, `${row.month}: Σw`);
    t.ok(Math.abs(row.sumWY - inMonth.reduce((a, r) => a + r.weight! * scores.get(r.id)!, 0)) < 1e-4, `${row.month}: Σwy`);
    t.equal(row.maxW, Math.max(...inMonth.map((r) => r.weight!)), `${row.month}: largest weight`);
  }
  t.equal(stored.length, 6, 'one row per month with answers');

  const [report] = (await app.weighting.reports(survey.id)).filter((r) => r.neighborhoodId === east.id && r.year === 2025);
  t.match(report.report, {
    respondents: 49,
    raked: true,
    converged: true,
    margins: [
      { question: 'age_band', status: 'used' },
      { question: 'gender', status: 'used' },
    ],
  });
});

t.test('a write makes its neighborhood-year stale, and a weighting that raced it is not stored', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [east] = await addNeighborhoods(store, 'East');
  const admin = await createStaff(app, 'a@example.org', 'a password here', 'admin');
  const survey = (await app.surveys.findWithQuestions('community-trust'))!.survey;
  await app.margins.replace(admin.id, survey.id, margins(east.id), 'form');
  await seedResponses(app, sample(east.id, 2025));
  await app.weighting.runStale();

  await seedResponses(app, sample(east.id, 2025).slice(0, 1));
  const [stale] = await app.weighting.staleRuns();
  t.match(stale, { neighborhoodId: east.id, year: 2025 }, 'one more response: the year is weighted again');
  const inputs = await app.weighting.inputs(stale);
  t.equal(inputs.respondents.length, 50);

  await seedResponses(app, sample(east.id, 2025).slice(0, 1));
  t.notOk(
    await app.weighting.save(stale, [], [], {
      respondents: 0,
      raked: false,
      margins: [],
      converged: true,
      trimRounds: 0,
      largestWeightRatio: 1,
      withinCap: true,
    }),
    'a write since the inputs were read: not stored',
  );
  t.equal(await app.weighting.runStale(), 1);
  const weights = await weightsOf(app, east.id, 2025);
  t.equal(weights.length, 51);
  t.ok(
    weights.every((w) => w.weight !== null && w.weight > 0),
    'every response weighted, the last ones too',
  );

  await app.margins.replace(
    admin.id,
    survey.id,
    margins(east.id).map((m) => (m.optionValue === 'man' ? { ...m, count: 6000 } : m)),
    'form',
  );
  t.equal((await app.weighting.staleRuns()).length, 1, 'new margins: raked again');
  await app.weighting.runStale();
  const after = await weightsOf(app, east.id, 2025);
  const men = after.filter((r) => r.gender === 'man').reduce((a, r) => a + r.weight!, 0);
  const answered = after.filter((r) => r.gender === 'man' || r.gender === 'woman').reduce((a, r) => a + r.weight!, 0);
  t.ok(Math.abs(men / answered - 0.75) < 1e-6, 'to the new margins');
});
