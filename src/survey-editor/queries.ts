import { and, asc, count, eq, gt, lt, desc, sql } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import type { LocalizedText, Question, Survey } from '../db/schema.js';
import { first, type Db, type Store } from '../db/store.js';
import { insertThemes } from '../themes/queries.js';
import type { QuestionFields } from './rules.js';

export interface SurveyDetails {
  languages: string[];
  title: LocalizedText;
  intro: LocalizedText;
}

/** Surveys and questions as admins edit them; every change in one transaction with its audit entry. */
export function createSurveyEditor(store: Store) {
  const { tables } = store;
  const { answers, questions, responses, surveys, themes } = tables;
  const questionsOf = (db: Db, surveyId: number) => db.select().from(questions).where(eq(questions.surveyId, surveyId)).orderBy(asc(questions.position));

  return {
    list: () =>
      store.read((db) =>
        db
          // Drizzle prints a bare "id" for ${surveys.id}, which inside the subquery would mean r.id: name the outer table.
          .select({
            survey: surveys,
            responses: sql<number>`(SELECT count(*) FROM responses r WHERE r.survey_id = "surveys"."id" AND NOT r.voided)`.mapWith(Number),
          })
          .from(surveys)
          .orderBy(desc(surveys.id)),
      ),
    find: (id: number): Promise<Survey | undefined> => store.read((db) => first(db.select().from(surveys).where(eq(surveys.id, id)))),
    slugTaken: (slug: string) =>
      store.read(async (db) => (await first(db.select({ id: surveys.id }).from(surveys).where(eq(surveys.slug, slug)))) !== undefined),
    questions: (surveyId: number): Promise<Question[]> => store.read((db) => questionsOf(db, surveyId)),
    /** Every response, voided or not: a voided one can be restored, so it still pins the questions. */
    responseCount: (surveyId: number) =>
      store.read(async (db) => (await db.select({ n: count() }).from(responses).where(eq(responses.surveyId, surveyId)))[0].n),
    answerCount: (questionId: number) =>
      store.read(async (db) => (await db.select({ n: count() }).from(answers).where(eq(answers.questionId, questionId)))[0].n),
    optionValuesInUse: (questionId: number) =>
      store.read(async (db) =>
        (await db.selectDistinct({ value: answers.valueText }).from(answers).where(eq(answers.questionId, questionId))).flatMap((a) =>
          a.value === null ? [] : [a.value],
        ),
      ),

    create(userId: number, slug: string, details: SurveyDetails): Promise<Survey> {
      return store.transaction(async (tx) => {
        const [created] = await tx
          .insert(surveys)
          .values({ slug, ...details, status: 'draft' })
          .returning();
        await audit(tx, tables, { userId, action: 'survey.create', entity: 'survey', entityId: created.id, details: { slug } });
        return created;
      });
    },
    update(userId: number, surveyId: number, details: SurveyDetails): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(surveys).set(details).where(eq(surveys.id, surveyId));
        await audit(tx, tables, { userId, action: 'survey.update', entity: 'survey', entityId: surveyId, details: { languages: details.languages } });
      });
    },
    setStatus(userId: number, surveyId: number, status: 'open' | 'closed'): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(surveys).set({ status }).where(eq(surveys.id, surveyId));
        await audit(tx, tables, { userId, action: status === 'open' ? 'survey.open' : 'survey.close', entity: 'survey', entityId: surveyId });
      });
    },
    /** Shows or hides the survey's aggregate results on the public transparency page. */
    setPublished(userId: number, surveyId: number, published: boolean): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(surveys).set({ published }).where(eq(surveys.id, surveyId));
        await audit(tx, tables, { userId, action: published ? 'survey.publish' : 'survey.unpublish', entity: 'survey', entityId: surveyId });
      });
    },
    /** A draft copy with the same texts, questions and themes, and no responses. */
    duplicate(userId: number, surveyId: number, slug: string): Promise<Survey> {
      return store.transaction(async (tx) => {
        const [source] = await tx.select().from(surveys).where(eq(surveys.id, surveyId));
        const [copy] = await tx
          .insert(surveys)
          .values({ slug, title: source.title, intro: source.intro, languages: source.languages, status: 'draft' })
          .returning();
        const sourceQuestions = await questionsOf(tx, surveyId);
        if (sourceQuestions.length > 0)
          await tx.insert(questions).values(sourceQuestions.map(({ id: _id, surveyId: _s, ...q }) => ({ ...q, surveyId: copy.id })));
        await insertThemes(tx, tables, copy.id, await tx.select().from(themes).where(eq(themes.surveyId, surveyId)).orderBy(asc(themes.position)));
        await audit(tx, tables, { userId, action: 'survey.duplicate', entity: 'survey', entityId: copy.id, details: { from: source.slug, slug } });
        return copy;
      });
    },
    addQuestion(userId: number, surveyId: number, fields: QuestionFields): Promise<Question> {
      return store.transaction(async (tx) => {
        const last = await first(
          tx.select({ position: questions.position }).from(questions).where(eq(questions.surveyId, surveyId)).orderBy(desc(questions.position)).limit(1),
        );
        const [created] = await tx
          .insert(questions)
          .values({ ...fields, surveyId, position: (last?.position ?? 0) + 1 })
          .returning();
        await audit(tx, tables, {
          userId,
          action: 'question.create',
          entity: 'question',
          entityId: created.id,
          details: { survey: surveyId, code: fields.code },
        });
        return created;
      });
    },
    updateQuestion(userId: number, question: Question, fields: QuestionFields): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(questions).set(fields).where(eq(questions.id, question.id));
        await audit(tx, tables, {
          userId,
          action: 'question.update',
          entity: 'question',
          entityId: question.id,
          details: { survey: question.surveyId, code: fields.code },
        });
      });
    },
    removeQuestion(userId: number, question: Question): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.delete(questions).where(eq(questions.id, question.id));
        await audit(tx, tables, {
          userId,
          action: 'question.remove',
          entity: 'question',
          entityId: question.id,
          details: { survey: question.surveyId, code: question.code },
        });
      });
    },
    /** Swaps a question with its neighbour above or below; nothing happens at either end. */
    moveQuestion(userId: number, question: Question, direction: 'up' | 'down'): Promise<void> {
      return store.transaction(async (tx) => {
        const neighbour = await first(
          tx
            .select()
            .from(questions)
            .where(
              and(
                eq(questions.surveyId, question.surveyId),
                direction === 'up' ? lt(questions.position, question.position) : gt(questions.position, question.position),
              ),
            )
            .orderBy(direction === 'up' ? desc(questions.position) : asc(questions.position))
            .limit(1),
        );
        if (!neighbour) return;
        await tx.update(questions).set({ position: neighbour.position }).where(eq(questions.id, question.id));
        await tx.update(questions).set({ position: question.position }).where(eq(questions.id, neighbour.id));
        await audit(tx, tables, {
          userId,
          action: 'question.move',
          entity: 'question',
          entityId: question.id,
          details: { survey: question.surveyId, direction },
        });
      });
    },
  };
}

export type SurveyEditor = ReturnType<typeof createSurveyEditor>;
