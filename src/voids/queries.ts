import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../audit/record.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { importBatches, neighborhoods, responses, staffUsers, surveys } from '../db/schema.js';
import { IMPORT_IN_PROGRESS } from '../import/store.js';
import { QUARANTINED } from '../survey/quarantine.js';
import { createResponseVoider } from '../survey/response-recorder.js';

export const voidBody = z.object({
  reason: z
    .string()
    .trim()
    .min(1, 'Give a reason for voiding (for example: spam, entered twice, wrong file).')
    .max(500, 'Use at most 500 characters for the reason.'),
});

export const lookupQuery = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().catch(undefined) });

/** Voiding and restoring responses and import batches, each with its audit entry in the same transaction. */
export function createVoidAdmin({ db, sqlite }: DatabaseHandle) {
  const voider = createResponseVoider(sqlite);
  const detail = db
    .select({
      id: responses.id,
      survey: surveys.slug,
      neighborhood: neighborhoods.name,
      submittedOn: responses.submittedOn,
      channel: responses.channel,
      language: responses.language,
      importBatchId: responses.importBatchId,
      voided: responses.voided,
      voidReason: responses.voidReason,
      // Held with its burst for review on /admin/quarantine: decided there as a whole, never restored on its own.
      held: sql<boolean>`${responses.voided} = 1 AND ${responses.voidReason} = ${QUARANTINED}`.mapWith(Boolean),
    })
    .from(responses)
    .innerJoin(surveys, eq(surveys.id, responses.surveyId))
    .innerJoin(neighborhoods, eq(neighborhoods.id, responses.neighborhoodId))
    // A row of an import still being written is not there yet for anyone.
    .where(and(eq(responses.id, sql.placeholder('id')), sql`${responses.voidReason} IS NOT ${IMPORT_IN_PROGRESS}`))
    .prepare();

  return {
    response: (id: number) => detail.get({ id }),
    batch: (id: number) =>
      db
        .select()
        .from(importBatches)
        .where(and(eq(importBatches.id, id), eq(importBatches.status, 'imported')))
        .get(),
    batches: () =>
      db
        .select({
          id: importBatches.id,
          survey: surveys.slug,
          fileName: importBatches.fileName,
          rowCount: importBatches.rowCount,
          createdAt: importBatches.createdAt,
          createdBy: staffUsers.email,
          voided: sql<number>`(SELECT count(*) FROM responses r WHERE r.import_batch_id = ${importBatches.id} AND r.voided = 1)`,
        })
        .from(importBatches)
        .innerJoin(surveys, eq(surveys.id, importBatches.surveyId))
        .leftJoin(staffUsers, eq(staffUsers.id, importBatches.createdBy))
        .where(eq(importBatches.status, 'imported'))
        .orderBy(desc(importBatches.id))
        .all(),
    setResponseVoided(userId: number, id: number, voided: boolean, reason: string | null) {
      sqlite.transaction(() => {
        if (!voider.setVoided(id, voided, reason)) return;
        recordAudit(db, {
          userId,
          action: voided ? 'response.void' : 'response.restore',
          entity: 'response',
          entityId: id,
          details: voided ? { reason } : undefined,
        });
      })();
    },
    setBatchVoided(userId: number, batchId: number, voided: boolean, reason: string | null): number {
      return sqlite.transaction(() => {
        const changed = voider.setBatchVoided(batchId, voided, reason);
        recordAudit(db, {
          userId,
          action: voided ? 'import.void' : 'import.restore',
          entity: 'import_batch',
          entityId: batchId,
          details: { responses: changed, ...(voided ? { reason } : {}) },
        });
        return changed;
      })();
    },
  };
}
