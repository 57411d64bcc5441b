import { asc, sql, type SQL } from 'drizzle-orm';
import t from 'tap';
import type { Store } from '../../src/db/store.js';
import { generateDemo } from '../../src/demo/generate.js';
import { rebuildRollups } from '../../src/ops/rollups.js';
import { rollupsAndRecomputation } from '../helper/admin.js';
import { openTestStore } from '../helper/app.js';

type Row = Record<string, number | string>;

const snapshot = async (store: Store) => {
  const { responseScores: s } = store.tables;
  return {
    scores: await store.read((db) => db.select().from(s).orderBy(asc(s.responseId), asc(s.measure))),
    rollups: (await rollupsAndRecomputation({ store })).stored,
  };
};

/** Rows of the rollups that differ between two reads (sums to rounding), or that exist on one side only. */
function drifted(actual: Record<string, unknown>[], expected: Record<string, unknown>[]): unknown[] {
  if (actual.length !== expected.length) return [{ rows: actual.length, expected: expected.length }];
  return actual.filter((a, i) =>
    Object.entries(a).some(([k, v]) => {
      const e = expected[i][k];
      return typeof v === 'number' && k !== 'n' && k !== 'key_sum' ? Math.abs(v - Number(e)) > 1e-6 * Math.max(1, Math.abs(v)) : v !== e;
    }),
  );
}

const rows = (store: Store, query: SQL) => store.read((db) => store.rows<Row>(db, query));

// Trust straight from raw answers by plain SQL: both items answered (more than half of two), mean of the 0–100 points.
const rawTrustByNeighborhoodMonth = (store: Store) => sql`
  SELECT r.neighborhood_id AS neighborhood, ${store.sql.monthOf(sql`r.submitted_on`)} AS month, count(*) AS n,
         sum((re.value_number * 10 + li.value_number * 10) / 2.0) AS sum,
         sum(((re.value_number * 10 + li.value_number * 10) / 2.0) * ((re.value_number * 10 + li.value_number * 10) / 2.0)) AS sum_squares
    FROM responses r
    JOIN answers re ON re.response_id = r.id AND re.question_id = (SELECT id FROM questions WHERE code = 'respect')
    JOIN answers li ON li.response_id = r.id AND li.question_id = (SELECT id FROM questions WHERE code = 'listening')
   WHERE NOT r.voided
   GROUP BY 1, 2 ORDER BY 1, 2`;
const rollupTrustByNeighborhoodMonth = sql`
  SELECT neighborhood_id AS neighborhood, month, n, sum, sum_squares FROM monthly_rollups WHERE measure = 'trust' ORDER BY 1, 2`;
// Fairness is a 5-point item: (point − 1) × 25.
const rawFairness = (
  voided: boolean,
) => sql`SELECT count(*) AS n, sum((a.value_number - 1) * 25.0) AS sum FROM answers a JOIN responses r ON r.id = a.response_id
   WHERE ${voided ? sql`r.voided` : sql`NOT r.voided`} AND a.question_id = (SELECT id FROM questions WHERE code = 'fairness')`;
const rollupFairness = sql`SELECT sum(n) AS n, sum(sum) AS sum FROM monthly_rollups WHERE measure = 'fairness'`;

/** Neighborhood × month cells whose n, sum or sum of squares differ (or that exist on one side only). */
function mismatches(actual: Row[], expected: Row[]): Row[] {
  if (actual.length !== expected.length) return [{ cells: actual.length, expected: expected.length }];
  return actual.filter((a, i) => {
    const e = expected[i];
    return (
      a.neighborhood !== e.neighborhood ||
      a.month !== e.month ||
      a.n !== e.n ||
      Math.abs(Number(a.sum) - Number(e.sum)) > 1e-6 ||
      Math.abs(Number(a.sum_squares) - Number(e.sum_squares)) > 1e-4
    );
  });
}

t.test('rebuilt rollups equal the incrementally maintained ones and the sums of the raw answers', async (t) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  const { responses } = await generateDemo(store, { seed: 7, asOf: '2026-06-30', passwordCost: 10, dailyRate: 0.4 });
  t.ok(responses > 1000, `${responses} demo responses`);

  const incremental = await snapshot(store);
  const { stored, recomputed } = await rollupsAndRecomputation({ store });
  t.same(drifted(stored, recomputed), [], 'the monthly, group, answer and text rollups equal GROUP BYs over the raw rows');
  for (const kind of ['monthly', 'group', 'answer', 'text']) t.ok(stored.filter((r) => r.kind === kind).length > 50, `${kind} rollups kept`);
  const trustCells = await rows(store, rollupTrustByNeighborhoodMonth);
  t.ok(trustCells.length > 100, `${trustCells.length} neighborhood × month trust cells`);
  t.same(mismatches(trustCells, await rows(store, rawTrustByNeighborhoodMonth(store))), [], 'incremental trust rollups equal the raw answers');

  const result = await rebuildRollups(store, 'UTC');
  t.equal(result.responses, responses, 'every response was rescored');
  const rebuilt = await snapshot(store);
  t.equal(rebuilt.scores.length, incremental.scores.length);
  t.same(rebuilt.scores, incremental.scores, 'the same per-respondent scores');
  t.equal(rebuilt.rollups.length, incremental.rollups.length);
  t.same(drifted(rebuilt.rollups, incremental.rollups), [], 'the same rollups, every cell');
});

t.test('a rebuild leaves voided responses out of scores and rollups', async (t) => {
  const { store } = await openTestStore(t);
  t.teardown(() => store.close());
  await generateDemo(store, { seed: 11, asOf: '2026-03-31', passwordCost: 10, dailyRate: 0.3 });
  const [fairnessBefore] = await rows(store, rollupFairness);
  await store.transaction((tx) => store.execute(tx, sql`UPDATE responses SET voided = TRUE, void_reason = 'test' WHERE id % 3 = 0`));
  const voidedFairness = (await rows(store, rawFairness(true)))[0].n as number;
  t.ok(voidedFairness > 100, `${voidedFairness} voided fairness answers`);

  await rebuildRollups(store, 'UTC');
  const [fairnessAfter] = await rows(store, rollupFairness);
  t.equal(fairnessAfter.n, (fairnessBefore.n as number) - voidedFairness, 'the voided answers left the rollups');
  const [raw] = await rows(store, rawFairness(false));
  t.equal(fairnessAfter.n, raw.n);
  t.ok(Math.abs(Number(fairnessAfter.sum) - Number(raw.sum)) < 1e-6, 'fairness sum equals the raw answers');
  t.same(
    mismatches(await rows(store, rollupTrustByNeighborhoodMonth), await rows(store, rawTrustByNeighborhoodMonth(store))),
    [],
    'trust after voiding equals the raw answers',
  );
  const { stored, recomputed } = await rollupsAndRecomputation({ store });
  t.same(drifted(stored, recomputed), [], 'every rollup equals the live raw rows');
  const [voidedScores] = await rows(store, sql`SELECT count(*) AS n FROM response_scores s JOIN responses r ON r.id = s.response_id WHERE r.voided`);
  t.equal(voidedScores.n, 0, 'no scores kept for voided responses');
});
