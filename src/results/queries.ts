import { asc } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { createReadCache } from '../db/read-cache.js';
import { neighborhoods, surveys } from '../db/schema.js';
import type { KeyedSums } from '../stats/perturbation.js';

/** SQL for the first day of the month holding a YYYY-MM-DD column: the release grid's base cell. */
const monthSql = (column: string) => `substr(${column}, 1, 7) || '-01'`;

export interface MonthRow extends KeyedSums {
  month: string;
  neighborhoodId: number;
}

type TrendParams = { survey: number; measure: string; from: string; to: string };
type Range = { survey: number; neighborhood: number; from: string; to: string };

// Voided responses are never counted: every query on responses filters them, and rollups never include them.
const liveResponses = 'r.survey_id = :survey AND r.neighborhood_id = :neighborhood AND r.voided = 0 AND r.submitted_on BETWEEN :from AND :to';

/**
 * Grouped reads for the results pages, one row per base cell of the release grid (neighborhood × month) with the sum
 * of its records' cell keys: rollups for trends and impact, responses for distributions, groups and themes.
 */
export function createResultsQueries({ db, sqlite }: DatabaseHandle) {
  const monthlyTrends = sqlite.prepare<TrendParams, MonthRow>(
    `SELECT ${monthSql('day')} AS month, neighborhood_id AS neighborhoodId,
            sum(n) AS n, sum(sum) AS sum, sum(sum_squares) AS sumSquares, sum(key_sum) AS keySum
     FROM daily_rollups
     WHERE survey_id = :survey AND measure = :measure AND day BETWEEN :from AND :to
     GROUP BY month, neighborhood_id`,
  );

  // Grouping the rollups over years of days costs tens of milliseconds; dashboards ask the same question repeatedly.
  const cachedTrends = createReadCache(sqlite, { maxEntries: 64 });

  const distributions = sqlite.prepare<Range, { questionId: number; month: string; value: number; n: number; keySum: number }>(
    `SELECT a.question_id AS questionId, ${monthSql('r.submitted_on')} AS month, a.value_number AS value, count(*) AS n, sum(r.cell_key) AS keySum
     FROM responses r
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.kind = 'scale'
     WHERE ${liveResponses} AND a.value_number IS NOT NULL
     GROUP BY a.question_id, month, a.value_number`,
  );

  const groups = sqlite.prepare<Range & { measure: string }, KeyedSums & { question: string; value: string; month: string }>(
    `SELECT q.code AS question, a.value_text AS value, ${monthSql('r.submitted_on')} AS month,
            count(*) AS n, sum(s.score) AS sum, sum(s.score * s.score) AS sumSquares, sum(r.cell_key) AS keySum
     FROM responses r
     JOIN response_scores s ON s.response_id = r.id AND s.measure = :measure
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.kind = 'choice'
     WHERE ${liveResponses}
     GROUP BY q.code, a.value_text, month`,
  );

  // Identical answers are grouped in SQL, so only distinct texts (with their counts and key sums) reach the counter.
  const issueTexts = sqlite.prepare<Range & { code: string }, { text: string; month: string; n: number; keySum: number }>(
    `SELECT lower(trim(a.value_text)) AS text, ${monthSql('r.submitted_on')} AS month, count(*) AS n, sum(r.cell_key) AS keySum
     FROM responses r
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.code = :code AND q.kind = 'text'
     WHERE ${liveResponses} AND a.value_text IS NOT NULL
     GROUP BY text, month`,
  );

  const allSurveys = db.select({ id: surveys.id, slug: surveys.slug, title: surveys.title }).from(surveys).orderBy(asc(surveys.id)).prepare();
  const allNeighborhoods = db.select().from(neighborhoods).orderBy(asc(neighborhoods.name)).prepare();

  return {
    /** Rollup sums per neighborhood × month (shared, read-only rows), read again only after the database changed. */
    monthRows: (params: TrendParams): readonly MonthRow[] =>
      cachedTrends(`${params.survey}:${params.measure}:${params.from}:${params.to}`, () => monthlyTrends.all(params)),
    distributionRows: (params: Range) => distributions.all(params),
    groupRows: (params: Range & { measure: string }) => groups.all(params),
    issueRows: (params: Range & { code: string }) => issueTexts.all(params),
    surveys: () => allSurveys.all(),
    neighborhoods: () => allNeighborhoods.all(),
  };
}

export type ResultsQueries = ReturnType<typeof createResultsQueries>;
