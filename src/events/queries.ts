import { and, asc, count, desc, eq, gte, lte, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { events, neighborhoods, responses } from '../db/schema.js';
import type { EventInput } from './schemas.js';

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

/** Events and their audited changes; each change commits with its audit entry. */
export function createEventQueries({ db }: DatabaseHandle) {
  const list = db
    .select(listColumns)
    .from(events)
    .leftJoin(neighborhoods, eq(neighborhoods.id, events.neighborhoodId))
    .orderBy(desc(events.occurredOn), desc(events.id))
    .prepare();
  const inRange = db
    .select(listColumns)
    .from(events)
    .leftJoin(neighborhoods, eq(neighborhoods.id, events.neighborhoodId))
    .where(and(gte(events.occurredOn, sql.placeholder('from')), lte(events.occurredOn, sql.placeholder('to'))))
    .orderBy(asc(events.occurredOn), asc(events.id))
    .prepare();
  const byId = db
    .select()
    .from(events)
    .where(eq(events.id, sql.placeholder('id')))
    .prepare();
  const ofNeighborhood = db
    .select()
    .from(events)
    .where(eq(events.neighborhoodId, sql.placeholder('neighborhood')))
    .orderBy(desc(events.occurredOn))
    .prepare();

  const broughtIn = db
    .select({ channel: responses.channel, n: count() })
    .from(responses)
    .where(and(eq(responses.eventId, sql.placeholder('id')), eq(responses.voided, false)))
    .groupBy(responses.channel)
    .prepare();

  return {
    list: () => list.all(),
    /** How many (non-voided) responses came in through the event's QR codes and kiosks, per channel. */
    responsesBroughtIn: (id: number) => broughtIn.all({ id }),
    inRange: (from: string, to: string) => inRange.all({ from, to }),
    find: (id: number) => byId.get({ id }),
    ofNeighborhood: (neighborhood: number) => ofNeighborhood.all({ neighborhood }),
    create(input: EventInput, userId: number): number {
      return db.transaction((tx) => {
        const { id } = tx.insert(events).values(input).returning({ id: events.id }).get();
        recordAudit(tx, { userId, action: 'event.create', entity: 'event', entityId: id, details: { ...input } });
        return id;
      });
    },
    update(id: number, input: EventInput, userId: number): boolean {
      return db.transaction((tx) => {
        const changed = tx.update(events).set(input).where(eq(events.id, id)).run().changes > 0;
        if (changed) recordAudit(tx, { userId, action: 'event.update', entity: 'event', entityId: id, details: { ...input } });
        return changed;
      });
    },
    remove(id: number, userId: number): boolean {
      return db.transaction((tx) => {
        const removed = tx.delete(events).where(eq(events.id, id)).returning({ title: events.title, occurredOn: events.occurredOn }).get();
        if (removed) recordAudit(tx, { userId, action: 'event.delete', entity: 'event', entityId: id, details: removed });
        return removed !== undefined;
      });
    },
  };
}

export type EventQueries = ReturnType<typeof createEventQueries>;
