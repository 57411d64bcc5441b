import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import type { Neighborhood, PopulationMargin, Survey } from '../db/schema.js';
import type { Store } from '../db/store.js';

/** A margin as written: the table's row without its id and survey (one survey per write). */
export type MarginRow = Omit<PopulationMargin, 'id' | 'surveyId'>;

/** Population margins per survey and neighborhood; a write replaces a neighborhood's whole set, in one audited transaction. */
export function createMarginRepository(store: Store) {
  const { tables } = store;
  const { neighborhoods, populationMargins, surveys, weightingRuns } = tables;
  return {
    surveys: (): Promise<Survey[]> => store.read((db) => db.select().from(surveys).orderBy(asc(surveys.id))),
    neighborhoods: (): Promise<Neighborhood[]> => store.read((db) => db.select().from(neighborhoods).orderBy(asc(neighborhoods.name))),
    /** Every margin of a survey, one neighborhood, question and option per row. */
    forSurvey: (surveyId: number, neighborhoodId?: number): Promise<PopulationMargin[]> =>
      store.read((db) =>
        db
          .select()
          .from(populationMargins)
          .where(
            neighborhoodId === undefined
              ? eq(populationMargins.surveyId, surveyId)
              : and(eq(populationMargins.surveyId, surveyId), eq(populationMargins.neighborhoodId, neighborhoodId)),
          )
          .orderBy(asc(populationMargins.neighborhoodId), asc(populationMargins.id)),
      ),
    /** Replaces the margins of every neighborhood named in `rows` (the others keep theirs); all or nothing. */
    replace(userId: number, surveyId: number, rows: readonly MarginRow[], via: 'form' | 'csv'): Promise<void> {
      const neighborhoodIds = [...new Set(rows.map((r) => r.neighborhoodId))];
      return store.transaction(async (tx) => {
        if (neighborhoodIds.length === 0) return;
        await tx.delete(populationMargins).where(and(eq(populationMargins.surveyId, surveyId), inArray(populationMargins.neighborhoodId, neighborhoodIds)));
        await tx.insert(populationMargins).values(rows.map((r) => ({ ...r, surveyId })));
        // Every year of these neighborhoods is raked to the new margins.
        await tx
          .update(weightingRuns)
          .set({ version: sql`${weightingRuns.version} + 1` })
          .where(and(eq(weightingRuns.surveyId, surveyId), inArray(weightingRuns.neighborhoodId, neighborhoodIds)));
        await audit(tx, tables, {
          userId,
          action: 'margins.replace',
          entity: 'survey',
          entityId: surveyId,
          details: { via, neighborhoodIds, rows: rows.length },
        });
      });
    },
  };
}

export type MarginRepository = ReturnType<typeof createMarginRepository>;
