import fastifyFormbody from '@fastify/formbody';
import Database from 'better-sqlite3';
import { randomInt } from 'node:crypto';
import Fastify from 'fastify';
import type { Question } from '../src/db/schema.js';
import { measuresOf, respondentScores } from '../src/stats/scoring.js';

/**
 * The baseline the app is measured against: one route that parses the same form body and writes exactly the
 * app's rows (response, answers, response_scores, one multi-row upsert into each of monthly_rollups, group_rollups,
 * answer_rollups and text_rollups) with hand-written statements, one transaction per request, and no validation,
 * cookies or rendering. SYNC=FULL (durable) or SYNC=OFF (ceiling).
 */
const sync = process.env.SYNC === 'OFF' ? 'OFF' : 'FULL';
const sqlite = new Database(process.env.DATABASE_PATH);
sqlite.pragma('journal_mode = WAL');
sqlite.pragma(`synchronous = ${sync}`);
sqlite.pragma('busy_timeout = 5000');

const survey = sqlite.prepare("SELECT id FROM surveys WHERE slug = 'community-trust'").get() as { id: number };
const questions = sqlite.prepare('SELECT id, code, kind FROM questions WHERE survey_id = ?').all(survey.id) as { id: number; code: string; kind: string }[];
const scored = sqlite
  .prepare(
    'SELECT id, kind, scale, dimension, reverse_scored AS reverseScored, in_trust_score AS inTrustScore FROM questions WHERE survey_id = ? ORDER BY position',
  )
  .all(survey.id) as (Pick<Question, 'id' | 'kind' | 'scale' | 'dimension'> & { reverseScored: number; inTrustScore: number })[];
const measures = measuresOf(scored.map((q) => ({ ...q, reverseScored: q.reverseScored === 1, inTrustScore: q.inTrustScore === 1 })));
const neighborhoods = new Map((sqlite.prepare('SELECT id, slug FROM neighborhoods').all() as { id: number; slug: string }[]).map((n) => [n.slug, n.id]));
const insertResponse = sqlite.prepare(
  'INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language, cell_key) VALUES (?, ?, ?, ?, ?, ?)',
);
const insertAnswer = sqlite.prepare('INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES (?, ?, ?, ?)');
const insertScore = sqlite.prepare('INSERT INTO response_scores (response_id, measure, score) VALUES (?, ?, ?)');
// One upsert per rollup and submission, prepared per row count; `tuple` gives each row's placeholders (a response has
// one text per text question, so lower(trim(?)) never meets one key twice in a statement).
const upserts = new Map<string, Database.Statement>();
function upsert(table: string, keys: string, sums: string[], tuple: string, rows: unknown[][], columns = keys) {
  if (rows.length === 0) return;
  const text = `INSERT INTO ${table} (${columns}, ${sums.join(', ')}) VALUES ${Array(rows.length).fill(tuple).join(', ')}
    ON CONFLICT (${keys}) DO UPDATE SET ${sums.map((s) => `${s} = ${s} + excluded.${s}`).join(', ')}`;
  let statement = upserts.get(text);
  if (!statement) upserts.set(text, (statement = sqlite.prepare(text)));
  statement.run(rows.flat());
}

const store = sqlite.transaction((body: Record<string, string>) => {
  const day = new Date().toISOString().slice(0, 10);
  const month = `${day.slice(0, 7)}-01`;
  const neighborhoodId = neighborhoods.get(body.neighborhood)!;
  const cellKey = randomInt(0, 4294967296);
  const responseId = Number(insertResponse.run(survey.id, neighborhoodId, day, 'web', 'en', cellKey).lastInsertRowid);
  const points = new Map<number, number>();
  const choices: [number, string][] = [];
  const texts: unknown[][] = [];
  for (const q of questions) {
    const raw = body[`q_${q.code}`];
    if (raw === undefined || raw === '' || raw === 'dk') continue;
    const numeric = q.kind === 'scale';
    insertAnswer.run(responseId, q.id, numeric ? Number(raw) : null, numeric ? null : raw);
    if (numeric) points.set(q.id, Number(raw));
    else if (q.kind === 'choice') choices.push([q.id, raw]);
    else texts.push([survey.id, neighborhoodId, q.id, month, raw, raw, 1, cellKey]);
  }
  const scores = [...respondentScores(measures, points)];
  for (const [measure, score] of scores) insertScore.run(responseId, measure, score);
  const sums = ['n', 'sum', 'sum_squares', 'key_sum'];
  upsert(
    'monthly_rollups',
    'survey_id, measure, month, neighborhood_id',
    sums,
    '(?, ?, ?, ?, ?, ?, ?, ?)',
    scores.map(([measure, score]) => [survey.id, measure, month, neighborhoodId, 1, score, score * score, cellKey]),
  );
  upsert(
    'group_rollups',
    'survey_id, measure, neighborhood_id, month, question_id, value',
    sums,
    '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    scores.flatMap(([measure, score]) => choices.map(([q, value]) => [survey.id, measure, neighborhoodId, month, q, value, 1, score, score * score, cellKey])),
  );
  upsert(
    'answer_rollups',
    'survey_id, neighborhood_id, month, question_id, value',
    ['n', 'key_sum'],
    '(?, ?, ?, ?, ?, ?, ?)',
    [...points].map(([q, value]) => [survey.id, neighborhoodId, month, q, value, 1, cellKey]),
  );
  upsert(
    'text_rollups',
    'survey_id, neighborhood_id, question_id, month, text_key',
    ['n', 'key_sum'],
    '(?, ?, ?, ?, lower(trim(?)), lower(trim(?)), ?, ?)',
    texts,
    'survey_id, neighborhood_id, question_id, month, text_key, text',
  );
});

const app = Fastify();
await app.register(fastifyFormbody);
app.post('/surveys/community-trust', async (request, reply) => {
  store(request.body as Record<string, string>);
  return reply.code(201).send();
});
app.get('/healthz', async () => ({ status: 'ok' }));
// Where it listens, in the words of the app's log: the bench starts it on port 0 and reads the port from here.
console.log(`Server listening at ${await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
