import { and, asc, count, eq, gt, lt, desc, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { DatabaseHandle } from '../db/sqlite/client.js';
import { answers, type LocalizedText, questions, responses, surveys, themes, type Question } from '../db/schema.js';
import { insertThemes } from '../themes/queries.js';
import type { QuestionFields } from './rules.js';

export interface SurveyDetails {
  languages: string[];
  title: LocalizedText;
  intro: LocalizedText;
}

/** Surveys and questions as admins edit them; every change in one transaction with its audit entry. */
export function createSurveyEditor({ db }: DatabaseHandle) {
  type Tx = Parameters<Parameters<typeof db.transaction>[0]>[0];
  const responseCount = db
    .select({ n: count() })
    .from(responses)
    .where(eq(responses.surveyId, sql.placeholder('surveyId')))
    .prepare();
  const questionsOf = (tx: Pick<Tx, 'select'>, surveyId: number) =>
    tx.select().from(questions).where(eq(questions.surveyId, surveyId)).orderBy(asc(questions.position)).all();

  return {
    list: () =>
      db
        // Drizzle prints a bare "id" for ${surveys.id}, which inside the subquery would mean r.id: name the outer table.
        .select({ survey: surveys, responses: sql<number>`(SELECT count(*) FROM responses r WHERE r.survey_id = "surveys"."id" AND r.voided = 0)` })
        .from(surveys)
        .orderBy(desc(surveys.id))
        .all(),
    find: (id: number) => db.select().from(surveys).where(eq(surveys.id, id)).get(),
    slugTaken: (slug: string) => db.select({ id: surveys.id }).from(surveys).where(eq(surveys.slug, slug)).get() !== undefined,
    questions: (surveyId: number) => questionsOf(db, surveyId),
    /** Every response, voided or not: a voided one can be restored, so it still pins the questions. */
    responseCount: (surveyId: number) => responseCount.get({ surveyId })!.n,
    answerCount: (questionId: number) => db.select({ n: count() }).from(answers).where(eq(answers.questionId, questionId)).get()!.n,
    optionValuesInUse: (questionId: number) =>
      db
        .selectDistinct({ value: answers.valueText })
        .from(answers)
        .where(eq(answers.questionId, questionId))
        .all()
        .flatMap((a) => (a.value === null ? [] : [a.value])),

    create(userId: number, slug: string, details: SurveyDetails) {
      return db.transaction((tx) => {
        const created = tx
          .insert(surveys)
          .values({ slug, ...details, status: 'draft' })
          .returning()
          .get();
        recordAudit(tx, { userId, action: 'survey.create', entity: 'survey', entityId: created.id, details: { slug } });
        return created;
      });
    },
    update(userId: number, surveyId: number, details: SurveyDetails) {
      db.transaction((tx) => {
        tx.update(surveys).set(details).where(eq(surveys.id, surveyId)).run();
        recordAudit(tx, { userId, action: 'survey.update', entity: 'survey', entityId: surveyId, details: { languages: details.languages } });
      });
    },
    setStatus(userId: number, surveyId: number, status: 'open' | 'closed') {
      db.transaction((tx) => {
        tx.update(surveys).set({ status }).where(eq(surveys.id, surveyId)).run();
        recordAudit(tx, { userId, action: status === 'open' ? 'survey.open' : 'survey.close', entity: 'survey', entityId: surveyId });
      });
    },
    /** Shows or hides the survey's aggregate results on the public transparency page. */
    setPublished(userId: number, surveyId: number, published: boolean) {
      db.transaction((tx) => {
        tx.update(surveys).set({ published }).where(eq(surveys.id, surveyId)).run();
        recordAudit(tx, { userId, action: published ? 'survey.publish' : 'survey.unpublish', entity: 'survey', entityId: surveyId });
      });
    },
    /** A draft copy with the same texts, questions and themes, and no responses. */
    duplicate(userId: number, surveyId: number, slug: string) {
      return db.transaction((tx) => {
        const source = tx.select().from(surveys).where(eq(surveys.id, surveyId)).get()!;
        const copy = tx
          .insert(surveys)
          .values({ slug, title: source.title, intro: source.intro, languages: source.languages, status: 'draft' })
          .returning()
          .get();
        const sourceQuestions = questionsOf(tx, surveyId);
        if (sourceQuestions.length > 0)
          tx.insert(questions)
            .values(sourceQuestions.map(({ id: _id, surveyId: _s, ...q }) => ({ ...q, surveyId: copy.id })))
            .run();
        insertThemes(tx, copy.id, tx.select().from(themes).where(eq(themes.surveyId, surveyId)).orderBy(asc(themes.position)).all());
        recordAudit(tx, { userId, action: 'survey.duplicate', entity: 'survey', entityId: copy.id, details: { from: source.slug, slug } });
        return copy;
      });
    },
    addQuestion(userId: number, surveyId: number, fields: QuestionFields) {
      return db.transaction((tx) => {
        const last = tx
          .select({ position: questions.position })
          .from(questions)
          .where(eq(questions.surveyId, surveyId))
          .orderBy(desc(questions.position))
          .limit(1)
          .get();
        const created = tx
          .insert(questions)
          .values({ ...fields, surveyId, position: (last?.position ?? 0) + 1 })
          .returning()
          .get();
        recordAudit(tx, { userId, action: 'question.create', entity: 'question', entityId: created.id, details: { survey: surveyId, code: fields.code } });
        return created;
      });
    },
    updateQuestion(userId: number, question: Question, fields: QuestionFields) {
      db.transaction((tx) => {
        tx.update(questions).set(fields).where(eq(questions.id, question.id)).run();
        recordAudit(tx, {
          userId,
          action: 'question.update',
          entity: 'question',
          entityId: question.id,
          details: { survey: question.surveyId, code: fields.code },
        });
      });
    },
    removeQuestion(userId: number, question: Question) {
      db.transaction((tx) => {
        tx.delete(questions).where(eq(questions.id, question.id)).run();
        recordAudit(tx, {
          userId,
          action: 'question.remove',
          entity: 'question',
          entityId: question.id,
          details: { survey: question.surveyId, code: question.code },
        });
      });
    },
    /** Swaps a question with its neighbour above or below; nothing happens at either end. */
    moveQuestion(userId: number, question: Question, direction: 'up' | 'down') {
      db.transaction((tx) => {
        const neighbour = tx
          .select()
          .from(questions)
          .where(
            and(
              eq(questions.surveyId, question.surveyId),
              direction === 'up' ? lt(questions.position, question.position) : gt(questions.position, question.position),
            ),
          )
          .orderBy(direction === 'up' ? desc(questions.position) : asc(questions.position))
          .limit(1)
          .get();
        if (!neighbour) return;
        tx.update(questions).set({ position: neighbour.position }).where(eq(questions.id, question.id)).run();
        tx.update(questions).set({ position: question.position }).where(eq(questions.id, neighbour.id)).run();
        recordAudit(tx, { userId, action: 'question.move', entity: 'question', entityId: question.id, details: { survey: question.surveyId, direction } });
      });
    },
  };
}

export type SurveyEditor = ReturnType<typeof createSurveyEditor>;
