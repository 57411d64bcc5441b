import { CsvError, parse } from 'csv-parse/sync';
import { stringify, type Options } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';

// A spreadsheet treats a cell starting with one of these as a formula: OWASP's, NUL (which csv-stringify's
// escape_formulas misses) and the full-width = + - @ (which it catches).
const FORMULA_START = /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20]/;

// A negative number is read as a number, never run: left as it is, a researcher's column of changes stays numeric.
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/** Prefixes a formula-like cell with `'` so a spreadsheet shows it as text. */
export const neutralise = (cell: string) => (FORMULA_START.test(cell) && !NEGATIVE_NUMBER.test(cell) ? `'${cell}` : cell);

/** Undoes `neutralise` on an imported cell: the `'` it added before a formula character goes. */
export const unneutralise = (cell: string) => (cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell);

const csvSettings = (options: { bom?: boolean }): Options => ({
  bom: options.bom ?? false,
  record_delimiter: '\r\n',
  quoted_match: /[\r\n]/,
  cast: { string: neutralise },
});

/**
 * An RFC 4180 CSV stream: comma, CRLF, doubled quotes, UTF-8 (optional BOM for Excel), every cell neutralised.
 * csv-stringify quotes a lone LF or CR only when asked (it looks for the whole record delimiter), hence quoted_match.
 */
export function csvStringifier(options: { bom?: boolean } = {}) {
  return stringify(csvSettings(options));
}

/** Records as the stream writes them, at once ("" for none). */
export const csvRecords = (records: readonly string[][], options: { bom?: boolean } = {}): string =>
  records.length === 0 ? '' : stringifySync(records as string[][], csvSettings(options));

/** The records of an uploaded CSV file, or why it cannot be read (not UTF-8 text, not CSV) with the line it failed on. */
export function readCsv(
  file: Buffer,
  options: { relaxColumnCount?: boolean } = {},
): { ok: true; records: string[][] } | { ok: false; row: number | null; message: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file);
  } catch {
    return { ok: false, row: null, message: 'The file is not UTF-8 text. In a spreadsheet, save it as "CSV UTF-8".' };
  }
  try {
    return { ok: true, records: parse(text, { bom: true, skip_empty_lines: true, relax_column_count: options.relaxColumnCount ?? false }) };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return { ok: false, row: (err as CsvError & { lines?: number }).lines ?? null, message: `The file is not valid CSV: ${err.message}` };
  }
}
