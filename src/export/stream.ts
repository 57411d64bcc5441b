import { sql, type SQL } from 'drizzle-orm';
import { Readable, pipeline } from 'node:stream';
import type { Channel, Question, Survey } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { localize } from '../i18n/index.js';
import { scalePoints } from '../survey/form-schema.js';
import { csvStringifier } from './csv.js';
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

interface ResponseRow {
  id: number;
  submittedOn: string;
  neighborhood: string;
  channel: string;
  language: string;
  weight: number | null;
  /** The mailing whose invitation the answer came through (never the invitation), or null for an opt-in answer. */
  mailingId: number | null;
}

/** Wide: one value per question, `q0`, `q1`, … in question order. */
type WideRow = ResponseRow & Record<`q${number}`, number | string | null>;

interface LongRow extends ResponseRow {
  questionId: number | null;
  valueNumber: number | null;
  valueText: string | null;
}

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

/** Long format's label: the option's wording for a choice, the end label at either end of a scale (primary language). */
function labeller(questions: readonly Question[], lang: string) {
  const labels = new Map<string, string>();
  for (const q of questions) {
    for (const o of q.options ?? []) labels.set(`${q.id}:${o.value}`, localize(o.label, lang));
    if (q.kind === 'scale') {
      const points = scalePoints(q);
      labels.set(`${q.id}:${points[0]}`, localize(q.minLabel, lang));
      labels.set(`${q.id}:${points[points.length - 1]}`, localize(q.maxLabel, lang));
    }
  }
  return (questionId: number, value: string) => labels.get(`${questionId}:${value}`) ?? '';
}

const text = (value: number | string | null) => (value === null ? '' : String(value));

/**
 * Records of the export, a batch of them per batch of rows read through the store (which never holds the app's
 * connection); the header comes first, alone. Stopping early stops the query.
 */
async function* exportBatches(store: Store, request: ExportRequest): AsyncGenerator<string[][]> {
  const { questions, format } = request;
  const order = new Map(questions.map((q, i) => [q.id, i]));
  const labelOf = labeller(questions, request.survey.languages[0] ?? 'en');
  const meta = (row: ResponseRow) => [String(row.id), row.submittedOn, row.neighborhood, row.channel, row.language, text(row.weight), text(row.mailingId)];
  const columns = questions.map((_, i) => `q${i}` as const);
  const rows = store.stream<WideRow & LongRow>(exportQuery(request), BATCH_ROWS)[Symbol.asyncIterator]();
  try {
    // The first rows are read before the header goes out: the export is a snapshot of the moment it was asked for,
    // whatever is submitted once its download has begun.
    let next = await rows.next();
    yield [
      format === 'wide'
        ? ['response_id', ...META_COLUMNS, 'weight', 'mailing_id', ...questions.map((q) => q.code)]
        : ['response_id', ...META_COLUMNS, 'weight', 'mailing_id', 'question_code', 'value', 'label'],
    ];
    let current: string[] | null = null;
    let answers: (string | undefined)[] = [];
    const flush = (records: string[][]) => {
      if (!current) return;
      for (const [i, q] of questions.entries()) {
        const value = answers[i];
        if (value !== undefined) records.push([...current, q.code, value, labelOf(q.id, value)]);
      }
    };
    for (; !next.done; next = await rows.next()) {
      if (format === 'wide') {
        yield next.value.map((row) => [...meta(row), ...columns.map((c) => text(row[c]))]);
        continue;
      }
      const records: string[][] = [];
      for (const row of next.value) {
        if (current?.[0] !== String(row.id)) {
          flush(records);
          current = meta(row);
          answers = [];
        }
        const index = row.questionId === null ? undefined : order.get(row.questionId);
        if (index !== undefined) answers[index] = row.valueNumber !== null ? String(row.valueNumber) : (row.valueText ?? '');
      }
      yield records;
    }
    const last: string[][] = [];
    flush(last);
    yield last;
  } finally {
    await rows.return?.(undefined);
  }
}

/** Records one at a time from batches of them: a whole batch is handed on at once, so memory holds one batch at most. */
function recordStream(batches: AsyncGenerator<string[][]>): Readable {
  return new Readable({
    objectMode: true,
    read() {
      const pull = () =>
        batches.next().then(
          ({ value, done }) => {
            if (done) this.push(null);
            else if (value.length === 0) void pull();
            else for (const record of value) this.push(record);
          },
          (err: Error) => this.destroy(err),
        );
      void pull();
    },
    destroy(err, callback) {
      batches.return(undefined).then(() => callback(err), callback);
    },
  });
}

/** The export as a CSV byte stream with backpressure; destroying it (client gone) stops the query. */
export function exportCsvStream(store: Store, request: ExportRequest): Readable {
  const stringifier = csvStringifier({ bom: request.bom });
  // Errors reach whoever reads the stringifier; pipeline destroys the source when it fails or is destroyed.
  return pipeline(recordStream(exportBatches(store, request)), stringifier, () => {});
}
