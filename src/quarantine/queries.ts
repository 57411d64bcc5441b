import { and, eq, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record.js';
import { dateIn } from '../dates.js';
import type { Quarantine } from '../db/schema.js';
import type { Db, Store } from '../db/store.js';
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
  reason: Quarantine['reason'];
  firstDay: string;
  lastDay: string;
  responses: number;
}

/** Bursts held for review, what they look like, and the admin's decision on each (audited in the same transaction). */
export function createQuarantineAdmin(store: Store, timeZone: string) {
  const { quarantines, responses } = store.tables;
  const voider = createResponseVoider(store, timeZone);
  const heldSql = (only: SQL) => sql`SELECT qu.id, qu.survey_id AS "surveyId", s.slug AS "survey", n.name AS "neighborhood", qu.reason,
       qu.first_day AS "firstDay", qu.last_day AS "lastDay", (SELECT count(*) FROM responses r WHERE r.quarantine_id = qu.id) AS "responses"
     FROM quarantines qu JOIN surveys s ON s.id = qu.survey_id JOIN neighborhoods n ON n.id = qu.neighborhood_id
     WHERE qu.status = 'held' AND ${only} ORDER BY qu.first_day, qu.id`;

  /** Per scale question, its values in the burst with how many gave each ("10 × 495, 3 × 5"). */
  async function pattern(db: Db, burst: HeldBurst) {
    const distribution = await store.rows<{ code: string; value: number; count: number }>(
      db,
      sql`SELECT q.code, a.value_number AS "value", count(*) AS "count" FROM answers a JOIN responses r ON r.id = a.response_id JOIN questions q ON q.id = a.question_id
       WHERE r.quarantine_id = ${burst.id} AND q.survey_id = ${burst.surveyId} AND q.kind = 'scale' AND a.value_number IS NOT NULL
       GROUP BY q.position, q.code, a.value_number ORDER BY q.position, count(*) DESC, a.value_number`,
    );
    const byQuestion = new Map<string, string[]>();
    for (const row of distribution) byQuestion.set(row.code, [...(byQuestion.get(row.code) ?? []), `${row.value} × ${row.count}`]);
    const [lined] = await store.rows<{ n: number }>(
      db,
      sql`SELECT count(*) AS "n" FROM (SELECT r.id FROM responses r JOIN answers a ON a.response_id = r.id JOIN questions q ON q.id = a.question_id
       WHERE r.quarantine_id = ${burst.id} AND q.kind = 'scale' AND a.value_number IS NOT NULL
       GROUP BY r.id HAVING count(*) >= ${STRAIGHT_LINE_MIN_ITEMS} AND min(a.value_number) = max(a.value_number)) AS lined`,
    );
    return {
      questions: [...byQuestion].map(([code, values]) => ({ code, values: values.join(', ') })),
      straightLinedPercent: burst.responses === 0 ? 0 : Math.round((100 * lined.n) / burst.responses),
    };
  }

  return {
    held: () =>
      store.read(async (db) => {
        const bursts = await store.rows<HeldBurst>(db, heldSql(sql`TRUE`));
        return Promise.all(bursts.map(async (burst) => ({ ...burst, ...(await pattern(db, burst)) })));
      }),
    burst: (id: number) => store.read(async (db) => (await store.rows<HeldBurst>(db, heldSql(sql`qu.id = ${id}`)))[0]),
    /** Counts (back into every figure) or voids the whole burst; returns how many responses it held. */
    decide: (userId: number, id: number, decision: Decision, reason: string): Promise<number> =>
      store.transaction(
        async (tx) => {
          const decided = await tx
            .update(quarantines)
            .set({ status: decision === 'count' ? 'counted' : 'voided', decidedBy: userId, decidedOn: dateIn(timeZone), decisionReason: reason })
            .where(and(eq(quarantines.id, id), eq(quarantines.status, 'held')))
            .returning({ id: quarantines.id });
          if (decided.length === 0) return 0;
          const held = and(eq(responses.quarantineId, id), eq(responses.voided, true), eq(responses.voidReason, QUARANTINED));
          const changed =
            decision === 'count'
              ? await voider.setVoided(tx, { quarantineId: id, voidReason: QUARANTINED }, false)
              : (await tx.update(responses).set({ voidReason: reason }).where(held).returning({ id: responses.id })).length;
          await audit(tx, store.tables, {
            userId,
            action: decision === 'count' ? 'quarantine.count' : 'quarantine.void',
            entity: 'quarantine',
            entityId: id,
            details: { responses: changed, reason },
          });
          return changed;
        },
        { invalidates: ['figures'] },
      ),
  };
}
