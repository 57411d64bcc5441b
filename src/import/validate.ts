import { CsvError, parse } from 'csv-parse/sync';
import { isIsoDate } from '../dates.js';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import { META_COLUMNS } from '../export/stream.js';
import { unneutralise } from '../export/csv.js';
import { translate } from '../i18n/index.js';
import { answersFromForm, fieldErrors, fieldName, surveyFormSchema } from '../survey/form-schema.js';
import type { NewResponse } from '../survey/response-recorder.js';

export const importChannels = ['paper', 'kiosk'] as const;
// The export's first column; a re-imported export gets new ids, so it is ignored.
const IGNORED_COLUMNS = new Set(['response_id']);
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
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file);
  } catch {
    return fail([{ row: null, field: 'file', message: 'The file is not UTF-8 text. In a spreadsheet, save it as "CSV UTF-8".' }]);
  }
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return fail([{ row: (err as CsvError & { lines?: number }).lines ?? null, field: 'file', message: `The file is not valid CSV: ${err.message}` }]);
  }
  const [header = [], ...rows] = records;
  const columns = header.map((c) => c.trim());
  const known = new Set<string>([...templateHeader(questions), ...IGNORED_COLUMNS]);
  const headerProblems: ImportProblem[] = [
    ...['submitted_on', 'neighborhood'].filter((c) => !columns.includes(c)).map((c) => ({ row: 1, field: c, message: `The column "${c}" is missing.` })),
    ...columns.filter((c) => !known.has(c)).map((c) => ({ row: 1, field: c, message: `"${c}" is not a column of this survey (see the template).` })),
    ...columns.filter((c, i) => columns.indexOf(c) !== i).map((c) => ({ row: 1, field: c, message: `The column "${c}" appears twice.` })),
  ];
  if (headerProblems.length > 0) return fail(headerProblems);
  const dataRows = rows.map((cells, i) => ({ cells, row: i + 2 })).filter(({ cells }) => cells.some((c) => c.trim() !== ''));
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
    if (!isIsoDate(submittedOn)) problems.push({ row, field: 'submitted_on', message: 'Enter the date on the paper form as YYYY-MM-DD, e.g. 2026-03-31.' });
    else if (submittedOn > today) problems.push({ row, field: 'submitted_on', message: 'This date is in the future.' });
    if (!(importChannels as readonly string[]).includes(channel))
      problems.push({ row, field: 'channel', message: 'The channel must be paper or kiosk (empty means paper).' });
    if (!survey.languages.includes(language))
      problems.push({ row, field: 'language', message: `The language must be one the survey is offered in: ${survey.languages.join(', ')}.` });
    const answers = Object.fromEntries([['neighborhood', value('neighborhood')], ...questions.map((q) => [fieldName(q), cell.get(q.code) ?? ''])]);
    const parsed = schema.safeParse(answers);
    if (!parsed.success) {
      for (const [field, key] of fieldErrors(parsed.error)) {
        const message = field === 'neighborhood' ? `"${value('neighborhood')}" is not a neighborhood slug (see the neighborhoods page).` : translate('en', key);
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
