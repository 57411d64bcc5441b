import { and, asc, eq, sql } from 'drizzle-orm';
import type { WeightingReport, WeightingRun } from '../db/schema.js';
import { storeTask, valueRows, type Store } from '../db/store.js';
import { bucketEnd, shiftBucket } from '../stats/buckets.js';
import { WINDOW_MONTHS, weighNeighborhoodMonth, type MarginQuestion, type WeightedRollupRow, type WeightingRespondent } from './compute.js';

/** A neighborhood-month whose weights are out of date, at the version they must catch up with. */
export type StaleRun = Pick<WeightingRun, 'surveyId' | 'neighborhoodId' | 'month' | 'version'>;

/** A neighborhood-month raked: its responses' weights, its weighted sums and its report, to be stored. */
export interface WeighedRun {
  run: StaleRun;
  weights: readonly { id: number; weight: number }[];
  rollups: readonly WeightedRollupRow[];
  report: WeightingReport;
}

// Rows per multi-row statement: far below the bound parameters SQLite and PostgreSQL accept.
const ROWS_PER_STATEMENT = 500;

/** Weighting's reads and writes: which neighborhood-months are stale, what raking them needs, and their new weights. */
export function createWeightingRepository(store: Store) {
  const { neighborhoods, populationMargins, questions, weightingRuns } = store.tables;
  const monthOf = (column: string) => store.sql.monthOf(sql.raw(column));
  // The raking windows of some months of one neighborhood, together: from the first one's start to the last month's end.
  const windowOf = (runs: readonly StaleRun[]) =>
    sql`r.survey_id = ${runs[0].surveyId} AND r.neighborhood_id = ${runs[0].neighborhoodId} AND NOT r.voided
        AND r.submitted_on BETWEEN ${shiftBucket(runs[0].month, 'month', 1 - WINDOW_MONTHS)} AND ${bucketEnd(runs[runs.length - 1].month, 'month')}`;

  /** The survey's demographic questions that have census counts in the neighborhood, in question order. */
  async function marginQuestions(surveyId: number, neighborhoodId: number): Promise<MarginQuestion[]> {
    const [choices, counts] = await store.read((db) =>
      Promise.all([
        db
          .select()
          .from(questions)
          .where(and(eq(questions.surveyId, surveyId), eq(questions.kind, 'choice')))
          .orderBy(asc(questions.position)),
        db
          .select()
          .from(populationMargins)
          .where(and(eq(populationMargins.surveyId, surveyId), eq(populationMargins.neighborhoodId, neighborhoodId))),
      ]),
    );
    const countOf = new Map(counts.map((m) => [`${m.questionCode}|${m.optionValue}`, m.count]));
    return choices
      .filter((q) => counts.some((m) => m.questionCode === q.code))
      .map((q) => ({ code: q.code, options: (q.options ?? []).map((o) => ({ value: o.value, count: countOf.get(`${q.code}|${o.value}`) ?? null })) }));
  }

  /** The counted responses of months' raking windows with their demographic answers and scores (read off the event loop). */
  async function respondents(run: readonly StaleRun[], codes: readonly string[]): Promise<WeightingRespondent[]> {
    const [people, answers, scores] = await Promise.all([
      store.aggregate<{ id: number; month: string }>(sql`SELECT r.id AS "id", ${monthOf('r.submitted_on')} AS "month" FROM responses r WHERE ${windowOf(run)}`),
      codes.length === 0
        ? Promise.resolve([])
        : store.aggregate<{ id: number; code: string; value: string | null }>(
            sql`SELECT a.response_id AS "id", q.code AS "code", a.value_text AS "value"
                  FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id AND q.code IN ${codes}
                  WHERE ${windowOf(run)}`,
          ),
      store.aggregate<{ id: number; measure: string; score: number }>(
        sql`SELECT s.response_id AS "id", s.measure AS "measure", s.score AS "score"
              FROM responses r JOIN response_scores s ON s.response_id = r.id WHERE ${windowOf(run)}`,
      ),
    ]);
    const byId = new Map(people.map((p) => [p.id, { id: p.id, month: p.month, answers: new Map<string, string | null>(), scores: new Map<string, number>() }]));
    for (const a of answers) byId.get(a.id)?.answers.set(a.code, a.value);
    for (const s of scores) byId.get(s.id)?.scores.set(s.measure, s.score);
    // Raking's result must not depend on the order rows come back in.
    return [...byId.values()].sort((a, b) => a.id - b.id);
  }

  return {
    /** Neighborhood-months whose raking window was written to since they were last weighted. */
    staleRuns: (): Promise<StaleRun[]> =>
      store.read((db) =>
        db
          .select({
            surveyId: weightingRuns.surveyId,
            neighborhoodId: weightingRuns.neighborhoodId,
            month: weightingRuns.month,
            version: weightingRuns.version,
          })
          .from(weightingRuns)
          .where(sql`${weightingRuns.weightedVersion} <> ${weightingRuns.version}`)
          .orderBy(asc(weightingRuns.surveyId), asc(weightingRuns.neighborhoodId), asc(weightingRuns.month)),
      ),
    /**
     * What raking some months of one neighborhood needs (`runs` in month order, one survey and neighborhood): its margins,
     * population and the respondents of every month's window, read once for all of them.
     */
    async inputs(runs: readonly StaleRun[]) {
      const [{ surveyId, neighborhoodId }] = runs;
      const margins = await marginQuestions(surveyId, neighborhoodId);
      const [place] = await store.read((db) =>
        db.select({ population: neighborhoods.population }).from(neighborhoods).where(eq(neighborhoods.id, neighborhoodId)),
      );
      return {
        margins,
        population: place?.population ?? null,
        respondents: await respondents(
          runs,
          margins.map((m) => m.code),
        ),
      };
    },
    /**
     * Rakes some months of one neighborhood (`runs` in month order, one survey and neighborhood) where their respondents
     * are read: on SQLite the read worker's thread, so raking a pass's windows never holds a resident's submission.
     */
    weigh: (runs: readonly StaleRun[]): Promise<WeighedRun[]> => store.task(weighTask, runs),
    /**
     * Stores neighborhood-months' weights, weighted sums and reports in one transaction, each unless a write came in
     * since its inputs were read (then it stays stale, to be weighted again); returns how many were stored.
     */
    save(weighed: readonly WeighedRun[]): Promise<number> {
      return store.transaction(
        async (tx) => {
          let stored = 0;
          // Every measure the survey's weighted sums hold or will hold: a delete naming them uses the whole primary key,
          // where one without scanned every neighborhood-month of the survey. Read one primary-key seek per measure: a
          // DISTINCT read all the survey's weighted sums, on the event loop (at 300 neighborhoods × 6 years, 0.1–0.5 s a save).
          const measures = new Set(weighed.flatMap(({ rollups }) => rollups.map((r) => r.measure)));
          for (const { surveyId } of new Map(weighed.map(({ run }) => [run.surveyId, run])).values())
            for (const { measure } of await store.rows<{ measure: string | null }>(
              tx,
              sql`WITH RECURSIVE m(measure) AS (
                    SELECT min(measure) FROM weighted_rollups WHERE survey_id = ${surveyId}
                    UNION ALL
                    SELECT (SELECT min(w.measure) FROM weighted_rollups w WHERE w.survey_id = ${surveyId} AND w.measure > m.measure) FROM m WHERE m.measure IS NOT NULL)
                  SELECT measure AS "measure" FROM m`,
            ))
              if (measure !== null) measures.add(measure);
          for (const { run, weights, rollups, report } of weighed) {
            const where = and(
              eq(weightingRuns.surveyId, run.surveyId),
              eq(weightingRuns.neighborhoodId, run.neighborhoodId),
              eq(weightingRuns.month, run.month),
            );
            const [current] = await tx.select({ version: weightingRuns.version }).from(weightingRuns).where(where);
            if (current?.version !== run.version) continue;
            for (let i = 0; i < weights.length; i += ROWS_PER_STATEMENT) {
              const rows = weights.slice(i, i + ROWS_PER_STATEMENT).map((w) => [w.id, w.weight]);
              await store.execute(
                tx,
                sql`UPDATE responses SET weight = CAST(v.column2 AS DOUBLE PRECISION) FROM (VALUES ${valueRows(rows)}) AS v WHERE responses.id = CAST(v.column1 AS BIGINT)`,
              );
            }
            if (measures.size > 0)
              await store.execute(
                tx,
                sql`DELETE FROM weighted_rollups WHERE survey_id = ${run.surveyId} AND measure IN ${[...measures]} AND month = ${run.month} AND neighborhood_id = ${run.neighborhoodId}`,
              );
            for (let i = 0; i < rollups.length; i += ROWS_PER_STATEMENT)
              await tx.insert(store.tables.weightedRollups).values(rollups.slice(i, i + ROWS_PER_STATEMENT));
            await tx.update(weightingRuns).set({ weightedVersion: run.version, report }).where(where);
            stored += 1;
          }
          return stored;
        },
        // Only these neighborhood-months' figures change: a pass every few seconds must not empty every cached figure.
        { invalidates: [], changes: weighed.map(({ run }) => ({ survey: run.surveyId, from: run.month, to: bucketEnd(run.month, 'month') })) },
      );
    },
    /** Every weighted neighborhood-month's report for a survey. */
    reports: (surveyId: number): Promise<WeightingRun[]> =>
      store.read((db) =>
        db.select().from(weightingRuns).where(eq(weightingRuns.surveyId, surveyId)).orderBy(asc(weightingRuns.neighborhoodId), asc(weightingRuns.month)),
      ),
    /** Whether any neighborhood has census margins for the survey: weighted figures are then the default. */
    hasMargins: (surveyId: number): Promise<boolean> =>
      store.cached(
        'settings',
        `weighting:margins:${surveyId}`,
        async () =>
          (await store.read((db) => db.select({ id: populationMargins.id }).from(populationMargins).where(eq(populationMargins.surveyId, surveyId)).limit(1)))
            .length > 0,
      ),
  };
}

export type WeightingRepository = ReturnType<typeof createWeightingRepository>;

/** Raking some months of one neighborhood, each month's window (it and the eleven before) read once for all of them. */
export const weighTask = storeTask(
  import.meta.url,
  'weighTask',
  async (store, runs: readonly StaleRun[]): Promise<WeighedRun[]> => {
    const { margins, population, respondents } = await createWeightingRepository(store).inputs(runs);
    return runs.map((run) => {
      const first = shiftBucket(run.month, 'month', 1 - WINDOW_MONTHS);
      const window = respondents.filter((r) => r.month >= first && r.month <= run.month);
      const result = weighNeighborhoodMonth({ ...run, population }, window, margins);
      const weights = window.filter((r) => r.month === run.month).map((r, i) => ({ id: r.id, weight: result.weights[i] }));
      return { run, weights, rollups: result.rollups, report: result.report };
    });
  },
  { long: true },
);
