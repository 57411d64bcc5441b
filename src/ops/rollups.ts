import { and, asc, eq, gt, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db, Store } from '../db/store.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';
import { addToRollups, type RollupCell } from '../survey/response-recorder.js';

// Responses read per chunk: bounds memory at a million responses while the rebuild stays one transaction.
const CHUNK = 50_000;
// Score rows per insert statement (3 parameters each).
const SCORE_ROWS = 1000;

/** Accumulates daily rollups (n, sum, sum of squares per survey × measure × day × neighborhood) in memory. */
export function createRollupAccumulator() {
  // Nested by day, neighborhood and measure: no composite string key to build for each of millions of scores.
  const cells = new Map<string, Map<number, Map<string, RollupCell>>>();
  const all: RollupCell[] = [];
  return {
    add(surveyId: number, measure: string, day: string, neighborhoodId: number, score: number, cellKey: number) {
      let byNeighborhood = cells.get(`${surveyId}:${day}`);
      if (!byNeighborhood) cells.set(`${surveyId}:${day}`, (byNeighborhood = new Map()));
      let byMeasure = byNeighborhood.get(neighborhoodId);
      if (!byMeasure) byNeighborhood.set(neighborhoodId, (byMeasure = new Map()));
      const cell = byMeasure.get(measure);
      if (cell) {
        cell.n += 1;
        cell.sum += score;
        cell.sumSquares += score * score;
        cell.keySum += cellKey;
      } else {
        const created = { surveyId, measure, day, neighborhoodId, n: 1, sum: score, sumSquares: score * score, keySum: cellKey };
        byMeasure.set(measure, created);
        all.push(created);
      }
    },
    /** Adds every cell to daily_rollups inside `tx`; returns how many cells there are. */
    async insertInto(tx: Db, store: Pick<Store, 'execute'>): Promise<number> {
      await addToRollups(tx, store, all);
      return all.length;
    },
  };
}

/**
 * Recomputes response_scores and daily_rollups from the answers of non-voided responses with the same scoring
 * functions as the recorder, in one transaction (after a restore, a voided import, a scoring fix).
 */
export function rebuildRollups(store: Store): Promise<{ responses: number; scores: number; rollups: number }> {
  const { answers, dailyRollups, questions, responseScores, responses, surveys } = store.tables;
  return store.transaction(async (tx) => {
    const totals = { responses: 0, scores: 0, rollups: 0 };
    await tx.delete(responseScores);
    await tx.delete(dailyRollups);
    const rollups = createRollupAccumulator();
    for (const { id: surveyId } of await tx.select({ id: surveys.id }).from(surveys).orderBy(asc(surveys.id))) {
      const measures = measuresOf(await tx.select().from(questions).where(eq(questions.surveyId, surveyId)).orderBy(asc(questions.position)));
      // Response ids are random (spread over 1 … 2^53), so chunks are found by seeking: the last id of the next CHUNK
      // responses bounds each read.
      const chunkEnd = async (after: number) =>
        (
          await store.rows<{ last: number | null }>(
            tx,
            sql`SELECT max(id) AS "last" FROM (SELECT id FROM responses WHERE survey_id = ${surveyId} AND id > ${after} ORDER BY id LIMIT ${CHUNK}) AS page`,
          )
        )[0].last;
      for (let from = 0, to = await chunkEnd(0); to !== null; from = to, to = await chunkEnd(to)) {
        const rows = await tx
          .select({
            responseId: responses.id,
            neighborhoodId: responses.neighborhoodId,
            day: responses.submittedOn,
            cellKey: responses.cellKey,
            questionId: answers.questionId,
            value: answers.valueNumber,
          })
          .from(responses)
          .innerJoin(answers, eq(answers.responseId, responses.id))
          .where(
            and(eq(responses.surveyId, surveyId), eq(responses.voided, false), gt(responses.id, from), lte(responses.id, to), isNotNull(answers.valueNumber)),
          )
          .orderBy(asc(responses.id));
        const scores: (typeof responseScores.$inferInsert)[] = [];
        let i = 0;
        while (i < rows.length) {
          const { responseId, neighborhoodId, day, cellKey } = rows[i];
          const points = new Map<number, number>();
          for (; i < rows.length && rows[i].responseId === responseId; i++) points.set(rows[i].questionId, rows[i].value!);
          for (const [measure, score] of respondentScores(measures, points)) {
            scores.push({ responseId, measure, score });
            rollups.add(surveyId, measure, day, neighborhoodId, score, cellKey);
          }
          totals.responses++;
        }
        for (let k = 0; k < scores.length; k += SCORE_ROWS) await tx.insert(responseScores).values(scores.slice(k, k + SCORE_ROWS));
        totals.scores += scores.length;
      }
    }
    totals.rollups = await rollups.insertInto(tx, store);
    return totals;
  });
}
