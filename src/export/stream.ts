import { sql, type SQL } from 'drizzle-orm';
import { Readable } from 'node:stream';
import type { Channel, Question, Survey } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { ExportFormat } from './options.js';

export interface ExportRequest {
  survey: Survey;
  questions: readonly Question[];
  from?: string;
  to?: string;
  neighborhoodIds: readonly number[];
  channel?: Channel;
  format: ExportFormat;
  bom: boolean;
}

export const META_COLUMNS = ['submitted_on', 'neighborhood', 'channel', 'language'] as const;

/** Rows per batch read from the database: large enough to amortise the read, small enough to keep memory flat. */
const BATCH_ROWS = 500;

/**
 * The query behind an export: counted responses of the survey by date then response id. Wide is pivoted by the
 * database itself (one answer lookup per question on the answers' primary key, in the column its kind fills), so one
 * row per response reaches JavaScript; long reads one row per answer.
 */
export function exportQuery(request: ExportRequest): SQL {
  const where = [sql`r.survey_id = ${request.survey.id}`, sql`NOT r.voided`];
  if (request.from) where.push(sql`r.submitted_on >= ${request.from}`);
  if (request.to) where.push(sql`r.submitted_on <= ${request.to}`);
  if (request.channel) where.push(sql`r.channel = ${request.channel}`);
  // The unary plus keeps SQLite off the (survey, neighborhood, date) index, whose rows would have to be sorted first.
  if (request.neighborhoodIds.length > 0) where.push(sql`+r.neighborhood_id IN ${request.neighborhoodIds}`);
  const wide = request.format === 'wide';
  const answerColumns = wide
    ? sql.join(
        request.questions.map(
          (q, i) =>
            sql`(SELECT a.${sql.raw(q.kind === 'scale' ? 'value_number' : 'value_text')} FROM answers a WHERE a.response_id = r.id AND a.question_id = ${q.id}) AS ${sql.identifier(`q${i}`)}`,
        ),
        sql`, `,
      )
    : sql`a.question_id AS "questionId", a.value_number AS "valueNumber", a.value_text AS "valueText"`;
  // Walking the (survey, date) index in its own order streams rows as found: no sort of the whole export first.
  return sql`SELECT r.id AS "id", r.submitted_on AS "submittedOn", n.slug AS "neighborhood", r.channel AS "channel", r.language AS "language", r.weight AS "weight", r.mailing_id AS "mailingId"${request.questions.length > 0 || !wide ? sql`, ` : sql``}${answerColumns}
    FROM responses r JOIN neighborhoods n ON n.id = r.neighborhood_id${wide ? sql`` : sql` LEFT JOIN answers a ON a.response_id = r.id`}
    WHERE ${sql.join(where, sql` AND `)} ORDER BY r.submitted_on, r.id`;
}

/**
 * The export as a CSV byte stream with backpressure, the rows read and written as CSV where the store reads them (on
 * SQLite the read worker's thread: a million rows never pass through the event loop); destroying it (client gone)
 * stops the query.
 */
export function exportCsvStream(store: Store, request: ExportRequest): Readable {
  const transform = { module: new URL('./csv-transform.js', import.meta.url).href, options: request };
  return Readable.from(store.streamText(exportQuery(request), BATCH_ROWS, transform), { objectMode: false });
}
