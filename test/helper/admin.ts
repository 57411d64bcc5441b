import { sql, type SQL } from 'drizzle-orm';
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

/**
 * Every row of the four rollups (monthly, group, answer, text; each row naming its table) next to the same sums
 * recomputed by plain GROUP BYs over the raw responses, answers and scores of counted (not voided) responses.
 */
export async function rollupsAndRecomputation({ store }: Pick<FastifyInstance, 'store'>) {
  const month = store.sql.monthOf(sql`r.submitted_on`);
  const all = (queries: SQL[]) =>
    store.read(async (db) => {
      const rows: Record<string, unknown>[] = [];
      for (const query of queries) rows.push(...(await store.rows<Record<string, unknown>>(db, query)));
      return rows;
    });
  const live = sql`FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id`;
  // A text's key: the text itself on SQLite, its MD5 on PostgreSQL (see the schema).
  const textKey = store.dialect === 'postgres' ? sql`md5(lower(trim(a.value_text)))` : sql`lower(trim(a.value_text))`;
  return {
    stored: await all([
      sql`SELECT 'monthly' AS kind, survey_id, measure, month, neighborhood_id, n, sum, sum_squares, key_sum FROM monthly_rollups ORDER BY 2, 3, 4, 5`,
      sql`SELECT 'group' AS kind, survey_id, measure, neighborhood_id, month, question_id, value, n, sum, sum_squares, key_sum
          FROM group_rollups ORDER BY 2, 3, 4, 5, 6, 7`,
      sql`SELECT 'answer' AS kind, survey_id, neighborhood_id, month, question_id, value, n, key_sum FROM answer_rollups ORDER BY 2, 3, 4, 5, 6`,
      sql`SELECT 'text' AS kind, survey_id, neighborhood_id, question_id, month, text_key, text, n, key_sum FROM text_rollups ORDER BY 2, 3, 4, 5, 6`,
    ]),
    recomputed: await all([
      sql`SELECT 'monthly' AS kind, r.survey_id, s.measure, ${month} AS month, r.neighborhood_id, count(*) AS n, sum(s.score) AS sum,
                 sum(s.score * s.score) AS sum_squares, sum(r.cell_key) AS key_sum
          FROM response_scores s JOIN responses r ON r.id = s.response_id WHERE NOT r.voided GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5`,
      sql`SELECT 'group' AS kind, r.survey_id, s.measure, r.neighborhood_id, ${month} AS month, a.question_id, a.value_text AS value, count(*) AS n,
                 sum(s.score) AS sum, sum(s.score * s.score) AS sum_squares, sum(r.cell_key) AS key_sum
          ${live} JOIN response_scores s ON s.response_id = r.id
          WHERE NOT r.voided AND q.kind = 'choice' AND a.value_text IS NOT NULL GROUP BY 2, 3, 4, 5, 6, 7 ORDER BY 2, 3, 4, 5, 6, 7`,
      sql`SELECT 'answer' AS kind, r.survey_id, r.neighborhood_id, ${month} AS month, a.question_id, a.value_number AS value, count(*) AS n, sum(r.cell_key) AS key_sum
          ${live} WHERE NOT r.voided AND q.kind = 'scale' AND a.value_number IS NOT NULL GROUP BY 2, 3, 4, 5, 6 ORDER BY 2, 3, 4, 5, 6`,
      sql`SELECT 'text' AS kind, r.survey_id, r.neighborhood_id, a.question_id, ${month} AS month, ${textKey} AS text_key, lower(trim(a.value_text)) AS text,
                 count(*) AS n, sum(r.cell_key) AS key_sum
          ${live} WHERE NOT r.voided AND q.kind = 'text' AND a.value_text IS NOT NULL GROUP BY 2, 3, 4, 5, 7 ORDER BY 2, 3, 4, 5, 6`,
    ]),
  };
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
