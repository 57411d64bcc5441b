import type Database from 'better-sqlite3';
import { asc } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/client.js';
import { createReadCache } from '../db/read-cache.js';
import { neighborhoods, surveys } from '../db/schema.js';
import type { BucketKind } from '../stats/buckets.js';
import type { BaseKind } from './trends.js';
import type { Sums } from '../stats/summary.js';

/** SQL for the first day of the bucket holding a YYYY-MM-DD column; mirrors bucketStart in src/stats/buckets.ts. */
export function bucketSql(column: string, kind: BucketKind): string {
  if (kind === 'week') return `date(${column}, '-' || ((CAST(strftime('%w', ${column}) AS INTEGER) + 6) % 7) || ' days')`;
  if (kind === 'month') return `substr(${column}, 1, 7) || '-01'`;
  return `printf('%s-%02d-01', substr(${column}, 1, 4), ((CAST(substr(${column}, 6, 2) AS INTEGER) - 1) / 3) * 3 + 1)`;
}

export interface BucketRow extends Sums {
  bucket: string;
  neighborhoodId: number;
}

// Voided responses are never counted: every query on responses filters them, and rollups never include them.
const liveResponses = 'r.survey_id = :survey AND r.neighborhood_id = :neighborhood AND r.voided = 0 AND r.submitted_on BETWEEN :from AND :to';

/** Grouped reads for the results pages: rollups for trends and impact, responses for distributions and groups. */
export function createResultsQueries({ db, sqlite }: DatabaseHandle) {
  type TrendParams = { survey: number; measure: string; from: string; to: string };
  const trendStatements = Object.fromEntries(
    (['week', 'month', 'quarter'] as const).map((kind) => [
      kind,
      sqlite.prepare<TrendParams, BucketRow>(
        `SELECT ${bucketSql('day', kind)} AS bucket, neighborhood_id AS neighborhoodId,
                sum(n) AS n, sum(sum) AS sum, sum(sum_squares) AS sumSquares
         FROM daily_rollups
         WHERE survey_id = :survey AND measure = :measure AND day BETWEEN :from AND :to
         GROUP BY bucket, neighborhood_id`,
      ),
    ]),
  ) as Record<BucketKind, Database.Statement<TrendParams, BucketRow>>;

  // Grouping the rollups over years of days costs tens of milliseconds; dashboards ask the same question repeatedly.
  const cachedTrends = createReadCache(sqlite, { maxEntries: 64 });

  type Range = { survey: number; neighborhood: number; from: string; to: string };

  // Responses are grouped per base bucket too, so pooled figures can be checked bucket by bucket.
  const perBucket = <P extends object, R>(sqlFor: (bucket: string) => string) =>
    Object.fromEntries((['week', 'month'] as const).map((kind) => [kind, sqlite.prepare<P, R>(sqlFor(bucketSql('r.submitted_on', kind)))])) as Record<
      BaseKind,
      Database.Statement<P, R>
    >;

  const distributions = perBucket<Range, { questionId: number; bucket: string; value: number; n: number }>(
    (bucket) => `SELECT a.question_id AS questionId, ${bucket} AS bucket, a.value_number AS value, count(*) AS n
     FROM responses r
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.kind = 'scale'
     WHERE ${liveResponses} AND a.value_number IS NOT NULL
     GROUP BY a.question_id, bucket, a.value_number`,
  );

  const groups = perBucket<Range & { measure: string }, Sums & { question: string; value: string; bucket: string }>(
    (bucket) => `SELECT q.code AS question, a.value_text AS value, ${bucket} AS bucket,
            count(*) AS n, sum(s.score) AS sum, sum(s.score * s.score) AS sumSquares
     FROM responses r
     JOIN response_scores s ON s.response_id = r.id AND s.measure = :measure
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.kind = 'choice'
     WHERE ${liveResponses}
     GROUP BY q.code, a.value_text, bucket`,
  );

  // Identical answers are grouped in SQL, so only distinct texts (with their counts) reach the word counter.
  const issueTexts = perBucket<Range & { code: string }, { text: string; bucket: string; n: number }>(
    (bucket) => `SELECT lower(trim(a.value_text)) AS text, ${bucket} AS bucket, count(*) AS n
     FROM responses r
     JOIN answers a ON a.response_id = r.id
     JOIN questions q ON q.id = a.question_id AND q.code = :code AND q.kind = 'text'
     WHERE ${liveResponses} AND a.value_text IS NOT NULL
     GROUP BY text, bucket`,
  );

  const allSurveys = db.select({ id: surveys.id, slug: surveys.slug, title: surveys.title }).from(surveys).orderBy(asc(surveys.id)).prepare();
  const allNeighborhoods = db.select().from(neighborhoods).orderBy(asc(neighborhoods.name)).prepare();

  return {
    /** Grouped rollups (shared, read-only rows), read again only after the database changed. */
    trendRows: (kind: BucketKind, params: TrendParams): readonly BucketRow[] =>
      cachedTrends(`${kind}:${params.survey}:${params.measure}:${params.from}:${params.to}`, () => trendStatements[kind].all(params)),
    distributionRows: (kind: BaseKind, params: Range) => distributions[kind].all(params),
    groupRows: (kind: BaseKind, params: Range & { measure: string }) => groups[kind].all(params),
    issueRows: (kind: BaseKind, params: Range & { code: string }) => issueTexts[kind].all(params),
    surveys: () => allSurveys.all(),
    neighborhoods: () => allNeighborhoods.all(),
  };
}

export type ResultsQueries = ReturnType<typeof createResultsQueries>;
