import { randomBytes, randomInt } from 'node:crypto';
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { dateIn } from '../dates.js';
import type { Channel, Question } from '../db/schema.js';
import { valueRows, type Db, type Store } from '../db/store.js';
import { measuresOf, respondentScores } from '../stats/scoring.js';
import { createRollupSums, type Counted, type CountedAnswer, type RollupSums } from './rollups.js';

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

export interface Recorded {
  /** The new responses' ids, in the order given. */
  ids: number[];
  /** What they add to the rollups (already added unless they were written hidden or with `rollupsLater`). */
  rollups: RollupSums;
}

/**
 * Writes responses with their answers, per-respondent scores and rollups, in multi-row statements inside the caller's
 * transaction `tx` (so that many responses can share one commit). With `hiddenAs`, they are written voided with that
 * reason and left out of the rollups: the caller reveals them later (see createBatchRevealer). With `rollupsLater`, the
 * caller adds the returned rollups itself (`rollups.addTo`), as the last write of its transaction. `timeZone` is the
 * deployment's (TIME_ZONE): its date says up to which month weighting is marked stale.
 */
export function createResponseRecorder(store: Store, questions: readonly Question[], timeZone: string) {
  const measures = measuresOf(questions);
  const kinds = new Map(questions.map((q) => [q.id, q.kind]));

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
    const rollups = createRollupSums();
    rows.forEach((response, i) => {
      const responseId = ids[i];
      const scalePoints = new Map<number, number>();
      const answered: CountedAnswer[] = [];
      for (const a of response.answers) {
        answerValues.push([responseId, a.questionId, a.valueNumber, a.valueText]);
        answered.push({ ...a, kind: kinds.get(a.questionId)! });
        if (a.valueNumber !== null) scalePoints.set(a.questionId, a.valueNumber);
      }
      const scores = [...respondentScores(measures, scalePoints)];
      for (const [measure, score] of scores) scoreValues.push([responseId, measure, score]);
      rollups.add({ ...response, cellKey: cellKeys[i] }, scores, answered);
    });
    for (const part of chunks(answerValues))
      await store.execute(tx, sql`INSERT INTO answers (response_id, question_id, value_number, value_text) VALUES ${valueRows(part)}`);
    for (const part of chunks(scoreValues)) await store.execute(tx, sql`INSERT INTO response_scores (response_id, measure, score) VALUES ${valueRows(part)}`);
    if (hiddenAs === undefined && !rollupsLater) await rollups.addTo(tx, store, dateIn(timeZone));
    return { ids, rollups };
  };
}

export type RecordResponses = ReturnType<typeof createResponseRecorder>;

/** Which responses to void or restore: some by id, every one of an import batch, or those voided with a reason in a burst. */
export type ResponseSelection = { ids: readonly number[] } | { importBatchId: number } | { quarantineId: number; voidReason: string };

/**
 * Voids and restores responses: flips `responses.voided` and takes the responses out of the rollups (or puts them
 * back), so figures built from rollups never count a voided response. Every call takes the caller's `tx`.
 */
export function createResponseVoider(store: Store, timeZone: string) {
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
      const live = sql`SELECT r.id, r.survey_id AS "surveyId", r.submitted_on AS "submittedOn", r.neighborhood_id AS "neighborhoodId", r.cell_key AS "cellKey"`;
      const scored = await store.rows<Counted & { id: number; measure: string; score: number }>(
        tx,
        sql`${live}, s.measure, s.score FROM responses r JOIN response_scores s ON s.response_id = r.id WHERE ${changing}`,
      );
      const answered = await store.rows<Counted & CountedAnswer & { id: number }>(
        tx,
        sql`${live}, a.question_id AS "questionId", q.kind, a.value_number AS "valueNumber", a.value_text AS "valueText"
          FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id WHERE ${changing}`,
      );
      const changed = await store.execute(
        tx,
        sql`UPDATE responses SET voided = ${voided ? sql`TRUE` : sql`FALSE`}, void_reason = ${voided ? reason : null}
          WHERE id IN (SELECT r.id FROM responses r WHERE ${changing})`,
      );
      const byResponse = new Map<number, { response: Counted; scores: [string, number][]; answers: CountedAnswer[] }>();
      const entry = (r: Counted & { id: number }) => {
        let found = byResponse.get(r.id);
        if (!found) byResponse.set(r.id, (found = { response: r, scores: [], answers: [] }));
        return found;
      };
      for (const s of scored) entry(s).scores.push([s.measure, s.score]);
      for (const a of answered) entry(a).answers.push(a);
      const rollups = createRollupSums();
      for (const { response, scores, answers } of byResponse.values()) rollups.add(response, scores, answers);
      if (voided) await rollups.takeFrom(tx, store, dateIn(timeZone));
      else await rollups.addTo(tx, store, dateIn(timeZone));
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
export function createBatchRevealer(store: Store, timeZone: string) {
  const { responses } = store.tables;
  const sums = createRollupSums();
  return {
    add(recorded: RollupSums) {
      sums.addAll(recorded);
    },
    /** Inside `tx`: returns how many responses became live. */
    async reveal(tx: Db, batchId: number, reason: string): Promise<number> {
      await sums.addTo(tx, store, dateIn(timeZone));
      const shown = await tx
        .update(responses)
        .set({ voided: false, voidReason: null })
        .where(and(eq(responses.importBatchId, batchId), eq(responses.voided, true), eq(responses.voidReason, reason)))
        .returning({ id: responses.id });
      return shown.length;
    },
  };
}
