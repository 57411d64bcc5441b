import { and, desc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record.js';
import { first, type Store } from '../db/store.js';
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
export function createVoidAdmin(store: Store, timeZone: string) {
  const { importBatches, neighborhoods, responses, staffUsers, surveys } = store.tables;
  const voider = createResponseVoider(store, timeZone);

  return {
    async response(id: number) {
      const found = await store.read((db) =>
        first(
          db
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
            })
            .from(responses)
            .innerJoin(surveys, eq(surveys.id, responses.surveyId))
            .innerJoin(neighborhoods, eq(neighborhoods.id, responses.neighborhoodId))
            // A row of an import still being written is not there yet for anyone.
            .where(and(eq(responses.id, id), or(isNull(responses.voidReason), ne(responses.voidReason, IMPORT_IN_PROGRESS))))
            .limit(1),
        ),
      );
      // Held with its burst for review on /admin/quarantine: decided there as a whole, never restored on its own.
      return found && { ...found, held: found.voided && found.voidReason === QUARANTINED };
    },
    batch: (id: number) =>
      store.read((db) =>
        first(
          db
            .select()
            .from(importBatches)
            .where(and(eq(importBatches.id, id), eq(importBatches.status, 'imported')))
            .limit(1),
        ),
      ),
    batches: () =>
      store.read((db) =>
        db
          .select({
            id: importBatches.id,
            survey: surveys.slug,
            fileName: importBatches.fileName,
            rowCount: importBatches.rowCount,
            createdAt: importBatches.createdAt,
            createdBy: staffUsers.email,
            voided: sql<number>`(SELECT count(*) FROM responses r WHERE r.import_batch_id = ${importBatches.id} AND r.voided)`.mapWith(Number),
          })
          .from(importBatches)
          .innerJoin(surveys, eq(surveys.id, importBatches.surveyId))
          .leftJoin(staffUsers, eq(staffUsers.id, importBatches.createdBy))
          .where(eq(importBatches.status, 'imported'))
          .orderBy(desc(importBatches.id)),
      ),
    setResponseVoided: (userId: number, id: number, voided: boolean, reason: string | null) =>
      store.transaction(
        async (tx) => {
          if ((await voider.setVoided(tx, { ids: [id] }, voided, reason)) === 0) return;
          await audit(tx, store.tables, {
            userId,
            action: voided ? 'response.void' : 'response.restore',
            entity: 'response',
            entityId: id,
            details: voided ? { reason } : undefined,
          });
        },
        { invalidates: ['figures'] },
      ),
    setBatchVoided: (userId: number, batchId: number, voided: boolean, reason: string | null): Promise<number> =>
      store.transaction(
        async (tx) => {
          const changed = await voider.setVoided(tx, { importBatchId: batchId }, voided, reason);
          await audit(tx, store.tables, {
            userId,
            action: voided ? 'import.void' : 'import.restore',
            entity: 'import_batch',
            entityId: batchId,
            details: { responses: changed, ...(voided ? { reason } : {}) },
          });
          return changed;
        },
        { invalidates: ['figures'] },
      ),
  };
}
