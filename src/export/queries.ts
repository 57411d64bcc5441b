import { asc, eq, inArray } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import { first, NO_CACHED_DATA, type Store } from '../db/store.js';
import { auditedFilters, type ExportFilters } from './options.js';
import { exportCsvStream, type ExportRequest } from './stream.js';

export type Resolved = { ok: true; request: ExportRequest } | { ok: false; errors: Record<string, string> };

/** Answer exports: what the form offers, the filters checked against the database, the audit entry and the CSV. */
export function createExportRepository(store: Store) {
  const { neighborhoods, questions, surveys } = store.tables;
  return {
    /** Every survey and neighborhood, for the export form. */
    choices: () =>
      store.read(async (db) => ({
        surveys: await db.select().from(surveys).orderBy(asc(surveys.id)),
        neighborhoods: await db.select().from(neighborhoods).orderBy(asc(neighborhoods.name)),
      })),
    /** Turns the filters' slugs into the survey, its questions and neighborhood ids; unknown slugs are field errors. */
    resolve: (filters: ExportFilters) =>
      store.read(async (db): Promise<Resolved> => {
        const survey = await first(db.select().from(surveys).where(eq(surveys.slug, filters.survey)).limit(1));
        if (!survey) return { ok: false, errors: { survey: `There is no survey "${filters.survey}".` } };
        const slugs = [...new Set(filters.neighborhood)];
        const found = slugs.length === 0 ? [] : await db.select().from(neighborhoods).where(inArray(neighborhoods.slug, slugs));
        if (found.length !== slugs.length) {
          const unknown = slugs.filter((s) => !found.some((n) => n.slug === s));
          return { ok: false, errors: { neighborhood: `Unknown neighborhood: ${unknown.join(', ')}.` } };
        }
        return {
          ok: true,
          request: {
            survey,
            questions: await db.select().from(questions).where(eq(questions.surveyId, survey.id)).orderBy(asc(questions.position)),
            from: filters.from,
            to: filters.to,
            neighborhoodIds: found.map((n) => n.id),
            channel: filters.channel,
            format: filters.format,
            bom: filters.bom,
          },
        };
      }),
    /** Audits an export with its filters, never any answer (`userId` null and `via` for the command line). */
    recordExport: (userId: number | null, request: ExportRequest, filters: ExportFilters, via?: string) =>
      store.transaction(
        (tx) =>
          audit(tx, store.tables, {
            userId,
            action: `export.${filters.format}`,
            entity: 'survey',
            entityId: request.survey.id,
            details: { ...auditedFilters(filters), ...(via ? { via } : {}) },
          }),
        NO_CACHED_DATA,
      ),
    /** The export as a CSV byte stream, read without holding the app's connection. */
    csv: (request: ExportRequest) => exportCsvStream(store, request),
  };
}
