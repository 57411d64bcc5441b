import { and, asc, eq, gt, lte, sql } from 'drizzle-orm';
import { dateIn } from '../dates.js';
import type { Store } from '../db/store.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';
import { createRollupSums, type CountedAnswer } from '../survey/rollups.js';

// Responses read per chunk: bounds memory at a million responses while the rebuild stays one transaction.
const CHUNK = 50_000;
// Score rows per insert statement (3 parameters each).
const SCORE_ROWS = 1000;

/**
 * Recomputes response_scores and the monthly, group, answer and text rollups from the answers of non-voided responses
 * with the same scoring functions and sums as the recorder, in one transaction (after a restore, a voided import, a
 * scoring fix). Weighting is marked stale up to the month of today in `timeZone` (the deployment's).
 */
export function rebuildRollups(
  store: Store,
  timeZone: string,
): Promise<{ responses: number; scores: number; /** Cells written, over the four rollups. */ rollups: number }> {
  const { answers, answerRollups, groupRollups, monthlyRollups, questions, responseScores, responses, surveys, textRollups } = store.tables;
  return store.transaction(async (tx) => {
    const totals = { responses: 0, scores: 0, rollups: 0 };
    await tx.delete(responseScores);
    for (const table of [monthlyRollups, groupRollups, answerRollups, textRollups]) await tx.delete(table);
    const rollups = createRollupSums();
    for (const { id: surveyId } of await tx.select({ id: surveys.id }).from(surveys).orderBy(asc(surveys.id))) {
      const surveyQuestions = await tx.select().from(questions).where(eq(questions.surveyId, surveyId)).orderBy(asc(questions.position));
      const measures = measuresOf(surveyQuestions);
      const kinds = new Map(surveyQuestions.map((q) => [q.id, q.kind]));
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
            submittedOn: responses.submittedOn,
            cellKey: responses.cellKey,
            questionId: answers.questionId,
            valueNumber: answers.valueNumber,
            valueText: answers.valueText,
          })
          .from(responses)
          .innerJoin(answers, eq(answers.responseId, responses.id))
          .where(and(eq(responses.surveyId, surveyId), eq(responses.voided, false), gt(responses.id, from), lte(responses.id, to)))
          .orderBy(asc(responses.id));
        const scores: (typeof responseScores.$inferInsert)[] = [];
        let i = 0;
        while (i < rows.length) {
          const { responseId, neighborhoodId, submittedOn, cellKey } = rows[i];
          const points = new Map<number, number>();
          const answered: CountedAnswer[] = [];
          for (; i < rows.length && rows[i].responseId === responseId; i++) {
            const { questionId, valueNumber, valueText } = rows[i];
            answered.push({ questionId, kind: kinds.get(questionId)!, valueNumber, valueText });
            if (valueNumber !== null) points.set(questionId, valueNumber);
          }
          const scored = [...respondentScores(measures, points)];
          for (const [measure, score] of scored) scores.push({ responseId, measure, score });
          rollups.add({ surveyId, neighborhoodId, submittedOn, cellKey }, scored, answered);
          totals.responses++;
        }
        for (let k = 0; k < scores.length; k += SCORE_ROWS) await tx.insert(responseScores).values(scores.slice(k, k + SCORE_ROWS));
        totals.scores += scores.length;
      }
    }
    await rollups.addTo(tx, store, dateIn(timeZone));
    const [{ cells }] = await store.rows<{ cells: number }>(
      tx,
      sql`SELECT (SELECT count(*) FROM monthly_rollups) + (SELECT count(*) FROM group_rollups) + (SELECT count(*) FROM answer_rollups)
                 + (SELECT count(*) FROM text_rollups) AS "cells"`,
    );
    totals.rollups = cells;
    return totals;
  });
}
