import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { generateDemo } from '../../src/demo/generate.js';
import { rebuildRollups } from '../../src/ops/rollups.js';
import { tempDir } from '../helper/app.js';

type Row = Record<string, number | string>;

const snapshot = (sqlite: import('better-sqlite3').Database) => ({
  scores: sqlite.prepare('SELECT response_id, measure, score FROM response_scores ORDER BY response_id, measure').all() as Row[],
  rollups: sqlite
    .prepare('SELECT survey_id, measure, day, neighborhood_id, n, sum, sum_squares FROM daily_rollups ORDER BY survey_id, measure, day, neighborhood_id')
    .all() as Row[],
});

// Trust straight from raw answers by plain SQL: both items answered (more than half of two), mean of the 0–100 points.
const rawTrustByNeighborhoodMonth = `
  SELECT r.neighborhood_id AS neighborhood, substr(r.submitted_on, 1, 7) AS month, count(*) AS n,
         sum((re.value_number * 10 + li.value_number * 10) / 2.0) AS sum,
         sum(((re.value_number * 10 + li.value_number * 10) / 2.0) * ((re.value_number * 10 + li.value_number * 10) / 2.0)) AS sum_squares
    FROM responses r
    JOIN answers re ON re.response_id = r.id AND re.question_id = (SELECT id FROM questions WHERE code = 'respect')
    JOIN answers li ON li.response_id = r.id AND li.question_id = (SELECT id FROM questions WHERE code = 'listening')
   WHERE r.voided = 0
   GROUP BY 1, 2 ORDER BY 1, 2`;
const rollupTrustByNeighborhoodMonth = `
  SELECT neighborhood_id AS neighborhood, substr(day, 1, 7) AS month, sum(n) AS n, sum(sum) AS sum, sum(sum_squares) AS sum_squares
    FROM daily_rollups WHERE measure = 'trust' GROUP BY 1, 2 ORDER BY 1, 2`;
// Fairness is a 5-point item: (point − 1) × 25.
const rawFairness = `SELECT count(*) AS n, sum((a.value_number - 1) * 25.0) AS sum FROM answers a JOIN responses r ON r.id = a.response_id
   WHERE r.voided = 0 AND a.question_id = (SELECT id FROM questions WHERE code = 'fairness')`;
const rollupFairness = `SELECT sum(n) AS n, sum(sum) AS sum FROM daily_rollups WHERE measure = 'fairness'`;

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
  const handle = openDatabase(join(tempDir(t), 'rollups.db'));
  t.teardown(() => handle.close());
  const { responses } = await generateDemo(handle, { seed: 7, asOf: '2026-06-30', passwordCost: 10, dailyRate: 0.4 });
  t.ok(responses > 1000, `${responses} demo responses`);
  const { sqlite } = handle;

  const incremental = snapshot(sqlite);
  const trustCells = sqlite.prepare(rollupTrustByNeighborhoodMonth).all() as Row[];
  t.ok(trustCells.length > 100, `${trustCells.length} neighborhood × month trust cells`);
  t.same(mismatches(trustCells, sqlite.prepare(rawTrustByNeighborhoodMonth).all() as Row[]), [], 'incremental trust rollups equal the raw answers');

  const result = rebuildRollups(sqlite);
  t.equal(result.responses, responses, 'every response was rescored');
  const rebuilt = snapshot(sqlite);
  t.equal(rebuilt.scores.length, incremental.scores.length);
  t.same(rebuilt.scores, incremental.scores, 'the same per-respondent scores');
  t.equal(rebuilt.rollups.length, incremental.rollups.length);
  const drift = rebuilt.rollups.filter((r, i) => {
    const o = incremental.rollups[i];
    return (
      r.measure !== o.measure ||
      r.day !== o.day ||
      r.n !== o.n ||
      Math.abs(Number(r.sum) - Number(o.sum)) > 1e-9 ||
      Math.abs(Number(r.sum_squares) - Number(o.sum_squares)) > 1e-7
    );
  });
  t.same(drift, [], 'the same daily rollups');
});

t.test('a rebuild leaves voided responses out of scores and rollups', async (t) => {
  const handle = openDatabase(join(tempDir(t), 'voided.db'));
  t.teardown(() => handle.close());
  await generateDemo(handle, { seed: 11, asOf: '2026-03-31', passwordCost: 10, dailyRate: 0.3 });
  const { sqlite } = handle;
  const fairnessBefore = sqlite.prepare(rollupFairness).get() as Row;
  sqlite.exec("UPDATE responses SET voided = 1, void_reason = 'test' WHERE id % 3 = 0");
  const voidedFairness = (sqlite.prepare(`${rawFairness.replace('r.voided = 0', 'r.voided = 1')}`).get() as Row).n as number;
  t.ok(voidedFairness > 100, `${voidedFairness} voided fairness answers`);

  rebuildRollups(sqlite);
  const fairnessAfter = sqlite.prepare(rollupFairness).get() as Row;
  t.equal(fairnessAfter.n, (fairnessBefore.n as number) - voidedFairness, 'the voided answers left the rollups');
  const raw = sqlite.prepare(rawFairness).get() as Row;
  t.equal(fairnessAfter.n, raw.n);
  t.ok(Math.abs(Number(fairnessAfter.sum) - Number(raw.sum)) < 1e-6, 'fairness sum equals the raw answers');
  t.same(
    mismatches(sqlite.prepare(rollupTrustByNeighborhoodMonth).all() as Row[], sqlite.prepare(rawTrustByNeighborhoodMonth).all() as Row[]),
    [],
    'trust after voiding equals the raw answers',
  );
  const voidedScores = sqlite.prepare('SELECT count(*) AS n FROM response_scores s JOIN responses r ON r.id = s.response_id WHERE r.voided = 1').get() as Row;
  t.equal(voidedScores.n, 0, 'no scores kept for voided responses');
});
