import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import pg from 'pg';
import type { Question } from '../src/db/schema.js';
import { measuresOf, respondentScores } from '../src/stats/scoring.js';

/**
 * The PostgreSQL baseline, the analogue of baseline-server.ts: one route that parses the same form body and writes
 * the app's rows (response, answers, response_scores, daily_rollups upsert) with bare `pg` statements, one
 * transaction per request on a pool of the app's size. SYNC=FULL commits with synchronous_commit on (durable),
 * SYNC=OFF with it off (the ceiling).
 */
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: 10,
  options: `-c synchronous_commit=${process.env.SYNC === 'OFF' ? 'off' : 'on'}`,
});

const { rows: surveys } = await pool.query<{ id: number }>("SELECT id FROM surveys WHERE slug = 'community-trust'");
const surveyId = surveys[0].id;
const { rows: questions } = await pool.query<Pick<Question, 'id' | 'code' | 'kind' | 'scale' | 'dimension' | 'reverseScored' | 'inTrustScore'>>(
  'SELECT id, code, kind, scale, dimension, reverse_scored AS "reverseScored", in_trust_score AS "inTrustScore" FROM questions WHERE survey_id = $1 ORDER BY position',
  [surveyId],
);
const measures = measuresOf(questions);
const neighborhoods = new Map((await pool.query<{ id: number; slug: string }>('SELECT id, slug FROM neighborhoods')).rows.map((n) => [n.slug, n.id]));

async function store(body: Record<string, string>) {
  const day = new Date().toISOString().slice(0, 10);
  const neighborhoodId = neighborhoods.get(body.neighborhood)!;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: number }>(
      'INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [surveyId, neighborhoodId, day, 'web', 'en'],
    );
    const responseId = rows[0].id;
    const points = new Map<number, number>();
    for (const q of questions) {
      const raw = body[`q_${q.code}`];
      if (raw === undefined || raw === '' || raw === 'dk') continue;
      const numeric = q.kind === 'scale';
      await client.query('INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES ($1, $2, $3, $4)', [
        responseId,
        q.id,
        numeric ? Number(raw) : null,
        numeric ? null : raw,
      ]);
      if (numeric) points.set(q.id, Number(raw));
    }
    for (const [measure, score] of respondentScores(measures, points)) {
      await client.query('INSERT INTO response_scores (response_id, measure, score) VALUES ($1, $2, $3)', [responseId, measure, score]);
      await client.query(
        `INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares) VALUES ($1, $2, $3, $4, 1, $5, $6)
         ON CONFLICT (survey_id, measure, day, neighborhood_id)
         DO UPDATE SET n = daily_rollups.n + 1, sum = daily_rollups.sum + excluded.sum, sum_squares = daily_rollups.sum_squares + excluded.sum_squares`,
        [surveyId, measure, day, neighborhoodId, score, score * score],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

const app = Fastify();
await app.register(fastifyFormbody);
app.post('/surveys/community-trust', async (request, reply) => {
  await store(request.body as Record<string, string>);
  return reply.code(201).send();
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
