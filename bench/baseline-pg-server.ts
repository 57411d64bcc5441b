import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import type { Question } from '../src/db/schema.js';
import { measuresOf, respondentScores } from '../src/stats/scoring.js';

/**
 * The PostgreSQL baseline, the analogue of baseline-server.ts: one route that parses the same form body and writes
 * the app's rows (response, answers, response_scores, one multi-row upsert into each of monthly_rollups, group_rollups,
 * answer_rollups and text_rollups) with bare `pg` statements, one
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

/** One multi-row upsert into a rollup; `tuple` wraps each row's placeholders (lower(trim(…)) for texts: one per text question). */
function upsert(client: pg.PoolClient, table: string, keys: string, sums: string[], rows: unknown[][], tuple = (marks: string[]) => marks, columns = keys) {
  if (rows.length === 0) return;
  let k = 0;
  const values = rows.map((row) => `(${tuple(row.map(() => `$${++k}`)).join(', ')})`).join(', ');
  return client.query(
    `INSERT INTO ${table} (${columns}, ${sums.join(', ')}) VALUES ${values}
     ON CONFLICT (${keys}) DO UPDATE SET ${sums.map((s) => `${s} = ${table}.${s} + excluded.${s}`).join(', ')}`,
    rows.flat(),
  );
}

async function store(body: Record<string, string>) {
  const day = new Date().toISOString().slice(0, 10);
  const month = `${day.slice(0, 7)}-01`;
  const neighborhoodId = neighborhoods.get(body.neighborhood)!;
  const cellKey = randomInt(0, 4294967296);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: number }>(
      'INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language, cell_key) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
      [surveyId, neighborhoodId, day, 'web', 'en', cellKey],
    );
    const responseId = rows[0].id;
    const points = new Map<number, number>();
    const choices: [number, string][] = [];
    const texts: unknown[][] = [];
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
      else if (q.kind === 'choice') choices.push([q.id, raw]);
      else texts.push([surveyId, neighborhoodId, q.id, month, raw, raw, 1, cellKey]);
    }
    const scores = [...respondentScores(measures, points)];
    for (const [measure, score] of scores)
      await client.query('INSERT INTO response_scores (response_id, measure, score) VALUES ($1, $2, $3)', [responseId, measure, score]);
    // In the app's order (each table's rows sorted by key, as the app writes them so concurrent upserts never deadlock).
    const sums = ['n', 'sum', 'sum_squares', 'key_sum'];
    const sorted = (rows: unknown[][]) => rows.sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
    await upsert(
      client,
      'monthly_rollups',
      'survey_id, measure, month, neighborhood_id',
      sums,
      sorted(scores.map(([measure, score]) => [surveyId, measure, month, neighborhoodId, 1, score, score * score, cellKey])),
    );
    await upsert(
      client,
      'group_rollups',
      'survey_id, measure, neighborhood_id, month, question_id, value',
      sums,
      sorted(
        scores.flatMap(([measure, score]) =>
          choices.map(([q, value]) => [surveyId, measure, neighborhoodId, month, q, value, 1, score, score * score, cellKey]),
        ),
      ),
    );
    await upsert(
      client,
      'answer_rollups',
      'survey_id, neighborhood_id, month, question_id, value',
      ['n', 'key_sum'],
      sorted([...points].map(([q, value]) => [surveyId, neighborhoodId, month, q, value, 1, cellKey])),
    );
    await upsert(
      client,
      'text_rollups',
      'survey_id, neighborhood_id, question_id, month, text_key',
      ['n', 'key_sum'],
      texts,
      (marks) => marks.map((m, i) => (i === 4 ? `md5(lower(trim(${m})))` : i === 5 ? `lower(trim(${m}))` : m)),
      'survey_id, neighborhood_id, question_id, month, text_key, text',
    );
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
// Where it listens, in the words of the app's log: the bench starts it on port 0 and reads the port from here.
console.log(`Server listening at ${await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })}`);
process.on('SIGTERM', () => void app.close().then(() => pool.end().then(() => process.exit(0))));
