import fastifyFormbody from '@fastify/formbody';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import type { Question } from '../src/db/schema.js';
import { measuresOf, respondentScores } from '../src/stats/scoring.js';

/**
 * The baseline the app is measured against: one route that parses the same form body and writes exactly the
 * app's rows (response, answers, response_scores, daily_rollups upsert) with hand-written statements, one
 * transaction per request, and no validation, cookies or rendering. SYNC=FULL (durable) or SYNC=OFF (ceiling).
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
const insertResponse = sqlite.prepare('INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language) VALUES (?, ?, ?, ?, ?)');
const insertAnswer = sqlite.prepare('INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES (?, ?, ?, ?)');
const insertScore = sqlite.prepare('INSERT INTO response_scores (response_id, measure, score) VALUES (?, ?, ?)');
const addToRollup = sqlite.prepare(
  `INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares) VALUES (?, ?, ?, ?, 1, ?, ?)
   ON CONFLICT (survey_id, measure, day, neighborhood_id)
   DO UPDATE SET n = n + 1, sum = sum + excluded.sum, sum_squares = sum_squares + excluded.sum_squares`,
);

const store = sqlite.transaction((body: Record<string, string>) => {
  const day = new Date().toISOString().slice(0, 10);
  const neighborhoodId = neighborhoods.get(body.neighborhood)!;
  const responseId = Number(insertResponse.run(survey.id, neighborhoodId, day, 'web', 'en').lastInsertRowid);
  const points = new Map<number, number>();
  for (const q of questions) {
    const raw = body[`q_${q.code}`];
    if (raw === undefined || raw === '' || raw === 'dk') continue;
    const numeric = q.kind === 'scale';
    insertAnswer.run(responseId, q.id, numeric ? Number(raw) : null, numeric ? null : raw);
    if (numeric) points.set(q.id, Number(raw));
  }
  for (const [measure, score] of respondentScores(measures, points)) {
    insertScore.run(responseId, measure, score);
    addToRollup.run(survey.id, measure, day, neighborhoodId, score, score * score);
  }
});

const app = Fastify();
await app.register(fastifyFormbody);
app.post('/surveys/community-trust', async (request, reply) => {
  store(request.body as Record<string, string>);
  return reply.code(201).send();
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
