import { asc, eq } from 'drizzle-orm';
import { dateIn } from '../dates.js';
import type { Neighborhood, Question, Survey } from '../db/schema.js';
import { first, type Db, type Store } from '../db/store.js';
import { createQuarantineGuard } from './quarantine.js';
import { createResponseRecorder, createResponseVoider, type NewResponse, type Recorded, type RecordResponses } from './response-recorder.js';
import { claimReceipt } from '../kiosk/receipts.js';
import { spendCode } from '../mailings/queries.js';
import { insertThemes } from '../themes/queries.js';
import { standardSurvey, standardThemes } from './standard-survey.js';

export interface SurveyWithQuestions {
  survey: Survey;
  questions: Question[];
}

/** Records responses inside the transaction it was handed to; `hiddenAs` writes them voided, out of the rollups. */
export type RecordInTransaction = (responses: readonly NewResponse[], options?: { hiddenAs?: string }) => Promise<Recorded>;

/** Survey data for residents: surveys, their questions, the neighborhoods they can pick, and storing answers (in `timeZone`'s days). */
export function createSurveyRepository(store: Store, timeZone: string) {
  const { events, neighborhoods, questions, surveys } = store.tables;
  // Recorders hold the survey's measures; rebuilt when what scoring depends on changes.
  const recorders = new Map<number, { key: string; record: RecordResponses }>();
  const quarantine = createQuarantineGuard(store, createResponseVoider(store, timeZone));

  function recorderFor(surveyId: number, surveyQuestions: readonly Question[]): RecordResponses {
    const key = surveyQuestions.map((q) => [q.id, q.kind, q.scale, q.dimension, q.reverseScored, q.inTrustScore].join(':')).join('|');
    const cached = recorders.get(surveyId);
    if (cached?.key === key) return cached.record;
    const record = createResponseRecorder(store, surveyQuestions, timeZone);
    recorders.set(surveyId, { key, record });
    return record;
  }

  const settings = <T>(key: string, read: (db: Db) => Promise<T>) => store.cached('settings', `surveys.${key}`, () => store.read(read));

  return {
    /** The survey and its questions (shared, read-only objects). */
    findWithQuestions: (slug: string): Promise<Readonly<SurveyWithQuestions> | undefined> =>
      settings(`bySlug:${slug}`, async (db) => {
        const survey = await first(db.select().from(surveys).where(eq(surveys.slug, slug)).limit(1));
        return survey && { survey, questions: await db.select().from(questions).where(eq(questions.surveyId, survey.id)).orderBy(asc(questions.position)) };
      }),
    openSurveys: (): Promise<readonly Survey[]> =>
      settings('open', (db) => db.select().from(surveys).where(eq(surveys.status, 'open')).orderBy(asc(surveys.id))),
    publishedSurveys: (): Promise<readonly Survey[]> =>
      settings('published', (db) => db.select().from(surveys).where(eq(surveys.published, true)).orderBy(asc(surveys.id))),
    /** Neighborhoods residents can pick (a shared, read-only list). */
    activeNeighborhoods: (): Promise<readonly Neighborhood[]> =>
      settings('activeNeighborhoods', (db) => db.select().from(neighborhoods).where(eq(neighborhoods.retired, false)).orderBy(asc(neighborhoods.name))),
    eventExists: (id: number) =>
      store.read(async (db) => (await first(db.select({ id: events.id }).from(events).where(eq(events.id, id)).limit(1))) !== undefined),
    /**
     * Runs `write` inside one transaction, handing it the survey's recorder for that transaction (so a whole import
     * chunk commits or none of it) and the transaction itself for its other writes.
     */
    recordInTransaction<T>(surveyId: number, surveyQuestions: readonly Question[], write: (record: RecordInTransaction, tx: Db) => Promise<T>): Promise<T> {
      const record = recorderFor(surveyId, surveyQuestions);
      return store.transaction((tx) => write((responses, options) => record(tx, responses, options), tx), { invalidates: ['figures'] });
    },
    /**
     * Stores one response (sharing a commit with concurrent ones), held for review when it is part of a burst;
     * resolves with its id once the commit is durable. With a kiosk answer's random id, the answer is stored once
     * however often it arrives: a replay resolves with null. With an invitation code's hash, the code is spent in the
     * same transaction: a code already spent stores nothing and resolves with null.
     */
    submit(response: NewResponse, surveyQuestions: readonly Question[], once: { answerId?: string; invitation?: string } = {}): Promise<number | null> {
      const record = recorderFor(response.surveyId, surveyQuestions);
      return store.submit(
        async (tx) => {
          if (once.answerId !== undefined && !(await claimReceipt(tx, store, once.answerId, response.submittedOn))) return null;
          if (once.invitation !== undefined && !(await spendCode(tx, store, once.invitation))) return null;
          const {
            ids: [id],
            rollups,
          } = await record(tx, [response], { rollupsLater: true });
          // The month's rollup rows, which every submission of the month updates, stay locked from their upsert to the
          // commit: written last, so that concurrent submissions (on PostgreSQL) wait for each other as little as possible.
          if (!(await quarantine(tx, id, response, surveyQuestions))) await rollups.addTo(tx, store, dateIn(timeZone));
          return id;
        },
        { survey: response.surveyId, from: response.submittedOn, to: response.submittedOn },
      );
    },
    /** Creates the standard Community Trust Survey (open, with its suggested themes) when the database has no survey yet. */
    ensureStandardSurvey: () =>
      store.transaction(async (tx) => {
        if (await first(tx.select({ id: surveys.id }).from(surveys).limit(1))) return;
        const { questions: definitions, ...fields } = standardSurvey;
        // Servers started together (behind a load balancer) may both get here: the one that loses the race stops.
        const created = await first(
          tx
            .insert(surveys)
            .values({ ...fields, status: 'open' })
            .onConflictDoNothing({ target: surveys.slug })
            .returning({ id: surveys.id }),
        );
        if (!created) return;
        await tx.insert(questions).values(definitions.map((q, i) => ({ ...q, surveyId: created.id, position: i + 1 })));
        await insertThemes(tx, store.tables, created.id, standardThemes);
      }),
  };
}

export type SurveyRepository = ReturnType<typeof createSurveyRepository>;
