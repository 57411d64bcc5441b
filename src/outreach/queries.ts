import { and, asc, desc, eq, ne } from 'drizzle-orm';
import { first, type Store } from '../db/store.js';
import { localize } from '../i18n/index.js';
import type { LinkTarget } from './links.js';

export function createOutreachRepository(store: Store) {
  const { events, neighborhoods, surveys } = store.tables;
  return {
    /** What staff can make links for: surveys that are not drafts, active neighborhoods, events newest first. */
    choices: () =>
      store.read(async (db) => ({
        surveys: (await db.select().from(surveys).where(ne(surveys.status, 'draft')).orderBy(asc(surveys.id))).map((s) => ({
          slug: s.slug,
          title: localize(s.title, 'en'),
          status: s.status,
        })),
        neighborhoods: await db.select().from(neighborhoods).where(eq(neighborhoods.retired, false)).orderBy(asc(neighborhoods.name)),
        events: await db.select().from(events).orderBy(desc(events.occurredOn)).limit(200),
      })),
    /** Display names of a link's survey, neighborhood and event (undefined where one does not exist). */
    describe: (target: LinkTarget) =>
      store.read(async (db) => {
        const survey = await first(db.select().from(surveys).where(eq(surveys.slug, target.survey)).limit(1));
        const neighborhood = await first(
          db
            .select()
            .from(neighborhoods)
            .where(and(eq(neighborhoods.slug, target.neighborhood), eq(neighborhoods.retired, false)))
            .limit(1),
        );
        const event = target.event ? await first(db.select().from(events).where(eq(events.id, target.event)).limit(1)) : undefined;
        return {
          ids: survey && neighborhood ? { surveyId: survey.id, neighborhoodId: neighborhood.id, eventId: event?.id ?? null } : undefined,
          survey: survey ? localize(survey.title, 'en') : undefined,
          surveyTitles: survey ? { en: localize(survey.title, 'en'), es: localize(survey.title, 'es') } : undefined,
          neighborhood: neighborhood?.name,
          event: event ? localize(event.title, 'en') : undefined,
        };
      }),
  };
}
