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

/** A rollup table: its key columns (primary key order; only the last may hold arbitrary text) and its additive sums. */
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
// Texts are held as answered: the database takes lower(trim(text)) as it writes them, as it does where it groups raw answers.
const texts: Rollup = { table: 'text_rollups', keys: ['survey_id', 'neighborhood_id', 'question_id', 'month', 'text'], sums: ['n', 'key_sum'] };
const rollups = [monthly, groups, answers, texts];

// Rows per multi-row statement: far below the bound parameters SQLite (32,766) and PostgreSQL (65,535) accept.
const ROWS_PER_STATEMENT = 500;

function* chunks<T>(rows: readonly T[], size = ROWS_PER_STATEMENT): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** Cells of one rollup table by key: key values then sums, one flat row each. */
class Cells {
  readonly byKey = new Map<string, (string | number)[]>();
  constructor(readonly rollup: Rollup) {}

  add(row: readonly (string | number)[]) {
    const width = this.rollup.keys.length;
    // NUL separates the key's parts: only the last may be free text, so no two keys join to the same string.
    let key = String(row[0]);
    for (let i = 1; i < width; i++) key += '\0' + row[i];
    const into = this.byKey.get(key);
    if (!into) this.byKey.set(key, [...row]);
    else for (let i = width; i < row.length; i++) (into[i] as number) += row[i] as number;
  }

  /** In key order, so concurrent writers (PostgreSQL) lock rows in one order and never deadlock. */
  sorted(): (string | number)[][] {
    return [...this.byKey.keys()].sort().map((k) => this.byKey.get(k)!);
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
   * the months whose raking window holds a month they change, up to the present.
   */
  addTo(tx: Db, store: Writer): Promise<void>;
  /** Takes the cells out of the rollups inside `tx`; a cell nobody is left in goes, exactly as if it had never been written. */
  takeFrom(tx: Db, store: Writer): Promise<void>;
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
            ? sql`INSERT INTO text_rollups (${sql.raw([...keys, ...sums].join(', '))}) ${normalizedTexts(store, part)} ${conflict}`
            : sql`INSERT INTO ${sql.raw(table)} (${sql.raw([...keys, ...sums].join(', '))}) VALUES ${valueRows(part)} ${conflict}`,
        );
      }
    }
  }

  return {
    add(response: Counted, scores: readonly (readonly [string, number])[], answered: readonly CountedAnswer[]) {
      const { surveyId, neighborhoodId, cellKey } = response;
      const month = bucketStart(response.submittedOn, 'month');
      for (const [measure, score] of scores) months.add([surveyId, measure, month, neighborhoodId, 1, score, score * score, cellKey]);
      for (const a of answered) {
        if (a.kind === 'choice' && a.valueText !== null) {
          for (const [measure, score] of scores)
            byGroup.add([surveyId, measure, neighborhoodId, month, a.questionId, a.valueText, 1, score, score * score, cellKey]);
        } else if (a.kind === 'scale' && a.valueNumber !== null) byPoint.add([surveyId, neighborhoodId, month, a.questionId, a.valueNumber, 1, cellKey]);
        else if (a.kind === 'text' && a.valueText !== null) byText.add([surveyId, neighborhoodId, a.questionId, month, a.valueText, 1, cellKey]);
      }
    },
    addAll(other: RollupSums) {
      other.cells.forEach((c, i) => {
        for (const row of c.byKey.values()) cells[i].add(row);
      });
    },
    cells,
    async addTo(tx: Db, store: Writer): Promise<void> {
      await markForWeighting(tx, store, [...months.byKey.values()]);
      await write(tx, store, 1);
    },
    async takeFrom(tx: Db, store: Writer): Promise<void> {
      await markForWeighting(tx, store, [...months.byKey.values()]);
      await write(tx, store, -1);
      await deleteEmpty(tx, store, cells);
    },
  };
}

/**
 * Rows of texts as answered, summed per lower(trim(text)) by the database itself (PostgreSQL's lower() follows the
 * database's locale, which JavaScript cannot repeat), so no upsert meets one row twice.
 */
function normalizedTexts(store: Writer, rows: readonly (readonly (string | number)[])[]): SQL {
  const typed = (column: string, type: string) => (store.dialect === 'postgres' ? `CAST(${column} AS ${type})` : column);
  return sql`SELECT ${sql.raw(`${typed('column1', 'integer')}, ${typed('column2', 'integer')}, ${typed('column3', 'integer')}, ${typed('column4', 'date')}`)},
      lower(trim(column5)), ${sql.raw(`sum(${typed('column6', 'integer')}), sum(${typed('column7', 'bigint')})`)}
    FROM (VALUES ${valueRows(rows)}) AS v GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`;
}

/** Marks stale the weighting of each changed survey × neighborhood × month and of the months after it, up to the present, whose window holds it. */
async function markForWeighting(tx: Db, store: Writer, monthCells: readonly (string | number)[][]): Promise<void> {
  const present = new Date().toISOString().slice(0, 7) + '-01';
  const stale = new Map<string, [number, number, string]>();
  for (const [surveyId, , month, neighborhoodId] of monthCells as [number, string, string, number][]) {
    for (let k = 0; k < WINDOW_MONTHS; k++) {
      const later = shiftBucket(month, 'month', k);
      if (k > 0 && later > present) break;
      stale.set(`${surveyId}|${neighborhoodId}|${later}`, [surveyId, neighborhoodId, later]);
    }
  }
  for (const rows of chunks([...stale.values()])) {
    await store.execute(
      tx,
      sql`INSERT INTO weighting_runs (survey_id, neighborhood_id, month) VALUES ${valueRows(rows)}
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
    for (const row of c.byKey.values()) {
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
