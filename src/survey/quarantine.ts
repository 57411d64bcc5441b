import { eq, sql, type SQL } from 'drizzle-orm';
import { addDays } from '../dates.js';
import type { Quarantine, Question } from '../db/schema.js';
import type { Db, Store } from '../db/store.js';
import type { NewResponse, ResponseVoider } from './response-recorder.js';

/** The void reason a held response carries until an admin decides on its burst; every figure already leaves voided rows out. */
export const QUARANTINED = 'held for review (quarantine)';

/** Straight-lined answers (the same value on every one of at least this many scale items) are suspect. */
export const STRAIGHT_LINE_MIN_ITEMS = 3;
/** A neighborhood may have this many straight-lined responses a day; from the next one on, the day's straight-liners are held. */
export const STRAIGHT_LINES_PER_DAY = 5;
/** A neighborhood's non-kiosk responses a day beyond max(VOLUME_FLOOR, VOLUME_FACTOR × its mean daily count over VOLUME_DAYS) are held. */
export const VOLUME_FLOOR = 30;
export const VOLUME_FACTOR = 5;
export const VOLUME_DAYS = 28;

/** True when the response gives the same value on every scale item it answers, and answers at least STRAIGHT_LINE_MIN_ITEMS. */
export function isStraightLined(answers: NewResponse['answers'], scaleIds: ReadonlySet<number>): boolean {
  const values = answers.filter((a) => scaleIds.has(a.questionId) && a.valueNumber !== null).map((a) => a.valueNumber);
  return values.length >= STRAIGHT_LINE_MIN_ITEMS && values.every((v) => v === values[0]);
}

// Responses in figures or held: neither voided by an admin nor an import still being written.
const LIVE = sql`(NOT r.voided OR r.void_reason = ${QUARANTINED})`;

/**
 * Detects bursts at submission time, in the submission's transaction, and holds the responses of a burst out of every
 * figure (voided with QUARANTINED, tied to a `quarantines` row) until an admin counts or voids the whole burst.
 * Runs after the response is recorded and before its rollups are added, in the same transaction `tx`: the caller adds
 * them when the response is not held.
 */
export function createQuarantineGuard(store: Store, voider: ResponseVoider) {
  const { quarantines } = store.tables;

  const openBurst = async (tx: Db, response: NewResponse, reason: Quarantine['reason']) =>
    (
      await store.rows<{ id: number; firstDay: string; lastDay: string }>(
        tx,
        sql`SELECT id, first_day AS "firstDay", last_day AS "lastDay" FROM quarantines WHERE survey_id = ${response.surveyId}
          AND neighborhood_id = ${response.neighborhoodId} AND reason = ${reason} AND status = 'held' ORDER BY id DESC LIMIT 1`,
      )
    )[0];

  // The day's straight-lined responses of the response's survey and neighborhood that meet `condition`.
  const straightLiners = (tx: Db, response: NewResponse, condition: SQL) =>
    store.rows<{ id: number }>(
      tx,
      sql`SELECT r.id FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id
       WHERE r.survey_id = ${response.surveyId} AND r.neighborhood_id = ${response.neighborhoodId} AND r.submitted_on = ${response.submittedOn}
         AND ${condition} AND q.kind = 'scale' AND a.value_number IS NOT NULL
       GROUP BY r.id HAVING count(*) >= ${STRAIGHT_LINE_MIN_ITEMS} AND min(a.value_number) = max(a.value_number)`,
    );

  const todayVolume = async (tx: Db, response: NewResponse) =>
    (
      await store.rows<{ n: number }>(
        tx,
        sql`SELECT count(*) AS "n" FROM responses r WHERE r.survey_id = ${response.surveyId} AND r.neighborhood_id = ${response.neighborhoodId}
         AND r.submitted_on = ${response.submittedOn} AND r.channel <> 'kiosk' AND ${LIVE}`,
      )
    )[0].n;

  // The previous days' mean, once per survey × neighborhood × day: counting weeks of rows on every busy submission would cost.
  const means = new Map<string, number>();
  let meansDay = '';
  async function meanDailyCount(tx: Db, response: NewResponse): Promise<number> {
    const day = response.submittedOn;
    if (day !== meansDay) {
      means.clear();
      meansDay = day;
    }
    const key = `${response.surveyId}|${response.neighborhoodId}`;
    let mean = means.get(key);
    if (mean === undefined) {
      const [counted] = await store.rows<{ n: number }>(
        tx,
        sql`SELECT count(*) AS "n" FROM responses WHERE survey_id = ${response.surveyId} AND neighborhood_id = ${response.neighborhoodId}
         AND submitted_on >= ${addDays(day, -VOLUME_DAYS)} AND submitted_on < ${day} AND NOT voided`,
      );
      mean = counted.n / VOLUME_DAYS;
      means.set(key, mean);
    }
    return mean;
  }

  async function burstFor(tx: Db, response: NewResponse, reason: Quarantine['reason']): Promise<number> {
    const day = response.submittedOn;
    const open = await openBurst(tx, response, reason);
    if (!open) {
      const [created] = await tx
        .insert(quarantines)
        .values({ surveyId: response.surveyId, neighborhoodId: response.neighborhoodId, reason, firstDay: day, lastDay: day })
        .returning({ id: quarantines.id });
      return created.id;
    }
    if (day < open.firstDay || day > open.lastDay) {
      await tx
        .update(quarantines)
        .set({
          firstDay: sql`CASE WHEN ${day} < ${quarantines.firstDay} THEN ${day} ELSE ${quarantines.firstDay} END`,
          lastDay: sql`CASE WHEN ${day} > ${quarantines.lastDay} THEN ${day} ELSE ${quarantines.lastDay} END`,
        })
        .where(eq(quarantines.id, open.id));
    }
    return open.id;
  }

  // The response being checked is not in the rollups yet (the caller adds it when it is not held): only its row is
  // marked; earlier responses held with it are taken out of the rollups by the voider.
  async function hold(tx: Db, responseIds: readonly number[], burstId: number, current: number) {
    await voider.setVoided(tx, { ids: responseIds.filter((id) => id !== current) }, true, QUARANTINED);
    await store.execute(tx, sql`UPDATE responses SET quarantine_id = ${burstId}, voided = TRUE, void_reason = ${QUARANTINED} WHERE id IN ${[...responseIds]}`);
  }

  /** Holds the just-recorded response (and, when an identical-answers burst opens, the day's earlier straight-liners); true when held. */
  return async function check(tx: Db, responseId: number, response: NewResponse, questions: readonly Question[]): Promise<boolean> {
    // PostgreSQL's transactions run side by side and count only what others committed: a burst at once all counted
    // under the floor, and opened two quarantines. One neighborhood's checks take turns (SQLite's writers always do).
    if (store.dialect === 'postgres') await store.execute(tx, sql`SELECT pg_advisory_xact_lock(${response.surveyId}, ${response.neighborhoodId})`);
    const scaleIds = new Set(questions.filter((q) => q.kind === 'scale').map((q) => q.id));
    if (isStraightLined(response.answers, scaleIds)) {
      const open = await openBurst(tx, response, 'identical-answers');
      if (open?.lastDay === response.submittedOn) {
        await hold(tx, [responseId], open.id, responseId);
        return true;
      }
      if ((await straightLiners(tx, response, LIVE)).length > STRAIGHT_LINES_PER_DAY) {
        const burst = await burstFor(tx, response, 'identical-answers');
        const undecided = await straightLiners(tx, response, sql`NOT r.voided AND r.quarantine_id IS NULL`);
        await hold(
          tx,
          undecided.map((r) => r.id),
          burst,
          responseId,
        );
        return true;
      }
    }
    // A staff-issued kiosk link serves a real crowd (a cookout): exempt from the volume rule, and not counted in it.
    if (response.channel === 'kiosk') return false;
    // A day's count only grows: once a burst is held for today, each later response of the day joins it without
    // counting the day again (counting thousands of rows per submission held the event loop up to 0.4 s).
    const open = await openBurst(tx, response, 'volume');
    if (open?.lastDay === response.submittedOn) {
      await hold(tx, [responseId], open.id, responseId);
      return true;
    }
    const today = await todayVolume(tx, response);
    if (today <= VOLUME_FLOOR) return false;
    if (today <= Math.max(VOLUME_FLOOR, VOLUME_FACTOR * (await meanDailyCount(tx, response)))) return false;
    await hold(tx, [responseId], await burstFor(tx, response, 'volume'), responseId);
    return true;
  };
}
