import { stringify, type Options } from 'csv-stringify';

// A spreadsheet treats a cell starting with one of these as a formula (OWASP; NUL too, which escape_formulas misses).
const FORMULA_START = /^[=+\-@\t\r\0]/;

/** Prefixes a formula-like cell with `'` so a spreadsheet shows it as text. */
export const neutralise = (cell: string) => (FORMULA_START.test(cell) ? `'${cell}` : cell);

/** Undoes `neutralise` on an imported cell: the `'` it added before a formula character goes. */
export const unneutralise = (cell: string) => (cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell);

/**
 * An RFC 4180 CSV stream: comma, CRLF, doubled quotes, UTF-8 (optional BOM for Excel), every cell neutralised.
 * csv-stringify quotes a lone LF or CR only when asked (it looks for the whole record delimiter), hence quoted_match.
 */
export function csvStringifier(options: { bom?: boolean } = {}) {
  const settings: Options = { bom: options.bom ?? false, record_delimiter: '\r\n', quoted_match: /[\r\n]/, cast: { string: neutralise } };
  return stringify(settings);
}
