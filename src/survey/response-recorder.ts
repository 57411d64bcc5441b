import { randomBytes, randomInt } from 'node:crypto';
import { and, eq, inArray, lte, ne, sql, type SQL } from 'drizzle-orm';
import type { Channel, Question } from '../db/schema.js';
import type { Db, Store, Tables } from '../db/store.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';

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
  answers: readonly AnswerValue[];
}

/** A response's contribution to daily_rollups, or the sums of several in one cell. */
export type RollupCell = Tables['dailyRollups']['$inferSelect'];

/** A random response id in 1 … 2^53-1: safe as a JavaScript number, and nothing about when it was written. */
export function randomResponseId(): number {
  return Number(randomBytes(8).readBigUInt64BE() >> 11n) || 1;
}

/** A response's random cell key (see src/stats/perturbation.ts). */
export const newCellKey = () => randomInt(0, 4294967296);

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

/** Adds cells to daily_rollups (created when new), in multi-row upserts inside the transaction `tx`. */
export async function addToRollups(tx: Db, { dailyRollups }: Pick<Tables, 'dailyRollups'>, cells: readonly RollupCell[]): Promise<void> {
  for (const rows of chunks(mergeCells(cells))) {
    await tx
      .insert(dailyRollups)
      .values(rows)
      .onConflictDoUpdate({
        target: [dailyRollups.surveyId, dailyRollups.measure, dailyRollups.day, dailyRollups.neighborhoodId],
        set: {
          n: sql`${dailyRollups.n} + excluded.n`,
          sum: sql`${dailyRollups.sum} + excluded.sum`,
          sumSquares: sql`${dailyRollups.sumSquares} + excluded.sum_squares`,
          keySum: sql`${dailyRollups.keySum} + excluded.key_sum`,
        },
      });
  }
}

/** Takes cells out of daily_rollups inside `tx`; a cell nobody is left in goes, exactly as if it had never been written. */
export async function takeFromRollups(tx: Db, { dailyRollups }: Pick<Tables, 'dailyRollups'>, cells: readonly RollupCell[]): Promise<void> {
  for (const cell of mergeCells(cells)) {
    const same = and(
      eq(dailyRollups.surveyId, cell.surveyId),
      eq(dailyRollups.measure, cell.measure),
      eq(dailyRollups.day, cell.day),
      eq(dailyRollups.neighborhoodId, cell.neighborhoodId),
    );
    await tx.delete(dailyRollups).where(and(same, lte(dailyRollups.n, cell.n)));
    await tx
      .update(dailyRollups)
      .set({
        n: sql`${dailyRollups.n} - ${cell.n}`,
        sum: sql`${dailyRollups.sum} - ${cell.sum}`,
        sumSquares: sql`${dailyRollups.sumSquares} - ${cell.sumSquares}`,
        keySum: sql`${dailyRollups.keySum} - ${cell.keySum}`,
      })
      .where(same);
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
  /** What they add to daily_rollups (already added unless they were written hidden). */
  cells: RollupCell[];
}

/**
 * Writes responses with their answers, per-respondent scores and daily rollups, in multi-row statements inside the
 * caller's transaction `tx` (so that many responses can share one commit). With `hiddenAs`, they are written voided
 * with that reason and left out of the rollups: the caller reveals them later (see createBatchRevealer).
 */
export function createResponseRecorder(store: Store, questions: readonly Question[]) {
  const measures = measuresOf(questions);
  const { responses, answers, responseScores } = store.tables;

  // Random ids: one chance in billions that one is taken; such a row is not written, and drawn again.
  async function insertResponses(tx: Db, rows: readonly NewResponse[], cellKeys: readonly number[], hiddenAs: string | undefined): Promise<number[]> {
    const ids: number[] = new Array(rows.length);
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
        const stored = await tx
          .insert(responses)
          .values(
            [...drawn].map(([id, i]) => ({
              id,
              surveyId: rows[i].surveyId,
              neighborhoodId: rows[i].neighborhoodId,
              submittedOn: rows[i].submittedOn,
              channel: rows[i].channel,
              language: rows[i].language,
              eventId: rows[i].eventId ?? null,
              importBatchId: rows[i].importBatchId ?? null,
              cellKey: cellKeys[i],
              ...(hiddenAs === undefined ? {} : { voided: true, voidReason: hiddenAs }),
            })),
          )
          .onConflictDoNothing({ target: responses.id })
          .returning({ id: responses.id });
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

  return async function record(tx: Db, rows: readonly NewResponse[], { hiddenAs }: { hiddenAs?: string } = {}): Promise<Recorded> {
    const cellKeys = rows.map(() => newCellKey());
    const ids = await insertResponses(tx, rows, cellKeys, hiddenAs);
    const answerRows: (typeof answers.$inferInsert)[] = [];
    const scoreRows: (typeof responseScores.$inferInsert)[] = [];
    const cells: RollupCell[] = [];
    rows.forEach((response, i) => {
      const responseId = ids[i];
      const scalePoints = new Map<number, number>();
      for (const a of response.answers) {
        answerRows.push({ responseId, questionId: a.questionId, valueNumber: a.valueNumber, valueText: a.valueText });
        if (a.valueNumber !== null) scalePoints.set(a.questionId, a.valueNumber);
      }
      for (const [measure, score] of respondentScores(measures, scalePoints)) {
        scoreRows.push({ responseId, measure, score });
        cells.push(cellOf({ ...response, cellKey: cellKeys[i] }, measure, score));
      }
    });
    for (const part of chunks(answerRows)) await tx.insert(answers).values(part);
    for (const part of chunks(scoreRows)) await tx.insert(responseScores).values(part);
    if (hiddenAs === undefined) await addToRollups(tx, store.tables, cells);
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
  const { responses, responseScores } = store.tables;

  function condition(which: ResponseSelection): SQL | undefined {
    if ('ids' in which) return inArray(responses.id, [...which.ids]);
    if ('importBatchId' in which) return eq(responses.importBatchId, which.importBatchId);
    return and(eq(responses.quarantineId, which.quarantineId), eq(responses.voidReason, which.voidReason));
  }

  return {
    /** Voids (with a reason) or restores the selected responses not yet in that state; returns how many changed. */
    async setVoided(tx: Db, which: ResponseSelection, voided: boolean, reason: string | null = null): Promise<number> {
      if ('ids' in which && which.ids.length === 0) return 0;
      const changing = and(condition(which), ne(responses.voided, voided));
      const scored = await tx
        .select({
          surveyId: responses.surveyId,
          submittedOn: responses.submittedOn,
          neighborhoodId: responses.neighborhoodId,
          cellKey: responses.cellKey,
          measure: responseScores.measure,
          score: responseScores.score,
        })
        .from(responses)
        .innerJoin(responseScores, eq(responseScores.responseId, responses.id))
        .where(changing);
      const changed = await tx
        .update(responses)
        .set({ voided, voidReason: voided ? reason : null })
        .where(changing)
        .returning({ id: responses.id });
      const cells = scored.map((s) => cellOf(s, s.measure, s.score));
      if (voided) await takeFromRollups(tx, store.tables, cells);
      else await addToRollups(tx, store.tables, cells);
      return changed.length;
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
      await addToRollups(tx, store.tables, [...sums.values()]);
      const shown = await tx
        .update(responses)
        .set({ voided: false, voidReason: null })
        .where(and(eq(responses.importBatchId, batchId), eq(responses.voided, true), eq(responses.voidReason, reason)))
        .returning({ id: responses.id });
      return shown.length;
    },
  };
}
