import { and, asc, desc, eq, ne } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { events, neighborhoods, surveys } from '../db/schema.js';
import { localize } from '../i18n/index.js';
import type { LinkTarget } from './links.js';

export function createOutreachQueries({ db }: DatabaseHandle) {
  return {
    /** What staff can make links for: surveys that are not drafts, active neighborhoods, events newest first. */
    choices() {
      return {
        surveys: db
          .select()
          .from(surveys)
          .where(ne(surveys.status, 'draft'))
          .orderBy(asc(surveys.id))
          .all()
          .map((s) => ({ slug: s.slug, title: localize(s.title, 'en'), status: s.status })),
        neighborhoods: db.select().from(neighborhoods).where(eq(neighborhoods.retired, false)).orderBy(asc(neighborhoods.name)).all(),
        events: db.select().from(events).orderBy(desc(events.occurredOn)).limit(200).all(),
      };
    },
    /** Display names of a link's survey, neighborhood and event (undefined where one does not exist). */
    describe(target: LinkTarget) {
      const survey = db.select().from(surveys).where(eq(surveys.slug, target.survey)).get();
      const neighborhood = db
        .select()
        .from(neighborhoods)
        .where(and(eq(neighborhoods.slug, target.neighborhood), eq(neighborhoods.retired, false)))
        .get();
      const event = target.event ? db.select().from(events).where(eq(events.id, target.event)).get() : undefined;
      return {
        ids: survey && neighborhood ? { surveyId: survey.id, neighborhoodId: neighborhood.id, eventId: event?.id ?? null } : undefined,
        survey: survey ? localize(survey.title, 'en') : undefined,
        surveyTitles: survey ? { en: localize(survey.title, 'en'), es: localize(survey.title, 'es') } : undefined,
        neighborhood: neighborhood?.name,
        event: event ? localize(event.title, 'en') : undefined,
      };
    },
  };
}
