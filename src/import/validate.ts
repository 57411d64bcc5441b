import { isIsoDate } from '../dates.js';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import { META_COLUMNS } from '../export/stream.js';
import { readCsv, unneutralise } from '../export/csv.js';
import { localize } from '../i18n/index.js';
import { DONT_KNOW, MAX_TEXT_LENGTH, answersFromForm, fieldErrors, fieldName, scalePoints, surveyFormSchema } from '../survey/form-schema.js';
import type { NewResponse } from '../survey/response-recorder.js';

export const importChannels = ['paper', 'kiosk'] as const;
// An export's own columns, which an import of it recomputes: its id is drawn anew, its census weight recomputed; an
// imported answer came on paper or a kiosk, never through a mailed invitation.
const IGNORED_COLUMNS = new Set(['response_id', 'weight', 'mailing_id']);
const MAX_LISTED_PROBLEMS = 200;

export interface ImportProblem {
  /** Spreadsheet row number: the header is row 1. Null for a problem with the whole file. */
  row: number | null;
  field: string;
  message: string;
}

export type ImportResult = { ok: true; responses: Omit<NewResponse, 'importBatchId'>[] } | { ok: false; problems: ImportProblem[]; more: number };

const fail = (problems: ImportProblem[]): ImportResult => ({
  ok: false,
  problems: problems.slice(0, MAX_LISTED_PROBLEMS),
  more: Math.max(0, problems.length - MAX_LISTED_PROBLEMS),
});

/** The CSV template for a survey: the header row of a wide export without response_id. */
export const templateHeader = (questions: readonly Question[]) => [...META_COLUMNS, ...questions.map((q) => q.code)];

/** A row whose first cell starts with # is a note (the template's example row), never a response. */
const isNote = (cells: string[]) => (cells[0] ?? '').trim().startsWith('#');

/** Every code a column accepts, with its meaning in the survey's first language; text questions accept any text. */
export function columnCodes(survey: Survey, questions: readonly Question[], neighborhoods: readonly Neighborhood[]) {
  const lang = survey.languages[0] ?? 'en';
  const codes: { column: string; code: string; meaning: string }[] = [
    { column: 'submitted_on', code: 'YYYY-MM-DD', meaning: 'the date written on the form, e.g. 2026-03-31 (required)' },
    ...neighborhoods.map((n) => ({ column: 'neighborhood', code: n.slug, meaning: `${n.name}${n.retired ? ' (retired)' : ''}` })),
    ...importChannels.map((c) => ({ column: 'channel', code: c, meaning: c === 'paper' ? 'paper form (the default when empty)' : 'kiosk' })),
    ...survey.languages.map((l, i) => ({ column: 'language', code: l, meaning: i === 0 ? 'the default when empty' : '' })),
  ];
  for (const q of questions) {
    if (q.kind === 'scale') {
      const points = scalePoints(q);
      codes.push(
        ...points.map((p, i) => ({
          column: q.code,
          code: String(p),
          meaning: i === 0 ? localize(q.minLabel, lang) : i === points.length - 1 ? localize(q.maxLabel, lang) : '',
        })),
      );
      if (q.allowDontKnow) codes.push({ column: q.code, code: DONT_KNOW, meaning: "don't know / prefer not to say" });
    } else if (q.kind === 'choice') {
      codes.push(...(q.options ?? []).map((o) => ({ column: q.code, code: o.value, meaning: localize(o.label, lang) })));
    } else {
      codes.push({ column: q.code, code: '(any text)', meaning: `up to ${MAX_TEXT_LENGTH} characters` });
    }
  }
  return codes;
}

/** The template's example row: a note (starting with #) showing one allowed value in every column. */
export function exampleRow(survey: Survey, questions: readonly Question[], neighborhoods: readonly Neighborhood[]) {
  const example = (q: Question) => (q.kind === 'scale' ? String(scalePoints(q).at(-1)) : q.kind === 'choice' ? (q.options?.[0]?.value ?? '') : 'Example text');
  return ['# 2026-03-31', neighborhoods[0]?.slug ?? 'neighborhood-slug', 'paper', survey.languages[0] ?? 'en', ...questions.map(example)];
}

/** What a column accepts, in one line for a problem message. */
function allowedText(q: Question): string {
  if (q.kind === 'scale') {
    const points = scalePoints(q);
    return `a whole number from ${points[0]} to ${points.at(-1)}${q.allowDontKnow ? ` or ${DONT_KNOW} (don't know)` : ''}, or empty`;
  }
  if (q.kind === 'choice') return `one of ${(q.options ?? []).map((o) => o.value).join(', ')}, or empty`;
  return `text of at most ${MAX_TEXT_LENGTH} characters`;
}

/**
 * Reads a wide CSV of paper or kiosk responses and checks every row with the web form's rules (whatever the survey's
 * status). Nothing is returned to store unless every row is good.
 */
export interface ImportContext {
  survey: Survey;
  questions: Question[];
  neighborhoods: Neighborhood[];
  today: string;
}

export function validateImport(file: Buffer, context: ImportContext): ImportResult {
  const { survey, questions, neighborhoods, today } = context;
  const read = readCsv(file);
  if (!read.ok) return fail([{ row: read.row, field: 'file', message: read.message }]);
  const [header = [], ...rows] = read.records;
  const columns = header.map((c) => c.trim());
  const known = new Set<string>([...templateHeader(questions), ...IGNORED_COLUMNS]);
  const headerProblems: ImportProblem[] = [
    ...['submitted_on', 'neighborhood'].filter((c) => !columns.includes(c)).map((c) => ({ row: 1, field: c, message: `The column "${c}" is missing.` })),
    ...columns.filter((c) => !known.has(c)).map((c) => ({ row: 1, field: c, message: `"${c}" is not a column of this survey (see the template).` })),
    ...columns.filter((c, i) => columns.indexOf(c) !== i).map((c) => ({ row: 1, field: c, message: `The column "${c}" appears twice.` })),
  ];
  if (headerProblems.length > 0) return fail(headerProblems);
  const dataRows = rows.map((cells, i) => ({ cells, row: i + 2 })).filter(({ cells }) => cells.some((c) => c.trim() !== '') && !isNote(cells));
  if (dataRows.length === 0) return fail([{ row: null, field: 'file', message: 'The file has no responses below its header row.' }]);

  const schema = surveyFormSchema(questions, neighborhoods);
  const problems: ImportProblem[] = [];
  const responses: Omit<NewResponse, 'importBatchId'>[] = [];
  for (const { cells, row } of dataRows) {
    const cell = new Map(columns.map((c, i) => [c, unneutralise(cells[i] ?? '')]));
    const value = (c: string) => (cell.get(c) ?? '').trim();
    const submittedOn = value('submitted_on');
    const channel = value('channel') || 'paper';
    const language = value('language') || survey.languages[0];
    if (!isIsoDate(submittedOn))
      problems.push({
        row,
        field: 'submitted_on',
        message: `"${submittedOn}" is not a date. Allowed: the date on the paper form as YYYY-MM-DD, e.g. 2026-03-31.`,
      });
    else if (submittedOn > today) problems.push({ row, field: 'submitted_on', message: 'This date is in the future.' });
    if (!(importChannels as readonly string[]).includes(channel))
      problems.push({ row, field: 'channel', message: `"${channel}" is not a channel. Allowed: paper or kiosk (empty means paper).` });
    if (!survey.languages.includes(language))
      problems.push({ row, field: 'language', message: `"${language}" is not a language of this survey. Allowed: ${survey.languages.join(', ')}.` });
    const answers = Object.fromEntries([['neighborhood', value('neighborhood')], ...questions.map((q) => [fieldName(q), cell.get(q.code) ?? ''])]);
    const parsed = schema.safeParse(answers);
    if (!parsed.success) {
      for (const [field, key] of fieldErrors(parsed.error)) {
        const question = questions.find((q) => fieldName(q) === field);
        const given = question ? value(question.code) : value('neighborhood');
        const allowed = question ? allowedText(question) : `a neighborhood slug from the codes list, e.g. ${neighborhoods[0]?.slug ?? 'riverside'}`;
        const message = !question
          ? `"${given}" is not a neighborhood slug. Allowed: ${allowed}.`
          : key === 'errors.required'
            ? `This question is required and has no answer. Allowed: ${allowed}.`
            : key === 'errors.tooLong'
              ? `The answer is ${given.length} characters long. Allowed: ${allowed}.`
              : `"${given}" is not allowed here. Allowed: ${allowed}.`;
        problems.push({ row, field: field.replace(/^q_/, ''), message });
      }
      continue;
    }
    const neighborhood = neighborhoods.find((n) => n.slug === parsed.data.neighborhood)!;
    responses.push({
      surveyId: survey.id,
      neighborhoodId: neighborhood.id,
      submittedOn,
      channel: channel as (typeof importChannels)[number],
      language,
      answers: answersFromForm(parsed.data, questions),
    });
  }
  return problems.length > 0 ? fail(problems) : { ok: true, responses };
}
