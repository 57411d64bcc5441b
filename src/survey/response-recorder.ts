import { randomBytes, randomInt } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Channel, Question } from '../db/schema.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';

export interface AnswerValue {
  questionId: number;
  valueNumber: number | null;
  valueText: string | null;
}

export interface NewResponse {
  surveyId: number;
  neighborhoodId: number;
  submittedOn: string;
  channel: Channel;
  language: string;
  eventId?: number | null;
  importBatchId?: number | null;
  answers: readonly AnswerValue[];
}

/** A random response id in 1 … 2^53-1: safe as a JavaScript number, and nothing about when it was written. */
export function randomResponseId(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) || 1;
}

const ADD_TO_ROLLUP = `INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares, key_sum) VALUES (?, ?, ?, ?, 1, ?, ?, ?)
  ON CONFLICT (survey_id, measure, day, neighborhood_id)
  DO UPDATE SET n = n + 1, sum = sum + excluded.sum, sum_squares = sum_squares + excluded.sum_squares, key_sum = key_sum + excluded.key_sum`;

/** A response's random cell key (see src/stats/perturbation.ts). */
export const newCellKey = () => randomInt(0, 4294967296);

/**
 * Writes responses with their answers, per-respondent scores and daily rollups through prepared statements.
 * Callers wrap calls in a transaction; this never opens one so that many responses can share one commit.
 */
export function createResponseRecorder(sqlite: Database.Database, questions: readonly Question[]) {
  const measures = measuresOf(questions);
  const insertResponse = sqlite.prepare(
    `INSERT INTO responses (id, survey_id, neighborhood_id, submitted_on, channel, language, event_id, import_batch_id, cell_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAnswer = sqlite.prepare('INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES (?, ?, ?, ?)');
  const insertScore = sqlite.prepare('INSERT INTO response_scores (response_id, measure, score) VALUES (?, ?, ?)');
  const addToRollup = sqlite.prepare(ADD_TO_ROLLUP);

  return function record(response: NewResponse): number {
    const cellKey = newCellKey();
    let responseId = randomResponseId();
    for (;;) {
      try {
        insertResponse.run(
          responseId,
          response.surveyId,
          response.neighborhoodId,
          response.submittedOn,
          response.channel,
          response.language,
          response.eventId ?? null,
          response.importBatchId ?? null,
          cellKey,
        );
        break;
      } catch (err) {
        // One chance in billions: the random id is taken. Only this statement failed; draw again.
        if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') throw err;
        responseId = randomResponseId();
      }
    }
    const scalePoints = new Map<number, number>();
    for (const a of response.answers) {
      insertAnswer.run(responseId, a.questionId, a.valueNumber, a.valueText);
      if (a.valueNumber !== null) scalePoints.set(a.questionId, a.valueNumber);
    }
    for (const [measure, score] of respondentScores(measures, scalePoints)) {
      insertScore.run(responseId, measure, score);
      addToRollup.run(response.surveyId, measure, response.submittedOn, response.neighborhoodId, score, score * score, cellKey);
    }
    return responseId;
  };
}

export type RecordResponse = ReturnType<typeof createResponseRecorder>;

interface StoredResponse {
  id: number;
  survey_id: number;
  neighborhood_id: number;
  submitted_on: string;
  voided: number;
  cell_key: number;
}

/**
 * Voids and restores responses: flips `responses.voided` and takes the response's scores out of daily_rollups (or
 * puts them back), so figures built from rollups never count a voided response. Callers wrap calls in a transaction.
 */
export function createResponseVoider(sqlite: Database.Database) {
  const find = sqlite.prepare<[number], StoredResponse>('SELECT id, survey_id, neighborhood_id, submitted_on, voided, cell_key FROM responses WHERE id = ?');
  const inBatch = sqlite.prepare<[number], StoredResponse>(
    'SELECT id, survey_id, neighborhood_id, submitted_on, voided, cell_key FROM responses WHERE import_batch_id = ? ORDER BY id',
  );
  const scoresOf = sqlite.prepare<[number], { measure: string; score: number }>('SELECT measure, score FROM response_scores WHERE response_id = ?');
  const mark = sqlite.prepare('UPDATE responses SET voided = ?, void_reason = ? WHERE id = ?');
  const addToRollup = sqlite.prepare(ADD_TO_ROLLUP);
  const takeFromRollup = sqlite.prepare(
    `UPDATE daily_rollups SET n = n - 1, sum = sum - ?, sum_squares = sum_squares - ?, key_sum = key_sum - ?
     WHERE survey_id = ? AND measure = ? AND day = ? AND neighborhood_id = ?`,
  );
  // A cell nobody is left in goes, exactly as if it had never been written.
  const dropEmpty = sqlite.prepare('DELETE FROM daily_rollups WHERE survey_id = ? AND measure = ? AND day = ? AND neighborhood_id = ? AND n <= 0');

  function apply(response: StoredResponse, voided: boolean, reason: string | null): boolean {
    if (Boolean(response.voided) === voided) return false;
    mark.run(voided ? 1 : 0, voided ? reason : null, response.id);
    for (const { measure, score } of scoresOf.all(response.id)) {
      const cell = [response.survey_id, measure, response.submitted_on, response.neighborhood_id] as const;
      if (voided) {
        takeFromRollup.run(score, score * score, response.cell_key, ...cell);
        dropEmpty.run(...cell);
      } else {
        addToRollup.run(...cell, score, score * score, response.cell_key);
      }
    }
    return true;
  }

  return {
    find: (responseId: number) => find.get(responseId),
    /** Voids (with a reason) or restores one response; false when it was already in that state. */
    setVoided(responseId: number, voided: boolean, reason: string | null = null): boolean {
      const response = find.get(responseId);
      return response ? apply(response, voided, reason) : false;
    },
    /** Voids or restores every response of an import batch; returns how many changed state. */
    setBatchVoided(batchId: number, voided: boolean, reason: string | null = null): number {
      return inBatch.all(batchId).filter((r) => apply(r, voided, reason)).length;
    },
  };
}

export type ResponseVoider = ReturnType<typeof createResponseVoider>;

/**
 * Reveals responses written hidden (voided with a reason) as one import batch: `add` notes each one's scores as it is
 * written; `reveal` adds them to daily_rollups one cell at a time and makes the rows live in one statement, so the
 * transaction that shows a whole batch stays short. Callers wrap `reveal` in a transaction.
 */
export function createBatchRevealer(sqlite: Database.Database) {
  const scoresOf = sqlite.prepare<[number], { measure: string; score: number }>('SELECT measure, score FROM response_scores WHERE response_id = ?');
  const addCell = sqlite.prepare(
    `INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (survey_id, measure, day, neighborhood_id)
     DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum, sum_squares = sum_squares + excluded.sum_squares`,
  );
  const unhide = sqlite.prepare('UPDATE responses SET voided = 0, void_reason = NULL WHERE import_batch_id = ? AND voided = 1 AND void_reason = ?');
  type Cell = [surveyId: number, measure: string, day: string, neighborhoodId: number, n: number, sum: number, sumSquares: number];
  const cells = new Map<string, Cell>();
  return {
    add(responseId: number, response: Pick<NewResponse, 'surveyId' | 'submittedOn' | 'neighborhoodId'>) {
      for (const { measure, score } of scoresOf.all(responseId)) {
        const key = `${response.surveyId}|${measure}|${response.submittedOn}|${response.neighborhoodId}`;
        const cell = cells.get(key);
        if (cell) {
          cell[4] += 1;
          cell[5] += score;
          cell[6] += score * score;
        } else cells.set(key, [response.surveyId, measure, response.submittedOn, response.neighborhoodId, 1, score, score * score]);
      }
    },
    reveal(batchId: number, reason: string): number {
      for (const cell of cells.values()) addCell.run(...cell);
      return unhide.run(batchId, reason).changes;
    },
  };
}
