import { z } from 'zod';
import { blank } from '../admin/forms.js';
import type { Neighborhood, Question } from '../db/schema.js';
import { readCsv, unneutralise } from '../export/csv.js';
import type { ImportProblem } from '../import/validate.js';
import type { MarginRow } from './queries.js';

/** The demographic questions the census counts (ACS B01001 and B03002): a survey's choice questions with these codes get margins. */
export const MARGIN_QUESTION_CODES = ['age_band', 'gender', 'race_ethnicity'] as const;

/** The CSV's columns, in the template's order. */
export const MARGIN_COLUMNS = ['neighborhood', 'question_code', 'option_value', 'count', 'source', 'year'] as const;

/** A problem in an uploaded file: line 1 is the header, as a spreadsheet numbers rows (the same shape as imports report). */
/** A problem with an uploaded file, as the import page reports them: by spreadsheet row and column. */
export type MarginProblem = ImportProblem;

const MAX_LISTED_PROBLEMS = 50;

/** The survey's questions that take margins, in the survey's order. */
export const marginQuestions = (questions: readonly Question[]): Question[] =>
  questions.filter((q) => q.kind === 'choice' && (MARGIN_QUESTION_CODES as readonly string[]).includes(q.code));

/** The form field of one option's count (also its id, `field-<name>`, for the error summary's links). */
export const countField = (question: string, option: string) => `count-${question}-${option}`;

const countMessage = 'Enter the count as a whole number of 0 or more, or leave it empty when the census has no count for this option.';
/** Empty means the census has no count for this option (not raked); otherwise a whole number of 0 or more. */
const count = z.preprocess(
  blank,
  z.coerce.number({ error: countMessage }).int(countMessage).min(0, countMessage).max(100_000_000, 'That count is too large.').nullable().default(null),
);
const source = z
  .string({ error: 'Enter the source, e.g. ACS 2019–2023 5-year, B01001.' })
  .trim()
  .min(1, 'Enter the source, e.g. ACS 2019–2023 5-year, B01001.')
  .max(200, 'Use at most 200 characters for the source.');
const year = z.preprocess(
  blank,
  z.coerce
    .number({ error: 'Enter the year the counts describe, e.g. 2023.' })
    .int('Enter the year as four digits, e.g. 2023.')
    .min(1900, 'Enter a year from 1900 on.')
    .max(2100, 'Enter a year up to 2100.'),
);

/** Flags each question whose entered counts add up to 0: nothing to weight to. */
function zeroSums(questions: readonly Question[], counts: (q: Question, option: string) => number | null) {
  return questions
    .filter((q) => (q.options ?? []).reduce((sum, o) => sum + (counts(q, o.value) ?? 0), 0) === 0)
    .map((q) => ({ question: q, option: q.options?.[0]?.value ?? '' }));
}

const zeroSumMessage = (q: Question) => `The counts for "${q.code}" add up to 0: enter at least one count above 0.`;

/** The edit form of one neighborhood: one count per option of each margin question, plus source and year. */
export function marginFormSchema(questions: readonly Question[]) {
  const counts = Object.fromEntries(questions.flatMap((q) => (q.options ?? []).map((o) => [countField(q.code, o.value), count])));
  return z.object({ source, year, ...counts }).superRefine((values, ctx) => {
    const valueOf = (q: Question, option: string) => (values as Record<string, unknown>)[countField(q.code, option)] as number | null;
    for (const { question, option } of zeroSums(questions, valueOf))
      ctx.addIssue({ code: 'custom', path: [countField(question.code, option)], message: zeroSumMessage(question) });
  });
}

/** The rows a valid edit form stores. */
export function formRows(questions: readonly Question[], neighborhoodId: number, values: Record<string, unknown>): MarginRow[] {
  return questions.flatMap((q) =>
    (q.options ?? []).map((o) => ({
      neighborhoodId,
      questionCode: q.code,
      optionValue: o.value,
      count: values[countField(q.code, o.value)] as number | null,
      source: values.source as string,
      year: values.year as number,
    })),
  );
}

const csvRow = z.object({ count, source, year });

export type CheckedMargins = { ok: true; rows: MarginRow[] } | { ok: false; problems: MarginProblem[]; more: number };

const fail = (problems: MarginProblem[]): CheckedMargins => ({
  ok: false,
  problems: problems.slice(0, MAX_LISTED_PROBLEMS),
  more: Math.max(0, problems.length - MAX_LISTED_PROBLEMS),
});

/** Checks a whole margins CSV against the survey's margin questions and the neighborhoods; any problem rejects the file. */
export function checkMarginsCsv(file: Buffer, questions: readonly Question[], neighborhoods: readonly Neighborhood[]): CheckedMargins {
  const read = readCsv(file, { relaxColumnCount: true });
  if (!read.ok) return fail([{ row: read.row, field: 'file', message: read.message }]);
  const [header = [], ...lines] = read.records;
  const columns = header.map((c) => c.trim());
  const headerProblems: MarginProblem[] = [
    ...MARGIN_COLUMNS.filter((c) => !columns.includes(c)).map((c) => ({ row: 1, field: c, message: `The column "${c}" is missing.` })),
    ...columns
      .filter((c) => !(MARGIN_COLUMNS as readonly string[]).includes(c))
      .map((c) => ({ row: 1, field: c, message: `"${c}" is not a column of the margins file (see the template).` })),
    ...columns.filter((c, i) => columns.indexOf(c) !== i).map((c) => ({ row: 1, field: c, message: `The column "${c}" appears twice.` })),
  ];
  if (headerProblems.length > 0) return fail(headerProblems);

  const bySlug = new Map(neighborhoods.map((n) => [n.slug, n]));
  const byId = new Map(neighborhoods.map((n) => [n.id, n]));
  const byCode = new Map(questions.map((q) => [q.code, q]));
  const problems: MarginProblem[] = [];
  const rows: (MarginRow & { line: number })[] = [];
  const seen = new Map<string, number>();
  lines.forEach((cells, i) => {
    const line = i + 2;
    if (cells.every((c) => c.trim() === '')) return;
    const cell = (c: string) => unneutralise(cells[columns.indexOf(c)] ?? '').trim();
    const neighborhood = bySlug.get(cell('neighborhood'));
    const question = byCode.get(cell('question_code'));
    const option = question?.options?.find((o) => o.value === cell('option_value'));
    if (!neighborhood)
      problems.push({ row: line, field: 'neighborhood', message: `"${cell('neighborhood')}" is not a neighborhood. Use its slug, as in the template.` });
    if (!question)
      problems.push({
        row: line,
        field: 'question_code',
        message: `"${cell('question_code')}" is not a demographic question of this survey. Allowed: ${questions.map((q) => q.code).join(', ')}.`,
      });
    else if (!option)
      problems.push({
        row: line,
        field: 'option_value',
        message: `"${cell('option_value')}" is not an option of ${question.code}. Allowed: ${(question.options ?? []).map((o) => o.value).join(', ')}.`,
      });
    const parsed = csvRow.safeParse({ count: cell('count'), source: cell('source'), year: cell('year') });
    if (!parsed.success) for (const issue of parsed.error.issues) problems.push({ row: line, field: String(issue.path[0]), message: issue.message });
    if (!neighborhood || !question || !option) return;
    const key = `${neighborhood.id}\u0000${question.code}\u0000${option.value}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({ row: line, field: 'option_value', message: `This option of ${question.code} for ${neighborhood.slug} is already on line ${earlier}.` });
      return;
    }
    seen.set(key, line);
    if (parsed.success) rows.push({ line, neighborhoodId: neighborhood.id, questionCode: question.code, optionValue: option.value, ...parsed.data });
  });
  if (problems.length === 0 && rows.length === 0) return fail([{ row: null, field: 'file', message: 'The file has no margins below its header row.' }]);
  // A question whose counts add up to 0 for a neighborhood leaves nothing to weight to.
  if (problems.length === 0)
    for (const n of new Set(rows.map((r) => r.neighborhoodId)))
      for (const q of questions) {
        const mine = rows.filter((r) => r.neighborhoodId === n && r.questionCode === q.code);
        if (mine.length > 0 && mine.reduce((sum, r) => sum + (r.count ?? 0), 0) === 0)
          problems.push({ row: mine[0].line, field: 'count', message: `The counts for "${q.code}" in ${byId.get(n)!.slug} add up to 0.` });
      }
  if (problems.length > 0) return fail(problems);
  return { ok: true, rows: rows.map(({ line: _line, ...row }) => row) };
}

/** The downloadable template: one line per neighborhood, question and option, with its current count when there is one. */
export function templateRows(questions: readonly Question[], neighborhoods: readonly Neighborhood[], current: readonly MarginRow[]): string[][] {
  const key = (n: number, q: string, o: string) => `${n}\u0000${q}\u0000${o}`;
  const known = new Map(current.map((r) => [key(r.neighborhoodId, r.questionCode, r.optionValue), r]));
  return neighborhoods.flatMap((n) =>
    questions.flatMap((q) =>
      (q.options ?? []).map((o) => {
        const row = known.get(key(n.id, q.code, o.value));
        return [n.slug, q.code, o.value, row?.count?.toString() ?? '', row?.source ?? '', row?.year.toString() ?? ''];
      }),
    ),
  );
}
