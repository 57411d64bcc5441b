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

/**
 * Writes responses with their answers, per-respondent scores and daily rollups through prepared statements.
 * Callers wrap calls in a transaction; this never opens one so that many responses can share one commit.
 */
export function createResponseRecorder(sqlite: Database.Database, questions: readonly Question[]) {
  const measures = measuresOf(questions);
  const insertResponse = sqlite.prepare(
    `INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language, event_id, import_batch_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertAnswer = sqlite.prepare('INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES (?, ?, ?, ?)');
  const insertScore = sqlite.prepare('INSERT INTO response_scores (response_id, measure, score) VALUES (?, ?, ?)');
  const addToRollup = sqlite.prepare(
    `INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares) VALUES (?, ?, ?, ?, 1, ?, ?)
     ON CONFLICT (survey_id, measure, day, neighborhood_id)
     DO UPDATE SET n = n + 1, sum = sum + excluded.sum, sum_squares = sum_squares + excluded.sum_squares`,
  );

  return function record(response: NewResponse): number {
    const { lastInsertRowid } = insertResponse.run(
      response.surveyId,
      response.neighborhoodId,
      response.submittedOn,
      response.channel,
      response.language,
      response.eventId ?? null,
      response.importBatchId ?? null,
    );
    const responseId = Number(lastInsertRowid);
    const scalePoints = new Map<number, number>();
    for (const a of response.answers) {
      insertAnswer.run(responseId, a.questionId, a.valueNumber, a.valueText);
      if (a.valueNumber !== null) scalePoints.set(a.questionId, a.valueNumber);
    }
    for (const [measure, score] of respondentScores(measures, scalePoints)) {
      insertScore.run(responseId, measure, score);
      addToRollup.run(response.surveyId, measure, response.submittedOn, response.neighborhoodId, score, score * score);
    }
    return responseId;
  };
}

export type RecordResponse = ReturnType<typeof createResponseRecorder>;
