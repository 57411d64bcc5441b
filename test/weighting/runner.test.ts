import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { bucketEnd } from '../../src/stats/buckets.js';
import { nextPassDelay, WEIGHTING_SHARE } from '../../src/weighting/runner.js';
import { seedResponses, type SeedResponse } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, createStaff } from '../helper/app.js';

// Two age bands and two genders; the sample over-represents older women, as opt-in samples do.
const margins = (neighborhoodId: number, men = 2000) =>
  [
    ['age_band', '18_24', 3000],
    ['age_band', '65_plus', 1000],
    ['age_band', 'prefer_not', null],
    ['gender', 'woman', 2000],
    ['gender', 'man', men],
    ['gender', 'another', null],
  ].map(([questionCode, optionValue, count]) => ({
    neighborhoodId,
    questionCode: String(questionCode),
    optionValue: String(optionValue),
    count: count as number | null,
    source: 'test',
    year: 2023,
  }));

/** 49 respondents on days of one month (YYYY-MM). */
function sample(neighborhoodId: number, month: string): SeedResponse[] {
  const rows: SeedResponse[] = [];
  const add = (count: number, age: string, gender: string, respect: number) => {
    for (let i = 0; i < count; i++)
      rows.push({ neighborhoodId, submittedOn: `${month}-1${i % 9}`, answers: { respect, listening: (respect + i) % 11, age_band: age, gender } });
  };
  add(6, '18_24', 'man', 2);
  add(8, '18_24', 'woman', 4);
  add(12, '65_plus', 'man', 7);
  add(20, '65_plus', 'woman', 9);
  add(3, 'prefer_not', 'another', 5);
  return rows;
}

type Weighted = { id: number; weight: number | null; age: string | null; gender: string | null };

const weightsIn = (app: FastifyInstance, neighborhoodId: number, month: string): Promise<Weighted[]> =>
  app.store.read((db) =>
    app.store.rows<Weighted>(
      db,
      sql`SELECT r.id AS "id", r.weight AS "weight",
                 (SELECT a.value_text FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'age_band' WHERE a.response_id = r.id) AS "age",
                 (SELECT a.value_text FROM answers a JOIN questions q ON q.id = a.question_id AND q.code = 'gender' WHERE a.response_id = r.id) AS "gender"
            FROM responses r WHERE r.neighborhood_id = ${neighborhoodId} AND NOT r.voided AND r.submitted_on BETWEEN ${`${month}-01`} AND ${bucketEnd(`${month}-01`, 'month')}
            ORDER BY r.id`,
    ),
  );

const total = (rows: readonly Weighted[], keep: (r: Weighted) => boolean = () => true) => rows.filter(keep).reduce((a, r) => a + r.weight!, 0);
const close = (a: number, b: number, tolerance = 1e-6) => Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b));

async function setUp(t: Parameters<typeof buildTestApp>[0]) {
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
  return { app, store, east, west, admin, survey };
}

t.test('a month is raked to its neighborhood’s margins, speaks for its population, and its weighted sums are kept', async (t) => {
  const { app, store, east, west, survey } = await setUp(t);
  await seedResponses(app, [...sample(east.id, '2025-03'), ...sample(west.id, '2025-03')]);

  const stale = await app.weighting.staleRuns();
  t.equal(stale.filter((r) => r.neighborhoodId === east.id).length, 12, 'its month and the eleven whose window holds it');
  t.equal(await app.weighting.runStale(), 24);
  t.same(await app.weighting.staleRuns(), [], 'none once weighted');

  const march = await weightsIn(app, east.id, '2025-03');
  t.ok(close(total(march), 4000), 'weights add up to the population');
  // Those who did not answer a margin keep their weight on its step: the census shares apply to those who answered.
  t.ok(close(total(march, (r) => r.age === '18_24') / total(march, (r) => r.age !== 'prefer_not'), 0.75), 'age band shares met');
  t.ok(close(total(march, (r) => r.gender === 'man') / total(march, (r) => r.gender === 'woman' || r.gender === 'man'), 0.5), 'gender shares met');
  const weightOf = (age: string, gender: string) => march.find((r) => r.age === age && r.gender === gender)!.weight!;
  t.ok(weightOf('18_24', 'man') > 3 * weightOf('65_plus', 'woman'), 'under-represented residents weigh more');

  const westMarch = await weightsIn(app, west.id, '2025-03');
  t.ok(
    westMarch.every((r) => close(r.weight!, 3000 / westMarch.length)),
    'a neighborhood without margins: equal weights adding up to its population',
  );

  // The month's weighted sums are those of the stored weights and trust scores.
  const [row] = await store.read((db) =>
    store.rows<{ n: number; sumW: number; sumW2: number; sumWY: number; maxW: number }>(
      db,
      sql`SELECT n AS "n", sum_w AS "sumW", sum_w2 AS "sumW2", sum_wy AS "sumWY", max_w AS "maxW" FROM weighted_rollups
            WHERE neighborhood_id = ${east.id} AND measure = 'trust'`,
    ),
  );
  const scores = new Map(
    (
      await store.read((db) =>
        store.rows<{ id: number; score: number }>(db, sql`SELECT response_id AS "id", score AS "score" FROM response_scores WHERE measure = 'trust'`),
      )
    ).map((s) => [s.id, s.score]),
  );
  t.equal(row.n, 49);
  t.ok(close(row.sumW, total(march)), 'Σw');
  t.ok(
    close(
      row.sumW2,
      march.reduce((a, r) => a + r.weight! ** 2, 0),
    ),
    'Σw²',
  );
  t.ok(
    close(
      row.sumWY,
      march.reduce((a, r) => a + r.weight! * scores.get(r.id)!, 0),
    ),
    'Σwy',
  );
  t.equal(row.maxW, Math.max(...march.map((r) => r.weight!)), 'largest weight');

  const report = (await app.weighting.reports(survey.id)).find((r) => r.neighborhoodId === east.id && r.month === '2025-03-01')!;
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

t.test('a later answer never re-weighs a month already over; an earlier one, new margins and a race are handled', async (t) => {
  const { app, east, admin, survey } = await setUp(t);
  await seedResponses(app, sample(east.id, '2025-03'));
  await app.weighting.runStale();
  const before = await weightsIn(app, east.id, '2025-03');

  await seedResponses(app, sample(east.id, '2025-04').slice(0, 10));
  const stale = await app.weighting.staleRuns();
  t.notOk(
    stale.some((r) => r.month === '2025-03-01'),
    'March is not stale',
  );
  t.equal(stale[0].month, '2025-04-01');
  await app.weighting.runStale();
  t.same(await weightsIn(app, east.id, '2025-03'), before, 'March weights unchanged by April answers');
  const april = await weightsIn(app, east.id, '2025-04');
  t.equal(april.length, 10);
  t.ok(close(total(april), 4000), 'April speaks for the population too');

  await seedResponses(app, sample(east.id, '2025-02').slice(0, 1));
  const [first] = await app.weighting.staleRuns();
  t.equal(first.month, '2025-02-01', 'an earlier answer: its month and the later ones are weighted again');
  const inputs = await app.weighting.inputs([{ ...first, month: '2025-03-01', version: (await app.weighting.staleRuns())[1].version }]);
  t.equal(inputs.respondents.length, 50, 'March is raked with February');

  const [run] = await app.weighting.staleRuns();
  await seedResponses(app, sample(east.id, '2025-02').slice(0, 1));
  const emptyReport = { respondents: 0, raked: false, margins: [], converged: true, trimRounds: 0, largestWeightRatio: 1, withinCap: true };
  t.equal(await app.weighting.save([{ run, weights: [], rollups: [], report: emptyReport }]), 0, 'a write since the inputs were read: not stored');
  await app.weighting.runStale();
  t.notSame(await weightsIn(app, east.id, '2025-03'), before, 'March re-weighed with February in its window');
  t.ok(
    (await weightsIn(app, east.id, '2025-02')).every((r) => r.weight !== null && r.weight > 0),
    'every response weighted, the last ones too',
  );

  await app.margins.replace(admin.id, survey.id, margins(east.id, 6000), 'form');
  t.ok((await app.weighting.staleRuns()).length >= 12, 'new margins: raked again');
  await app.weighting.runStale();
  const april2 = await weightsIn(app, east.id, '2025-04');
  t.notSame(april2, april, 'to the new margins');
});

t.test('passes take at most a fifth of the time, however long each one is', async (t) => {
  t.equal(nextPassDelay(10_000, 300), 10_000, 'a short pass waits the interval');
  t.equal(nextPassDelay(10_000, 5_000), 20_000, 'a 5 s pass waits 20 s');
  for (const pass of [1, 100, 2_500, 60_000]) {
    const share = pass / (pass + nextPassDelay(1_000, pass));
    t.ok(share <= WEIGHTING_SHARE + 1e-9, `a ${pass} ms pass: ${(share * 100).toFixed(0)}% of the time`);
  }
});
