import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createStaff, csrfFrom, form, login } from './app.js';

export const ADMIN = { email: 'admin@example.org', password: 'admin password 1' };
export const LIAISON = { email: 'liaison@example.org', password: 'liaison password 1' };

/** An admin and a liaison, each logged in; `get`/`post` act as the admin, a post fetching its CSRF token from `from`. */
export async function staffSessions(app: FastifyInstance) {
  const admin = await createStaff(app, ADMIN.email, ADMIN.password, 'admin');
  const liaison = await createStaff(app, LIAISON.email, LIAISON.password, 'liaison');
  const adminJar = (await login(app, ADMIN.email, ADMIN.password)).jar;
  const liaisonJar = (await login(app, LIAISON.email, LIAISON.password)).jar;

  const as = (jar: typeof adminJar) => ({
    // GETs carry the session's CSRF token too, as the export forms and links do.
    get: async (url: string) => {
      const token = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: jar.header() } })).body) ?? '';
      return app.inject({ url, headers: { cookie: jar.header(), 'csrf-token': token } });
    },
    async post(url: string, fields: Record<string, string | string[]>, from = '/admin') {
      const page = await app.inject({ url: from, headers: { cookie: jar.header() } });
      const token = csrfFrom(page.body) ?? '';
      return app.inject({
        method: 'POST',
        url,
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: form({ _csrf: token, ...fields }),
      });
    },
    postWithoutToken: (url: string, fields: Record<string, string>) =>
      app.inject({ method: 'POST', url, headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, payload: form(fields) }),
  });
  return { admin, liaison, adminJar, liaisonJar, asAdmin: as(adminJar), asLiaison: as(liaisonJar) };
}

/** Audit actions in order, read with plain SQL. */
export async function auditActions(app: FastifyInstance): Promise<string[]> {
  const { store } = app;
  return (await store.read((db) => store.rows<{ action: string }>(db, sql`SELECT action FROM audit_log ORDER BY id`))).map((r) => r.action);
}

export interface SeedResponse {
  neighborhoodId: number;
  submittedOn: string;
  channel?: 'web' | 'qr' | 'paper' | 'kiosk';
  language?: string;
  /** Answers by question code: a scale point or an option value / text. */
  answers: Record<string, number | string>;
}

/** Stores responses to a survey in one transaction through the real recorder (scores and rollups maintained); returns their ids. */
export async function seedResponses(app: FastifyInstance, rows: SeedResponse[], surveySlug = 'community-trust'): Promise<number[]> {
  const { survey, questions } = (await app.surveys.findWithQuestions(surveySlug))!;
  const byCode = new Map(questions.map((q) => [q.code, q]));
  const { ids } = await app.surveys.recordInTransaction(survey.id, questions, (record) =>
    record(
      rows.map((row) => ({
        surveyId: survey.id,
        neighborhoodId: row.neighborhoodId,
        submittedOn: row.submittedOn,
        channel: row.channel ?? 'web',
        language: row.language ?? 'en',
        answers: Object.entries(row.answers).map(([code, v]) => ({
          questionId: byCode.get(code)!.id,
          valueNumber: typeof v === 'number' ? v : null,
          valueText: typeof v === 'string' ? v : null,
        })),
      })),
    ),
  );
  return ids;
}

/** daily_rollups next to the same sums recomputed from the raw response_scores of counted responses. */
export async function rollupsAndRecomputation({ store }: FastifyInstance) {
  return store.read(async (db) => ({
    stored: await store.rows(db, sql`SELECT survey_id, measure, day, neighborhood_id, n, sum, sum_squares, key_sum FROM daily_rollups ORDER BY 1, 2, 3, 4`),
    recomputed: await store.rows(
      db,
      sql`SELECT r.survey_id, s.measure, r.submitted_on AS day, r.neighborhood_id, count(*) AS n, sum(s.score) AS sum, sum(s.score * s.score) AS sum_squares, sum(r.cell_key) AS key_sum
          FROM response_scores s JOIN responses r ON r.id = s.response_id WHERE NOT r.voided GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    ),
  }));
}

/** A multipart/form-data body with text fields and one file, as a browser sends it. */
export function multipart(fields: Record<string, string>, file?: { name: string; content: string | Buffer }) {
  const boundary = '----cgtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content, 'utf8'));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
