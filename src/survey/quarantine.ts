import type Database from 'better-sqlite3';
import { addDays } from '../dates.js';
import type { Question } from '../db/schema.js';
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
const LIVE = `(r.voided = 0 OR r.void_reason = '${QUARANTINED}')`;

/**
 * Detects bursts at submission time, in the submission's transaction, and holds the responses of a burst out of every
 * figure (voided with QUARANTINED, tied to a `quarantines` row) until an admin counts or voids the whole burst.
 * Runs after the response is recorded; callers wrap both in one transaction.
 */
export function createQuarantineGuard(sqlite: Database.Database, voider: ResponseVoider) {
  const openBurst = sqlite.prepare<[number, number, string], { id: number; lastDay: string; firstDay: string }>(
    `SELECT id, first_day AS firstDay, last_day AS lastDay FROM quarantines
     WHERE survey_id = ? AND neighborhood_id = ? AND reason = ? AND status = 'held' ORDER BY id DESC LIMIT 1`,
  );
  const newBurst = sqlite.prepare<[number, number, string, string, string]>(
    'INSERT INTO quarantines (survey_id, neighborhood_id, reason, first_day, last_day) VALUES (?, ?, ?, ?, ?) RETURNING id',
  );
  const spanDays = sqlite.prepare('UPDATE quarantines SET first_day = min(first_day, ?), last_day = max(last_day, ?) WHERE id = ?');
  const tie = sqlite.prepare('UPDATE responses SET quarantine_id = ? WHERE id = ?');
  const straightLiners = (condition: string) =>
    sqlite.prepare<[number, number, string], { id: number }>(
      `SELECT r.id FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id
       WHERE r.survey_id = ? AND r.neighborhood_id = ? AND r.submitted_on = ? AND ${condition} AND q.kind = 'scale' AND a.value_number IS NOT NULL
       GROUP BY r.id HAVING count(*) >= ${STRAIGHT_LINE_MIN_ITEMS} AND min(a.value_number) = max(a.value_number)`,
    );
  const liveStraightLiners = straightLiners(LIVE);
  const undecidedStraightLiners = straightLiners('r.voided = 0 AND r.quarantine_id IS NULL');
  const todayVolume = sqlite
    .prepare<[number, number, string]>(
      `SELECT count(*) FROM responses r WHERE r.survey_id = ? AND r.neighborhood_id = ? AND r.submitted_on = ? AND r.channel != 'kiosk' AND ${LIVE}`,
    )
    .pluck();
  const counted = sqlite
    .prepare<[number, number, string, string]>(
      'SELECT count(*) FROM responses WHERE survey_id = ? AND neighborhood_id = ? AND submitted_on >= ? AND submitted_on < ? AND voided = 0',
    )
    .pluck();

  // The previous days' mean, once per survey × neighborhood × day: counting weeks of rows on every busy submission would cost.
  const means = new Map<string, number>();
  let meansDay = '';
  function meanDailyCount(response: NewResponse): number {
    const day = response.submittedOn;
    if (day !== meansDay) {
      means.clear();
      meansDay = day;
    }
    const key = `${response.surveyId}|${response.neighborhoodId}`;
    let mean = means.get(key);
    if (mean === undefined) {
      mean = (counted.get(response.surveyId, response.neighborhoodId, addDays(day, -VOLUME_DAYS), day) as number) / VOLUME_DAYS;
      means.set(key, mean);
    }
    return mean;
  }

  function burstFor(response: NewResponse, reason: 'identical-answers' | 'volume'): number {
    const day = response.submittedOn;
    const open = openBurst.get(response.surveyId, response.neighborhoodId, reason);
    if (!open) return (newBurst.get(response.surveyId, response.neighborhoodId, reason, day, day) as { id: number }).id;
    if (day < open.firstDay || day > open.lastDay) spanDays.run(day, day, open.id);
    return open.id;
  }

  function hold(responseId: number, burstId: number) {
    voider.setVoided(responseId, true, QUARANTINED);
    tie.run(burstId, responseId);
  }

  const key = (r: NewResponse) => [r.surveyId, r.neighborhoodId, r.submittedOn] as const;

  /** Holds the just-recorded response (and, when an identical-answers burst opens, the day's earlier straight-liners); true when held. */
  return function check(responseId: number, response: NewResponse, questions: readonly Question[]): boolean {
    const scaleIds = new Set(questions.filter((q) => q.kind === 'scale').map((q) => q.id));
    if (isStraightLined(response.answers, scaleIds)) {
      const open = openBurst.get(response.surveyId, response.neighborhoodId, 'identical-answers');
      if (open?.lastDay === response.submittedOn) {
        hold(responseId, open.id);
        return true;
      }
      if (liveStraightLiners.all(...key(response)).length > STRAIGHT_LINES_PER_DAY) {
        const burst = burstFor(response, 'identical-answers');
        for (const { id } of undecidedStraightLiners.all(...key(response))) hold(id, burst);
        return true;
      }
    }
    // A staff-issued kiosk link serves a real crowd (a cookout): exempt from the volume rule, and not counted in it.
    if (response.channel === 'kiosk') return false;
    const today = todayVolume.get(...key(response)) as number;
    if (today <= VOLUME_FLOOR) return false;
    if (today <= Math.max(VOLUME_FLOOR, VOLUME_FACTOR * meanDailyCount(response))) return false;
    hold(responseId, burstFor(response, 'volume'));
    return true;
  };
}
