import { Readable, pipeline } from 'node:stream';
import { openDatabase } from '../db/sqlite/client.js';
import type { Channel, Question, Survey } from '../db/schema.js';
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

type Row = [
  id: number,
  submittedOn: string,
  neighborhood: string,
  channel: string,
  language: string,
  questionId: number | null,
  valueNumber: number | null,
  valueText: string | null,
];

/**
 * The query behind an export: counted responses of the survey by date then response id. Wide is pivoted by SQLite
 * itself (one answer lookup per question on the answers' primary key), so one row per response reaches JavaScript;
 * long reads one row per answer.
 */
export function exportQuery(request: ExportRequest): { sql: string; params: (string | number)[] } {
  const where = ['r.voided = 0'];
  const params: (string | number)[] = [];
  const filter = (clause: string, ...values: (string | number)[]) => {
    where.push(clause);
    params.push(...values);
  };
  filter('r.survey_id = ?', request.survey.id);
  if (request.from) filter('r.submitted_on >= ?', request.from);
  if (request.to) filter('r.submitted_on <= ?', request.to);
  if (request.channel) filter('r.channel = ?', request.channel);
  if (request.neighborhoodIds.length > 0) filter(`r.neighborhood_id IN (${request.neighborhoodIds.map(() => '?').join(', ')})`, ...request.neighborhoodIds);
  const wide = request.format === 'wide';
  const answerColumns = wide
    ? request.questions.map(() => '(SELECT coalesce(a.value_number, a.value_text) FROM answers a WHERE a.response_id = r.id AND a.question_id = ?)').join(', ')
    : 'a.question_id, a.value_number, a.value_text';
  // Walking the (survey, date) index in its own order streams rows as found: no sort of the whole export first.
  const sql = `SELECT r.id, r.submitted_on, n.slug, r.channel, r.language, ${answerColumns}
    FROM responses r INDEXED BY responses_survey_date JOIN neighborhoods n ON n.id = r.neighborhood_id${wide ? '' : ' LEFT JOIN answers a ON a.response_id = r.id'}
    WHERE ${where.join(' AND ')} ORDER BY r.submitted_on, r.id`;
  return { sql, params: wide ? [...request.questions.map((q) => q.id), ...params] : params };
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

/**
 * Rows of the export, read from the database file on a connection of its own (read-only), so that iterating the
 * statement never blocks the app's connection; the connection closes when the rows end or the reader stops early.
 */
function* exportRecords(databasePath: string, request: ExportRequest): Generator<string[]> {
  const { questions, format } = request;
  const order = new Map(questions.map((q, i) => [q.id, i]));
  const labelOf = labeller(questions, request.survey.languages[0] ?? 'en');
  const handle = openDatabase(databasePath, { readonly: true });
  try {
    const { sql, params } = exportQuery(request);
    const statement = handle.sqlite.prepare(sql).raw(true);
    yield format === 'wide'
      ? ['response_id', ...META_COLUMNS, ...questions.map((q) => q.code)]
      : ['response_id', ...META_COLUMNS, 'question_code', 'value', 'label'];

    const text = (value: number | string | null) => (value === null ? '' : String(value));
    if (format === 'wide') {
      for (const [id, ...rest] of statement.iterate(...params) as IterableIterator<[number, ...(string | number | null)[]]>) {
        yield [String(id), ...rest.map(text)];
      }
      return;
    }
    let meta: string[] | null = null;
    let answers: (string | undefined)[] = [];
    function* flush(): Generator<string[]> {
      if (!meta) return;
      for (const [i, q] of questions.entries()) {
        const value = answers[i];
        if (value !== undefined) yield [...meta, q.code, value, labelOf(q.id, value)];
      }
    }
    for (const row of statement.iterate(...params) as IterableIterator<Row>) {
      const [id, submittedOn, neighborhood, channel, language, questionId, valueNumber, valueText] = row;
      if (meta?.[0] !== String(id)) {
        yield* flush();
        meta = [String(id), submittedOn, neighborhood, channel, language];
        answers = [];
      }
      const index = questionId === null ? undefined : order.get(questionId);
      if (index !== undefined) answers[index] = valueNumber !== null ? String(valueNumber) : (valueText ?? '');
    }
    yield* flush();
  } finally {
    handle.close();
  }
}

/** The export as a CSV byte stream with backpressure; destroying it (client gone) stops the query. */
export function exportCsvStream(databasePath: string, request: ExportRequest): Readable {
  const stringifier = csvStringifier({ bom: request.bom });
  // Errors reach whoever reads the stringifier; pipeline destroys the source when it fails or is destroyed.
  return pipeline(Readable.from(exportRecords(databasePath, request)), stringifier, () => {});
}
