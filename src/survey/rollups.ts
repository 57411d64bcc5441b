import { sql, type SQL } from 'drizzle-orm';
import type { Question } from '../db/schema.js';
import { valueRows, type Db, type Store } from '../db/store.js';
import { bucketStart, shiftBucket } from '../stats/buckets.js';
import { WINDOW_MONTHS } from '../weighting/compute.js';

/** A live response, as the rollups count it: its place, day and cell key. */
export interface Counted {
  surveyId: number;
  neighborhoodId: number;
  submittedOn: string;
  cellKey: number;
}

/** One of its answers, with the kind of the question it answers. */
export interface CountedAnswer {
  questionId: number;
  kind: Question['kind'];
  valueNumber: number | null;
  valueText: string | null;
}

type Writer = Pick<Store, 'execute' | 'dialect'>;

/** A rollup table: its key columns (in primary key order) and its additive sums. */
interface Rollup {
  table: string;
  keys: readonly string[];
  sums: readonly string[];
}

const monthly: Rollup = { table: 'monthly_rollups', keys: ['survey_id', 'measure', 'month', 'neighborhood_id'], sums: ['n', 'sum', 'sum_squares', 'key_sum'] };
const groups: Rollup = {
  table: 'group_rollups',
  keys: ['survey_id', 'measure', 'neighborhood_id', 'month', 'question_id', 'value'],
  sums: ['n', 'sum', 'sum_squares', 'key_sum'],
};
const answers: Rollup = { table: 'answer_rollups', keys: ['survey_id', 'neighborhood_id', 'month', 'question_id', 'value'], sums: ['n', 'key_sum'] };
// Texts are held as answered: the database takes lower(trim(text)) as it writes them (and its key, see the schema),
// as it does where it groups raw answers.
const texts: Rollup = { table: 'text_rollups', keys: ['survey_id', 'neighborhood_id', 'question_id', 'month', 'text_key'], sums: ['n', 'key_sum'] };
const rollups = [monthly, groups, answers, texts];

// Rows per multi-row statement: far below the bound parameters SQLite (32,766) and PostgreSQL (65,535) accept.
const ROWS_PER_STATEMENT = 500;

function* chunks<T>(rows: readonly T[], size = ROWS_PER_STATEMENT): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

type Row = (string | number)[];
type Index = Map<string | number, Index | Row>;

/** Cells of one rollup table, each one flat row (key values, then sums), found through maps nested by key value. */
class Cells {
  readonly rows: Row[] = [];
  readonly width: number;
  private readonly index: Index = new Map();
  constructor(readonly rollup: Rollup) {
    this.width = rollup.keys.length;
  }

  /** The cell with these key values (in primary key order), created with sums of zero when new. */
  cell(...key: (string | number)[]): number[] {
    let map = this.index;
    for (let i = 0; i < key.length - 1; i++) {
      let next = map.get(key[i]) as Index | undefined;
      if (!next) map.set(key[i], (next = new Map()));
      map = next;
    }
    let row = map.get(key[key.length - 1]) as Row | undefined;
    if (!row) {
      row = [...key, ...this.rollup.sums.map(() => 0)];
      map.set(key[key.length - 1], row);
      this.rows.push(row);
    }
    return row as number[];
  }

  /** Adds another's cell. */
  merge(row: readonly (string | number)[]) {
    const into = this.cell(...row.slice(0, this.width));
    for (let i = this.width; i < row.length; i++) into[i] += row[i] as number;
  }

  /** In primary key order, so concurrent writers (PostgreSQL) lock rows in one order and never deadlock. */
  sorted(): Row[] {
    const w = this.width;
    return [...this.rows].sort((a, b) => {
      for (let i = 0; i < w; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return 0;
    });
  }
}

/** Sums of responses for the four rollups, to be added to them or taken out (see createRollupSums). */
export interface RollupSums {
  /** Counts one response: its scores per measure and its answers. */
  add(response: Counted, scores: readonly (readonly [string, number])[], answered: readonly CountedAnswer[]): void;
  /** Adds another's cells to these (an import's chunks, summed until they are revealed). */
  addAll(other: RollupSums): void;
  readonly cells: readonly Cells[];
  /**
   * Adds the cells to the rollups (created when new) inside `tx`, and marks for weighting again (src/weighting/)
   * the months whose raking window holds a month they change, up to the month of `today` (the deployment's date,
   * `dateIn(TIME_ZONE)`).
   */
  addTo(tx: Db, store: Writer, today: string): Promise<void>;
  /** Takes the cells out of the rollups inside `tx` (marking as `addTo` does); a cell nobody is left in goes, exactly as if it had never been written. */
  takeFrom(tx: Db, store: Writer, today: string): Promise<void>;
}

/** A response in a cell with sums of its score (n, sum, sum of squares, cell keys) or of itself (n, cell keys). */
function add4(row: number[], score: number, cellKey: number) {
  row[row.length - 4] += 1;
  row[row.length - 3] += score;
  row[row.length - 2] += score * score;
  row[row.length - 1] += cellKey;
}
function add2(row: number[], cellKey: number) {
  row[row.length - 2] += 1;
  row[row.length - 1] += cellKey;
}

/**
 * What responses add to the four rollups kept at the release grid's base cell (neighborhood × month): every measure's
 * sums (monthly_rollups), each measure's sums per choice answer (group_rollups), the answers per scale point
 * (answer_rollups) and per text (text_rollups), each with the sum of the responses' cell keys.
 */
export function createRollupSums(): RollupSums {
  const cells = rollups.map((r) => new Cells(r));
  const [months, byGroup, byPoint, byText] = cells;

  /** Writes every cell inside `tx`, added (sign 1) or taken out (sign -1): one multi-row upsert per table per 500 cells. */
  async function write(tx: Db, store: Writer, sign: 1 | -1): Promise<void> {
    for (const c of cells) {
      const { table, keys, sums } = c.rollup;
      const width = keys.length;
      const rows = c.sorted().map((row) => (sign === 1 ? row : row.map((v, i) => (i < width ? v : -(v as number)))));
      const conflict = sql.raw(`ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sums.map((s) => `${s} = ${table}.${s} + excluded.${s}`).join(', ')}`);
      for (const part of chunks(rows)) {
        await store.execute(
          tx,
          c === byText
            ? sql`INSERT INTO text_rollups (${sql.raw([...keys, 'text', ...sums].join(', '))}) ${normalizedTexts(store, part)} ${conflict}`
            : sql`INSERT INTO ${sql.raw(table)} (${sql.raw([...keys, ...sums].join(', '))}) VALUES ${valueRows(part)} ${conflict}`,
        );
      }
    }
  }

  return {
    add(response: Counted, scores: readonly (readonly [string, number])[], answered: readonly CountedAnswer[]) {
      const { surveyId, neighborhoodId, cellKey } = response;
      const month = bucketStart(response.submittedOn, 'month');
      for (const [measure, score] of scores) add4(months.cell(surveyId, measure, month, neighborhoodId), score, cellKey);
      for (const a of answered) {
        if (a.kind === 'choice' && a.valueText !== null) {
          for (const [measure, score] of scores) add4(byGroup.cell(surveyId, measure, neighborhoodId, month, a.questionId, a.valueText), score, cellKey);
        } else if (a.kind === 'scale' && a.valueNumber !== null) add2(byPoint.cell(surveyId, neighborhoodId, month, a.questionId, a.valueNumber), cellKey);
        else if (a.kind === 'text' && a.valueText !== null) add2(byText.cell(surveyId, neighborhoodId, a.questionId, month, a.valueText), cellKey);
      }
    },
    addAll(other: RollupSums) {
      other.cells.forEach((c, i) => {
        for (const row of c.rows) cells[i].merge(row);
      });
    },
    cells,
    async addTo(tx: Db, store: Writer, today: string): Promise<void> {
      await markForWeighting(tx, store, months.rows, today);
      await write(tx, store, 1);
    },
    async takeFrom(tx: Db, store: Writer, today: string): Promise<void> {
      await markForWeighting(tx, store, months.rows, today);
      await write(tx, store, -1);
      await deleteEmpty(tx, store, cells);
    },
  };
}

/**
 * Rows of texts as answered, summed per lower(trim(text)) by the database itself (PostgreSQL's lower() follows the
 * database's locale, which JavaScript cannot repeat), so no upsert meets one row twice; with the text's key (its MD5
 * on PostgreSQL). Columns are cast on PostgreSQL only: its VALUES of parameters are text, and SQLite's CAST(… AS date) is numeric.
 */
function normalizedTexts(store: Writer, rows: readonly (readonly (string | number)[])[]): SQL {
  const pg = store.dialect === 'postgres';
  const typed = (column: string, type: string) => (pg ? `CAST(${column} AS ${type})` : column);
  const columns = sql.raw(`${typed('column1', 'integer')}, ${typed('column2', 'integer')}, ${typed('column3', 'integer')}, ${typed('column4', 'date')},
      ${pg ? 'md5(lower(trim(column5)))' : 'lower(trim(column5))'}, lower(trim(column5)), sum(${typed('column6', 'integer')}), sum(${typed('column7', 'bigint')})`);
  return sql`SELECT ${columns} FROM (VALUES ${valueRows(rows)}) AS v GROUP BY 1, 2, 3, 4, 6 ORDER BY 1, 2, 3, 4, 5`;
}

/** Marks stale the weighting of each changed survey × neighborhood × month and of the months after it, up to today's, whose window holds it. */
async function markForWeighting(tx: Db, store: Writer, monthCells: readonly (string | number)[][], today: string): Promise<void> {
  const present = bucketStart(today, 'month');
  const stale = new Map<string, [number, number, string]>();
  for (const [surveyId, , month, neighborhoodId] of monthCells as [number, string, string, number][]) {
    for (let k = 0; k < WINDOW_MONTHS; k++) {
      const later = shiftBucket(month, 'month', k);
      if (k > 0 && later > present) break;
      stale.set(`${surveyId}|${neighborhoodId}|${later}`, [surveyId, neighborhoodId, later]);
    }
  }
  // In primary key order, as the rollups are written: two writers of several neighborhoods (an import, a void) lock them
  // in one order and never deadlock on PostgreSQL.
  const rows = [...stale.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
  for (const part of chunks(rows)) {
    await store.execute(
      tx,
      sql`INSERT INTO weighting_runs (survey_id, neighborhood_id, month) VALUES ${valueRows(part)}
        ON CONFLICT (survey_id, neighborhood_id, month) DO UPDATE SET version = weighting_runs.version + 1`,
    );
  }
}

/** Deletes the cells left with nobody, one statement per table and survey × neighborhood × month touched (by its key prefix). */
async function deleteEmpty(tx: Db, store: Writer, cells: readonly Cells[]): Promise<void> {
  for (const c of cells) {
    const { table, keys } = c.rollup;
    const at = (name: string) => keys.indexOf(name);
    const [survey, neighborhood, month] = [at('survey_id'), at('neighborhood_id'), at('month')];
    // The key column before the place's (measure or question) narrows each delete to a range of the primary key.
    const lead = keys[1] === 'measure' ? 1 : keys[2] === 'question_id' ? 2 : -1;
    const places = new Map<string, { surveyId: number; neighborhoodId: number; month: string; leads: Set<string | number> }>();
    for (const row of c.rows) {
      const key = `${row[survey]}|${row[neighborhood]}|${row[month]}`;
      let place = places.get(key);
      if (!place)
        places.set(
          key,
          (place = { surveyId: row[survey] as number, neighborhoodId: row[neighborhood] as number, month: row[month] as string, leads: new Set() }),
        );
      if (lead >= 0) place.leads.add(row[lead]);
    }
    for (const p of places.values()) {
      const narrowed = lead >= 0 ? sql` AND ${sql.raw(keys[lead])} IN ${[...p.leads]}` : sql``;
      await store.execute(
        tx,
        sql`DELETE FROM ${sql.raw(table)} WHERE survey_id = ${p.surveyId}${narrowed} AND neighborhood_id = ${p.neighborhoodId} AND month = ${p.month} AND n <= 0`,
      );
    }
  }
}
