import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import { dateIn } from '../dates.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { QUARANTINED, STRAIGHT_LINE_MIN_ITEMS } from '../survey/quarantine.js';
import { createResponseVoider } from '../survey/response-recorder.js';

export const decisionBody = z.object({
  reason: z
    .string()
    .trim()
    .min(1, 'Give a reason for the decision (for example: a real meeting, a bot).')
    .max(500, 'Use at most 500 characters for the reason.'),
});

export type Decision = 'count' | 'void';

interface HeldBurst {
  id: number;
  surveyId: number;
  survey: string;
  neighborhood: string;
  reason: 'identical-answers' | 'volume';
  firstDay: string;
  lastDay: string;
  responses: number;
}

/** Bursts held for review, what they look like, and the admin's decision on each (audited in the same transaction). */
export function createQuarantineAdmin({ db, sqlite }: DatabaseHandle, timeZone: string) {
  const voider = createResponseVoider(sqlite);
  const heldSql = `SELECT qu.id, qu.survey_id AS surveyId, s.slug AS survey, n.name AS neighborhood, qu.reason, qu.first_day AS firstDay, qu.last_day AS lastDay,
       (SELECT count(*) FROM responses r WHERE r.quarantine_id = qu.id) AS responses
     FROM quarantines qu JOIN surveys s ON s.id = qu.survey_id JOIN neighborhoods n ON n.id = qu.neighborhood_id
     WHERE qu.status = 'held'`;
  const held = sqlite.prepare<[], HeldBurst>(`${heldSql} ORDER BY qu.first_day, qu.id`);
  const heldOne = sqlite.prepare<[number], HeldBurst>(`${heldSql} AND qu.id = ?`);
  const distribution = sqlite.prepare<[number, number], { code: string; value: number; count: number }>(
    `SELECT q.code, a.value_number AS value, count(*) AS count FROM answers a JOIN responses r ON r.id = a.response_id JOIN questions q ON q.id = a.question_id
     WHERE r.quarantine_id = ? AND q.survey_id = ? AND q.kind = 'scale' AND a.value_number IS NOT NULL
     GROUP BY q.position, q.code, a.value_number ORDER BY q.position, count(*) DESC, a.value_number`,
  );
  const straightLined = sqlite
    .prepare<[number]>(
      `SELECT count(*) FROM (SELECT r.id FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id
       WHERE r.quarantine_id = ? AND q.kind = 'scale' AND a.value_number IS NOT NULL
       GROUP BY r.id HAVING count(*) >= ${STRAIGHT_LINE_MIN_ITEMS} AND min(a.value_number) = max(a.value_number))`,
    )
    .pluck();
  const heldIds = sqlite.prepare<[number, string]>('SELECT id FROM responses WHERE quarantine_id = ? AND voided = 1 AND void_reason = ?').pluck();
  const revoid = sqlite.prepare('UPDATE responses SET void_reason = ? WHERE quarantine_id = ? AND voided = 1 AND void_reason = ?');
  const decide = sqlite.prepare("UPDATE quarantines SET status = ?, decided_by = ?, decided_on = ?, decision_reason = ? WHERE id = ? AND status = 'held'");

  /** Per scale question, its values in the burst with how many gave each ("10 × 495, 3 × 5"). */
  function pattern(burst: HeldBurst) {
    const byQuestion = new Map<string, string[]>();
    for (const row of distribution.all(burst.id, burst.surveyId)) {
      byQuestion.set(row.code, [...(byQuestion.get(row.code) ?? []), `${row.value} × ${row.count}`]);
    }
    const lined = straightLined.get(burst.id) as number;
    return {
      questions: [...byQuestion].map(([code, values]) => ({ code, values: values.join(', ') })),
      straightLinedPercent: burst.responses === 0 ? 0 : Math.round((100 * lined) / burst.responses),
    };
  }

  return {
    held: () => held.all().map((burst) => ({ ...burst, ...pattern(burst) })),
    burst: (id: number) => heldOne.get(id),
    /** Counts (back into every figure) or voids the whole burst; returns how many responses it held. */
    decide(userId: number, id: number, decision: Decision, reason: string): number {
      return sqlite.transaction(() => {
        if (decide.run(decision === 'count' ? 'counted' : 'voided', userId, dateIn(timeZone), reason, id).changes === 0) return 0;
        let changed: number;
        if (decision === 'count') {
          const ids = heldIds.all(id, QUARANTINED) as number[];
          for (const responseId of ids) voider.setVoided(responseId, false);
          changed = ids.length;
        } else changed = revoid.run(reason, id, QUARANTINED).changes;
        recordAudit(db, {
          userId,
          action: decision === 'count' ? 'quarantine.count' : 'quarantine.void',
          entity: 'quarantine',
          entityId: id,
          details: { responses: changed, reason },
        });
        return changed;
      })();
    },
  };
}
