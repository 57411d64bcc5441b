import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Store } from '../../src/db/store.js';

export interface Person {
  respect: number;
  listening: number;
}

/**
 * Respondents with known answers, stored through the real recorder in one transaction. Not through the burst check of
 * the submission path (test/security/quarantine.test.ts): these are tests of figures, where a day of 40 would be held.
 */
export async function submit(app: FastifyInstance, neighborhoodId: number, day: string, people: Person[], extra: Record<string, string> = {}) {
  const found = (await app.surveys.findWithQuestions('community-trust'))!;
  const id = (code: string) => found.questions.find((q) => q.code === code)!.id;
  await app.surveys.recordInTransaction(found.survey.id, found.questions, (record) =>
    record(
      people.map((p) => ({
        surveyId: found.survey.id,
        neighborhoodId,
        submittedOn: day,
        channel: 'web',
        language: 'en',
        answers: [
          { questionId: id('respect'), valueNumber: p.respect, valueText: null },
          { questionId: id('listening'), valueNumber: p.listening, valueText: null },
          ...Object.entries(extra).map(([code, text]) => ({ questionId: id(code), valueNumber: null, valueText: text })),
        ],
      })),
    ),
  );
}

export const people = (n: number, seed: number): Person[] =>
  Array.from({ length: n }, (_, i) => ({ respect: (i * seed) % 11, listening: (i * (seed + 2) + 3) % 11 }));

/** Trust scores of counted responses in some neighborhoods over [from, to], from the answers table with plain SQL. */
export async function trustScores(store: Store, neighborhoodIds: readonly number[], from: string, to: string): Promise<number[]> {
  const rows = await store.read((db) =>
    store.rows<{ score: number }>(
      db,
      sql`SELECT (r1.value_number + r2.value_number) * 5.0 AS "score"
       FROM responses r
       JOIN answers r1 ON r1.response_id = r.id AND r1.question_id = (SELECT id FROM questions WHERE code = 'respect')
       JOIN answers r2 ON r2.response_id = r.id AND r2.question_id = (SELECT id FROM questions WHERE code = 'listening')
       WHERE r.neighborhood_id IN (${sql.join(
         neighborhoodIds.map((id) => sql`${id}`),
         sql`, `,
       )}) AND r.submitted_on BETWEEN ${from} AND ${to} AND NOT r.voided`,
    ),
  );
  return rows.map((r) => r.score);
}

/** n, mean, sample sd and standard error of a list of scores, computed the textbook way. */
export function describe(scores: readonly number[]) {
  const n = scores.length;
  const mean = scores.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(scores.reduce((a, s) => a + (s - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, se: sd / Math.sqrt(n) };
}
