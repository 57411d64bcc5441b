import { asc, eq, inArray } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { neighborhoods, questions, surveys } from '../db/schema.js';
import type { ExportFilters } from './options.js';
import type { ExportRequest } from './stream.js';

export type Resolved = { ok: true; request: ExportRequest } | { ok: false; errors: Record<string, string> };

/** Turns the filters' slugs into the survey, its questions and neighborhood ids; unknown slugs are field errors. */
export function resolveExport({ db }: DatabaseHandle, filters: ExportFilters): Resolved {
  const survey = db.select().from(surveys).where(eq(surveys.slug, filters.survey)).get();
  if (!survey) return { ok: false, errors: { survey: `There is no survey "${filters.survey}".` } };
  const slugs = [...new Set(filters.neighborhood)];
  const found = slugs.length === 0 ? [] : db.select().from(neighborhoods).where(inArray(neighborhoods.slug, slugs)).all();
  if (found.length !== slugs.length) {
    const unknown = slugs.filter((s) => !found.some((n) => n.slug === s));
    return { ok: false, errors: { neighborhood: `Unknown neighborhood: ${unknown.join(', ')}.` } };
  }
  return {
    ok: true,
    request: {
      survey,
      questions: db.select().from(questions).where(eq(questions.surveyId, survey.id)).orderBy(asc(questions.position)).all(),
      from: filters.from,
      to: filters.to,
      neighborhoodIds: found.map((n) => n.id),
      channel: filters.channel,
      format: filters.format,
      bom: filters.bom,
    },
  };
}
