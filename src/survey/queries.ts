import { asc, eq, sql } from 'drizzle-orm';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { events, neighborhoods, questions, surveys, themes, type Neighborhood, type Question, type Survey } from '../db/schema.js';
import { createReadCache } from '../db/read-cache.js';
import type { Store } from '../db/store.js';
import { createQuarantineGuard } from './quarantine.js';
import { createResponseRecorder, createResponseVoider, type NewResponse, type RecordResponse } from './response-recorder.js';
import { standardSurvey, standardThemes } from './standard-survey.js';

export interface SurveyWithQuestions {
  survey: Survey;
  questions: Question[];
}

/** Survey data for residents: surveys, their questions, the neighborhoods they can pick, and storing answers. */
export function createSurveyRepository(store: Store, { db, sqlite }: DatabaseHandle) {
  const findBySlug = db
    .select()
    .from(surveys)
    .where(eq(surveys.slug, sql.placeholder('slug')))
    .prepare();
  const questionsOf = db
    .select()
    .from(questions)
    .where(eq(questions.surveyId, sql.placeholder('surveyId')))
    .orderBy(asc(questions.position))
    .prepare();
  const activeNeighborhoods = db.select().from(neighborhoods).where(eq(neighborhoods.retired, false)).orderBy(asc(neighborhoods.name)).prepare();
  const openSurveys = db.select().from(surveys).where(eq(surveys.status, 'open')).orderBy(asc(surveys.id)).prepare();
  const publishedSurveys = db.select().from(surveys).where(eq(surveys.published, true)).orderBy(asc(surveys.id)).prepare();
  const eventById = db
    .select({ id: events.id })
    .from(events)
    .where(eq(events.id, sql.placeholder('id')))
    .prepare();
  // Transitional, until this repository reads through the store: cached until the database changes.
  const cached = createReadCache(sqlite);
  // Recorders hold prepared statements and the survey's measures; rebuilt when what scoring depends on changes.
  const recorders = new Map<number, { key: string; record: RecordResponse }>();
  const quarantine = createQuarantineGuard(sqlite, createResponseVoider(sqlite));

  function recorderFor(surveyId: number, surveyQuestions: Question[]): RecordResponse {
    const key = surveyQuestions.map((q) => [q.id, q.kind, q.scale, q.dimension, q.reverseScored, q.inTrustScore].join(':')).join('|');
    const cached = recorders.get(surveyId);
    if (cached?.key === key) return cached.record;
    const record = createResponseRecorder(sqlite, surveyQuestions);
    recorders.set(surveyId, { key, record });
    return record;
  }

  return {
    /** The survey and its questions (shared, read-only objects). */
    findWithQuestions(slug: string): Readonly<SurveyWithQuestions> | undefined {
      return cached(`survey:${slug}`, () => {
        const survey = findBySlug.get({ slug });
        return survey && { survey, questions: questionsOf.all({ surveyId: survey.id }) };
      });
    },
    openSurveys: () => openSurveys.all(),
    publishedSurveys: () => publishedSurveys.all(),
    /** Neighborhoods residents can pick (a shared, read-only list). */
    activeNeighborhoods: (): readonly Neighborhood[] => cached('neighborhoods', () => activeNeighborhoods.all()),
    eventExists: (id: number) => eventById.get({ id }) !== undefined,
    /** Runs `write` with the survey's recorder inside one transaction, so a whole import commits or none of it. */
    recordInTransaction<T>(surveyId: number, surveyQuestions: Question[], write: (record: RecordResponse) => T): T {
      const record = recorderFor(surveyId, surveyQuestions);
      return sqlite.transaction(() => write(record))();
    },
    /**
     * Stores one response (sharing a commit with concurrent ones), held for review when it is part of a burst;
     * resolves with its id once the commit is durable.
     */
    submit(response: NewResponse, surveyQuestions: Question[]): Promise<number> {
      const record = recorderFor(response.surveyId, surveyQuestions);
      return store.submit(() => {
        const id = record(response);
        quarantine(id, response, surveyQuestions);
        return Promise.resolve(id);
      });
    },
    /** Creates the standard Community Trust Survey (open, with its suggested themes) when the database has no survey yet. */
    ensureStandardSurvey: () => store.transaction(() => Promise.resolve(ensureStandardSurvey({ db }))),
  };
}

export type SurveyRepository = ReturnType<typeof createSurveyRepository>;

/** Creates the standard Community Trust Survey (open, with its suggested themes) when the database has no survey yet. */
export function ensureStandardSurvey({ db }: Pick<DatabaseHandle, 'db'>): void {
  db.transaction((tx) => {
    const existing = tx.select({ id: surveys.id }).from(surveys).limit(1).get();
    if (existing) return;
    const { questions: definitions, ...fields } = standardSurvey;
    const created = tx
      .insert(surveys)
      .values({ ...fields, status: 'open' })
      .returning({ id: surveys.id })
      .get();
    tx.insert(questions)
      .values(definitions.map((q, i) => ({ ...q, surveyId: created.id, position: i + 1 })))
      .run();
    // A new survey has no themes yet: they take positions from 1 (insertThemes is async, this is not yet).
    tx.insert(themes)
      .values(standardThemes.map((f, i) => ({ code: f.code, label: f.label, keywords: f.keywords, surveyId: created.id, position: i + 1 })))
      .run();
  });
}
