import { randomBytes, randomInt } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Channel, Question } from '../db/schema.js';
import { valueRows, type Db, type Store, type Tables } from '../db/store.js';
import { bucketStart, shiftBucket } from '../stats/buckets.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';
import { WINDOW_MONTHS } from '../weighting/compute.js';

export interface AnswerValue {
  questionId: number;
  valueNumber: number | null;
  valueText: string | null;
}

export interface NewResponse {
  surveyId: number;
  neighborhoodId: number;
  submittedOn: string;
  channel: Channel;
  language: string;
  eventId?: number | null;
  importBatchId?: number | null;
  /** The mailing whose invitation brought the answer (never which invitation). */
  mailingId?: number | null;
  answers: readonly AnswerValue[];
}

/** A response's contribution to daily_rollups, or the sums of several in one cell. */
export type RollupCell = Tables['dailyRollups']['$inferSelect'];

/** A random response id in 1 … 2^53-1: safe as a JavaScript number, and nothing about when it was written. */
function randomResponseId(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) || 1;
}

/** A response's random cell key (see src/stats/perturbation.ts). */
const newCellKey = () => randomInt(0, 4294967296);

// Rows per multi-row statement: far below the bound parameters SQLite (32,766) and PostgreSQL (65,535) accept.
const ROWS_PER_INSERT = 500;

function* chunks<T>(rows: readonly T[], size = ROWS_PER_INSERT): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** Adds a cell to sums kept per survey × measure × day × neighborhood. */
function addCell(sums: Map<string, RollupCell>, cell: RollupCell) {
  const key = `${cell.surveyId}|${cell.measure}|${cell.day}|${cell.neighborhoodId}`;
  const into = sums.get(key);
  if (!into) sums.set(key, { ...cell });
  else {
    into.n += cell.n;
    into.sum += cell.sum;
    into.sumSquares += cell.sumSquares;
    into.keySum += cell.keySum;
  }
}

// Cells on the same survey × measure × day × neighborhood summed, so a statement touches each rollup row once.
function mergeCells(cells: readonly RollupCell[]): RollupCell[] {
  const sums = new Map<string, RollupCell>();
  for (const cell of cells) addCell(sums, cell);
  return [...sums.values()];
}

/**
 * Adds cells to daily_rollups (created when new), in multi-row upserts inside the transaction `tx`, and marks for
 * weighting again (src/weighting/) their month and the months after it, up to the present, whose raking window holds it.
 */
export async function addToRollups(tx: Db, store: Pick<Store, 'execute'>, cells: readonly RollupCell[]): Promise<void> {
  const present = new Date().toISOString().slice(0, 7) + '-01';
  const places = new Map(cells.map((c) => [`${c.surveyId}|${c.neighborhoodId}|${c.day.slice(0, 7)}`, { ...c, month: bucketStart(c.day, 'month') }]));
  const stale = new Map<string, [number, number, string]>();
  for (const { surveyId, neighborhoodId, month } of places.values()) {
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
  for (const rows of chunks(mergeCells(cells))) {
    const values = rows.map((c) => [c.surveyId, c.measure, c.day, c.neighborhoodId, c.n, c.sum, c.sumSquares, c.keySum]);
    await store.execute(
      tx,
      sql`INSERT INTO daily_rollups (survey_id, measure, day, neighborhood_id, n, sum, sum_squares, key_sum) VALUES ${valueRows(values)}
        ON CONFLICT (survey_id, measure, day, neighborhood_id) DO UPDATE SET n = daily_rollups.n + excluded.n, sum = daily_rollups.sum + excluded.sum,
          sum_squares = daily_rollups.sum_squares + excluded.sum_squares, key_sum = daily_rollups.key_sum + excluded.key_sum`,
    );
  }
}

/** Takes cells out of daily_rollups inside `tx`; a cell nobody is left in goes, exactly as if it had never been written. */
async function takeFromRollups(tx: Db, store: Pick<Store, 'execute'>, cells: readonly RollupCell[]): Promise<void> {
  const merged = mergeCells(cells);
  await addToRollups(
    tx,
    store,
    merged.map((c) => ({ ...c, n: -c.n, sum: -c.sum, sumSquares: -c.sumSquares, keySum: -c.keySum })),
  );
  // A response's cells share their survey, day and neighborhood: one statement for each such place and day.
  const places = new Map(merged.map((c) => [`${c.surveyId}|${c.day}|${c.neighborhoodId}`, c]));
  for (const c of places.values()) {
    await store.execute(
      tx,
      sql`DELETE FROM daily_rollups WHERE survey_id = ${c.surveyId} AND day = ${c.day} AND neighborhood_id = ${c.neighborhoodId} AND n <= 0`,
    );
  }
}

const cellOf = (r: { surveyId: number; submittedOn: string; neighborhoodId: number; cellKey: number }, measure: string, score: number): RollupCell => ({
  surveyId: r.surveyId,
  measure,
  day: r.submittedOn,
  neighborhoodId: r.neighborhoodId,
  n: 1,
  sum: score,
  sumSquares: score * score,
  keySum: r.cellKey,
});

export interface Recorded {
  /** The new responses' ids, in the order given. */
  ids: number[];
  /** What they add to daily_rollups (already added unless they were written hidden or with `rollupsLater`). */
  cells: RollupCell[];
}

/**
 * Writes responses with their answers, per-respondent scores and daily rollups, in multi-row statements inside the
 * caller's transaction `tx` (so that many responses can share one commit). With `hiddenAs`, they are written voided
 * with that reason and left out of the rollups: the caller reveals them later (see createBatchRevealer). With
 * `rollupsLater`, the caller adds the returned cells itself (addToRollups), as the last write of its transaction.
 */
export function createResponseRecorder(store: Store, questions: readonly Question[]) {
  const measures = measuresOf(questions);

  // Random ids: one chance in billions that one is taken; such a row is not written, and drawn again.
  async function insertResponses(tx: Db, rows: readonly NewResponse[], cellKeys: readonly number[], hiddenAs: string | undefined): Promise<number[]> {
    const ids: number[] = new Array(rows.length);
    const voided = hiddenAs === undefined ? sql`FALSE` : sql`TRUE`;
    let pending = rows.map((_, i) => i);
    while (pending.length > 0) {
      const again: number[] = [];
      for (const part of chunks(pending)) {
        const drawn = new Map<number, number>();
        for (const i of part) {
          const id = randomResponseId();
          if (drawn.has(id)) again.push(i);
          else drawn.set(id, i);
        }
        const values = [...drawn].map(([id, i]) => {
          const r = rows[i];
          return [
            id,
            r.surveyId,
            r.neighborhoodId,
            r.submittedOn,
            r.channel,
            r.language,
            r.eventId ?? null,
            r.importBatchId ?? null,
            r.mailingId ?? null,
            cellKeys[i],
            voided,
            hiddenAs ?? null,
          ];
        });
        const stored = await store.rows<{ id: number }>(
          tx,
          sql`INSERT INTO responses (id, survey_id, neighborhood_id, submitted_on, channel, language, event_id, import_batch_id, mailing_id, cell_key, voided, void_reason)
            VALUES ${valueRows(values)} ON CONFLICT (id) DO NOTHING RETURNING id`,
        );
        for (const { id } of stored) {
          ids[drawn.get(id)!] = id;
          drawn.delete(id);
        }
        again.push(...drawn.values());
      }
      pending = again;
    }
    return ids;
  }

  // The hot path of every submission: statements written out, as the query builder costs several times their run time.
  return async function record(
    tx: Db,
    rows: readonly NewResponse[],
    { hiddenAs, rollupsLater = false }: { hiddenAs?: string; rollupsLater?: boolean } = {},
  ): Promise<Recorded> {
    const cellKeys = rows.map(() => newCellKey());
    const ids = await insertResponses(tx, rows, cellKeys, hiddenAs);
    const answerValues: unknown[][] = [];
    const scoreValues: unknown[][] = [];
    const cells: RollupCell[] = [];
    rows.forEach((response, i) => {
      const responseId = ids[i];
      const scalePoints = new Map<number, number>();
      for (const a of response.answers) {
        answerValues.push([responseId, a.questionId, a.valueNumber, a.valueText]);
        if (a.valueNumber !== null) scalePoints.set(a.questionId, a.valueNumber);
      }
      for (const [measure, score] of respondentScores(measures, scalePoints)) {
        scoreValues.push([responseId, measure, score]);
        cells.push(cellOf({ ...response, cellKey: cellKeys[i] }, measure, score));
      }
    });
    for (const part of chunks(answerValues))
      await store.execute(tx, sql`INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES ${valueRows(part)}`);
    for (const part of chunks(scoreValues)) await store.execute(tx, sql`INSERT INTO response_scores (response_id, measure, score) VALUES ${valueRows(part)}`);
    if (hiddenAs === undefined && !rollupsLater) await addToRollups(tx, store, cells);
    return { ids, cells };
  };
}

export type RecordResponses = ReturnType<typeof createResponseRecorder>;

/** Which responses to void or restore: some by id, every one of an import batch, or those voided with a reason in a burst. */
export type ResponseSelection = { ids: readonly number[] } | { importBatchId: number } | { quarantineId: number; voidReason: string };

/**
 * Voids and restores responses: flips `responses.voided` and takes the responses' scores out of daily_rollups (or
 * puts them back), so figures built from rollups never count a voided response. Every call takes the caller's `tx`.
 */
export function createResponseVoider(store: Store) {
  function selected(which: ResponseSelection): SQL {
    if ('ids' in which) return sql`r.id IN ${[...which.ids]}`;
    if ('importBatchId' in which) return sql`r.import_batch_id = ${which.importBatchId}`;
    return sql`r.quarantine_id = ${which.quarantineId} AND r.void_reason = ${which.voidReason}`;
  }

  return {
    /** Voids (with a reason) or restores the selected responses not yet in that state; returns how many changed. */
    async setVoided(tx: Db, which: ResponseSelection, voided: boolean, reason: string | null = null): Promise<number> {
      if ('ids' in which && which.ids.length === 0) return 0;
      const changing = sql`${selected(which)} AND ${voided ? sql`NOT r.voided` : sql`r.voided`}`;
      const scored = await store.rows<{ surveyId: number; submittedOn: string; neighborhoodId: number; cellKey: number; measure: string; score: number }>(
        tx,
        sql`SELECT r.survey_id AS "surveyId", r.submitted_on AS "submittedOn", r.neighborhood_id AS "neighborhoodId", r.cell_key AS "cellKey", s.measure, s.score
          FROM responses r JOIN response_scores s ON s.response_id = r.id WHERE ${changing}`,
      );
      const changed = await store.execute(
        tx,
        sql`UPDATE responses SET voided = ${voided ? sql`TRUE` : sql`FALSE`}, void_reason = ${voided ? reason : null}
          WHERE id IN (SELECT r.id FROM responses r WHERE ${changing})`,
      );
      const cells = scored.map((s) => cellOf(s, s.measure, s.score));
      if (voided) await takeFromRollups(tx, store, cells);
      else await addToRollups(tx, store, cells);
      return changed;
    },
  };
}

export type ResponseVoider = ReturnType<typeof createResponseVoider>;

/**
 * Reveals responses written hidden (see createResponseRecorder's `hiddenAs`) as one import batch: `add` notes what
 * each write adds to the rollups; `reveal` adds it all and makes the rows live in one statement, so the transaction
 * that shows a whole batch stays short.
 */
export function createBatchRevealer(store: Store) {
  const { responses } = store.tables;
  const sums = new Map<string, RollupCell>();
  return {
    add(recorded: readonly RollupCell[]) {
      for (const cell of recorded) addCell(sums, cell);
    },
    /** Inside `tx`: returns how many responses became live. */
    async reveal(tx: Db, batchId: number, reason: string): Promise<number> {
      await addToRollups(tx, store, [...sums.values()]);
      const shown = await tx
        .update(responses)
        .set({ voided: false, voidReason: null })
        .where(and(eq(responses.importBatchId, batchId), eq(responses.voided, true), eq(responses.voidReason, reason)))
        .returning({ id: responses.id });
      return shown.length;
    },
  };
}
