import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { audit } from '../audit/record.js';
import type { Neighborhood } from '../db/schema.js';
import { first, type Store } from '../db/store.js';
import { SLUG_PATTERN, blank } from '../admin/forms.js';

const population = z.preprocess(
  blank,
  z.coerce
    .number({ error: 'Enter the population as a whole number, or leave it empty.' })
    .int('Enter the population as a whole number, or leave it empty.')
    .min(0, 'The population cannot be negative.')
    .max(100_000_000, 'That population is too large.')
    .optional(),
);
const name = z.string().trim().min(1, 'Enter the neighborhood’s name.').max(100, 'Use at most 100 characters for the name.');

export const neighborhoodEditBody = z.object({ name, population });
export const neighborhoodCreateBody = neighborhoodEditBody.extend({
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .max(60, 'Use at most 60 characters for the slug.')
    .regex(SLUG_PATTERN, 'Use lowercase letters, digits and single hyphens for the slug, e.g. old-town.'),
});

/** Neighborhoods as admins manage them; every change is audited in its own transaction. */
export function createNeighborhoodAdmin(store: Store) {
  const { tables } = store;
  const { neighborhoods } = tables;
  return {
    all: () => store.read((db) => db.select().from(neighborhoods).orderBy(asc(neighborhoods.name))),
    find: (id: number): Promise<Neighborhood | undefined> => store.read((db) => first(db.select().from(neighborhoods).where(eq(neighborhoods.id, id)))),
    slugTaken: (slug: string) =>
      store.read(async (db) => (await first(db.select({ id: neighborhoods.id }).from(neighborhoods).where(eq(neighborhoods.slug, slug)))) !== undefined),
    create(userId: number, values: z.infer<typeof neighborhoodCreateBody>): Promise<Neighborhood> {
      return store.transaction(async (tx) => {
        const [created] = await tx
          .insert(neighborhoods)
          .values({ slug: values.slug, name: values.name, population: values.population ?? null })
          .returning();
        await audit(tx, tables, { userId, action: 'neighborhood.create', entity: 'neighborhood', entityId: created.id, details: values });
        return created;
      });
    },
    update(userId: number, id: number, values: z.infer<typeof neighborhoodEditBody>): Promise<void> {
      return store.transaction(async (tx) => {
        await tx
          .update(neighborhoods)
          .set({ name: values.name, population: values.population ?? null })
          .where(eq(neighborhoods.id, id));
        // Without census margins, the population is what the neighborhood's weights add up to.
        await tx
          .update(tables.weightingRuns)
          .set({ version: sql`${tables.weightingRuns.version} + 1` })
          .where(eq(tables.weightingRuns.neighborhoodId, id));
        await audit(tx, tables, { userId, action: 'neighborhood.update', entity: 'neighborhood', entityId: id, details: values });
      });
    },
    setRetired(userId: number, id: number, retired: boolean): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(neighborhoods).set({ retired }).where(eq(neighborhoods.id, id));
        await audit(tx, tables, { userId, action: retired ? 'neighborhood.retire' : 'neighborhood.unretire', entity: 'neighborhood', entityId: id });
      });
    },
  };
}
