import type Database from 'better-sqlite3';
import type { Question } from '../db/schema.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';

type ScoredQuestion = Pick<Question, 'id' | 'kind' | 'scale' | 'dimension' | 'reverseScored' | 'inTrustScore'>;

// Responses read per chunk: bounds memory at a million responses while the rebuild stays one transaction.
const CHUNK = 50_000;

/** Accumulates daily rollups (n, sum, sum of squares per survey × measure × day × neighborhood) in memory. */
export function createRollupAccumulator() {
  type Cell = { surveyId: number; measure: string; day: string; neighborhoodId: number; n: number; sum: number; sumSquares: number; keySum: number };
  // Nested by day, neighborhood and measure: no composite string key to build for each of millions of scores.
  const cells = new Map<string, Map<number, Map<string, Cell>>>();
  const all: Cell[] = [];
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
    /** Inserts every cell into daily_rollups, which must hold none of them yet. */
    insertInto(sqlite: Database.Database): number {
      const insert = sqlite.prepare(
        'INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares, key_sum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const c of all) insert.run(c.surveyId, c.measure, c.day, c.neighborhoodId, c.n, c.sum, c.sumSquares, c.keySum);
      return all.length;
    },
  };
}

/** A survey's questions as scoring needs them, read with plain SQL. */
export function scoredQuestionsOf(sqlite: Database.Database, surveyId: number): ScoredQuestion[] {
  const rows = sqlite
    .prepare('SELECT id, kind, scale, dimension, reverse_scored, in_trust_score FROM questions WHERE survey_id = ? ORDER BY position')
    .all(surveyId) as {
    id: number;
    kind: Question['kind'];
    scale: Question['scale'];
    dimension: string | null;
    reverse_scored: number;
    in_trust_score: number;
  }[];
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    scale: r.scale,
    dimension: r.dimension,
    reverseScored: r.reverse_scored === 1,
    inTrustScore: r.in_trust_score === 1,
  }));
}

/**
 * Recomputes response_scores and daily_rollups from the answers of non-voided responses with the same scoring
 * functions as the recorder, in one transaction (after a restore, a voided import, a scoring fix).
 */
export function rebuildRollups(sqlite: Database.Database): { responses: number; scores: number; rollups: number } {
  const surveyIds = (sqlite.prepare('SELECT id FROM surveys ORDER BY id').all() as { id: number }[]).map((r) => r.id);
  // Response ids are random (spread over 1 … 2^53), so chunks are pages of the next CHUNK ids, not id ranges.
  const chunkOf = sqlite.prepare(
    `SELECT r.id, r.neighborhood_id, r.submitted_on, r.cell_key, a.question_id, a.value_number
       FROM responses r JOIN answers a ON a.response_id = r.id
      WHERE r.survey_id = ? AND r.voided = 0 AND r.id > ? AND r.id <= ? AND a.value_number IS NOT NULL
      ORDER BY r.id`,
  );
  // Ids are random, so chunks are found by seeking: the last id of the next CHUNK responses bounds each read.
  const chunkEnd = sqlite.prepare('SELECT max(id) FROM (SELECT id FROM responses WHERE survey_id = ? AND id > ? ORDER BY id LIMIT ?)').pluck();
  const insertScore = sqlite.prepare('INSERT INTO response_scores (response_id, measure, score) VALUES (?, ?, ?)');
  const totals = { responses: 0, scores: 0, rollups: 0 };

  sqlite.transaction(() => {
    sqlite.exec('DELETE FROM response_scores; DELETE FROM daily_rollups;');
    const rollups = createRollupAccumulator();
    for (const surveyId of surveyIds) {
      const measures = measuresOf(scoredQuestionsOf(sqlite, surveyId));
      for (
        let from = 0, to = chunkEnd.get(surveyId, 0, CHUNK) as number | null;
        to !== null;
        from = to, to = chunkEnd.get(surveyId, to, CHUNK) as number | null
      ) {
        const rows = chunkOf.raw().all(surveyId, from, to) as [number, number, string, number, number, number][];
        let i = 0;
        while (i < rows.length) {
          const [responseId, neighborhoodId, day, cellKey] = rows[i];
          const points = new Map<number, number>();
          for (; i < rows.length && rows[i][0] === responseId; i++) points.set(rows[i][4], rows[i][5]);
          for (const [measure, score] of respondentScores(measures, points)) {
            insertScore.run(responseId, measure, score);
            rollups.add(surveyId, measure, day, neighborhoodId, score, cellKey);
            totals.scores++;
          }
          totals.responses++;
        }
      }
    }
    totals.rollups = rollups.insertInto(sqlite);
  })();
  return totals;
}
