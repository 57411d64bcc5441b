import type { Question } from '../db/schema.js';
import type { TextTransformer } from '../db/text-transform.js';
import { localize } from '../i18n/index.js';
import { scalePoints } from '../survey/form-schema.js';
import { csvRecords } from './csv.js';
import { META_COLUMNS, type ExportRequest } from './stream.js';

// The export's rows written as CSV, loaded where the rows are read (src/db/text-transform.ts): on SQLite, the read worker.

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
 * The export's CSV text per batch of rows: the header with the first batch (so the export is a snapshot of the moment
 * its first rows were read, whatever is submitted once its download has begun), then one record per response (wide)
 * or per answer (long, a response's answers possibly spread over two batches).
 */
export function createTextTransform(request: ExportRequest): TextTransformer {
  const { questions, format } = request;
  const order = new Map(questions.map((q, i) => [q.id, i]));
  const labelOf = labeller(questions, request.survey.languages[0] ?? 'en');
  const meta = (row: ResponseRow) => [String(row.id), row.submittedOn, row.neighborhood, row.channel, row.language, text(row.weight), text(row.mailingId)];
  const columns = questions.map((_, i) => `q${i}` as const);
  let started = false;
  let current: string[] | null = null;
  let answers: (string | undefined)[] = [];
  const header = () => {
    if (started) return '';
    started = true;
    const columnsOut =
      format === 'wide'
        ? ['response_id', ...META_COLUMNS, 'weight', 'mailing_id', ...questions.map((q) => q.code)]
        : ['response_id', ...META_COLUMNS, 'weight', 'mailing_id', 'question_code', 'value', 'label'];
    return csvRecords([columnsOut], { bom: request.bom });
  };
  const flush = (records: string[][]) => {
    if (!current) return;
    for (const [i, q] of questions.entries()) {
      const value = answers[i];
      if (value !== undefined) records.push([...current, q.code, value, labelOf(q.id, value)]);
    }
  };
  return {
    batch(batch) {
      const rows = batch as (WideRow & LongRow)[];
      if (format === 'wide') return header() + csvRecords(rows.map((row) => [...meta(row), ...columns.map((c) => text(row[c]))]));
      const records: string[][] = [];
      for (const row of rows) {
        if (current?.[0] !== String(row.id)) {
          flush(records);
          current = meta(row);
          answers = [];
        }
        const index = row.questionId === null ? undefined : order.get(row.questionId);
        if (index !== undefined) answers[index] = row.valueNumber !== null ? String(row.valueNumber) : (row.valueText ?? '');
      }
      return header() + csvRecords(records);
    },
    end() {
      const last: string[][] = [];
      flush(last);
      return header() + csvRecords(last);
    },
  };
}
