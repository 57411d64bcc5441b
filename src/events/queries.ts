import { and, asc, count, desc, eq, gte, lte } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import { first, type Db, type Store } from '../db/store.js';
import type { EventInput } from './schemas.js';

/** Events and their audited changes; each change commits with its audit entry. */
export function createEventRepository(store: Store) {
  const { events, neighborhoods, responses } = store.tables;
  const listColumns = {
    id: events.id,
    title: events.title,
    occurredOn: events.occurredOn,
    kind: events.kind,
    isPublic: events.isPublic,
    neighborhoodId: events.neighborhoodId,
    neighborhoodSlug: neighborhoods.slug,
    neighborhoodName: neighborhoods.name,
  };
  const listed = (db: Db) => db.select(listColumns).from(events).leftJoin(neighborhoods, eq(neighborhoods.id, events.neighborhoodId));

  return {
    list: () => store.read((db) => listed(db).orderBy(desc(events.occurredOn), desc(events.id))),
    /** How many (non-voided) responses came in through the event's QR codes and kiosks, per channel. */
    responsesBroughtIn: (id: number) =>
      store.read((db) =>
        db
          .select({ channel: responses.channel, n: count() })
          .from(responses)
          .where(and(eq(responses.eventId, id), eq(responses.voided, false)))
          .groupBy(responses.channel),
      ),
    inRange: (from: string, to: string) =>
      store.read((db) =>
        listed(db)
          .where(and(gte(events.occurredOn, from), lte(events.occurredOn, to)))
          .orderBy(asc(events.occurredOn), asc(events.id)),
      ),
    find: (id: number) => store.read((db) => first(db.select().from(events).where(eq(events.id, id)).limit(1))),
    ofNeighborhood: (neighborhood: number) =>
      store.read((db) => db.select().from(events).where(eq(events.neighborhoodId, neighborhood)).orderBy(desc(events.occurredOn))),
    create: (input: EventInput, userId: number): Promise<number> =>
      store.transaction(async (tx) => {
        const [{ id }] = await tx.insert(events).values(input).returning({ id: events.id });
        await audit(tx, store.tables, { userId, action: 'event.create', entity: 'event', entityId: id, details: { ...input } });
        return id;
      }),
    update: (id: number, input: EventInput, userId: number): Promise<boolean> =>
      store.transaction(async (tx) => {
        const changed = (await tx.update(events).set(input).where(eq(events.id, id)).returning({ id: events.id })).length > 0;
        if (changed) await audit(tx, store.tables, { userId, action: 'event.update', entity: 'event', entityId: id, details: { ...input } });
        return changed;
      }),
    remove: (id: number, userId: number): Promise<boolean> =>
      store.transaction(async (tx) => {
        const [removed] = await tx.delete(events).where(eq(events.id, id)).returning({ title: events.title, occurredOn: events.occurredOn });
        if (removed) await audit(tx, store.tables, { userId, action: 'event.delete', entity: 'event', entityId: id, details: removed });
        return removed !== undefined;
      }),
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;
