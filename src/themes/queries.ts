import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Db, DatabaseHandle } from '../db/sqlite/client.js';
import { themes, type NewSurveyTheme, type SurveyTheme } from '../db/schema.js';
import { standardThemes } from '../survey/standard-survey.js';

/** What an admin writes for a theme: its code, its name and its keywords per language. */
export type ThemeFields = Pick<NewSurveyTheme, 'code' | 'label' | 'keywords'>;

/** Appends themes to a survey's list, after any it has; pass the transaction's `tx`. */
export function insertThemes(tx: Pick<Db, 'select' | 'insert'>, surveyId: number, fields: readonly ThemeFields[]): SurveyTheme[] {
  if (fields.length === 0) return [];
  const last = tx.select({ position: themes.position }).from(themes).where(eq(themes.surveyId, surveyId)).orderBy(desc(themes.position)).limit(1).get();
  const start = (last?.position ?? 0) + 1;
  return tx
    .insert(themes)
    .values(fields.map((f, i) => ({ code: f.code, label: f.label, keywords: f.keywords, surveyId, position: start + i })))
    .returning()
    .all();
}

/** A survey's "number one issue" themes; every change in one transaction with its audit entry. */
export function createThemeRepository({ db }: DatabaseHandle) {
  const ofSurvey = db
    .select()
    .from(themes)
    .where(eq(themes.surveyId, sql.placeholder('surveyId')))
    .orderBy(asc(themes.position), asc(themes.id))
    .prepare();

  return {
    /** The survey's theme definitions in the admin's order, for counting answers into them. */
    definitions: (surveyId: number): SurveyTheme[] => ofSurvey.all({ surveyId }),
    find: (surveyId: number, id: number) =>
      db
        .select()
        .from(themes)
        .where(and(eq(themes.surveyId, surveyId), eq(themes.id, id)))
        .get(),
    create(userId: number, surveyId: number, fields: ThemeFields) {
      return db.transaction((tx) => {
        const [created] = insertThemes(tx, surveyId, [fields]);
        recordAudit(tx, { userId, action: 'theme.create', entity: 'theme', entityId: created.id, details: { survey: surveyId, code: fields.code } });
        return created;
      });
    },
    update(userId: number, theme: SurveyTheme, fields: ThemeFields) {
      db.transaction((tx) => {
        tx.update(themes).set({ code: fields.code, label: fields.label, keywords: fields.keywords }).where(eq(themes.id, theme.id)).run();
        recordAudit(tx, { userId, action: 'theme.update', entity: 'theme', entityId: theme.id, details: { survey: theme.surveyId, code: fields.code } });
      });
    },
    remove(userId: number, theme: SurveyTheme) {
      db.transaction((tx) => {
        tx.delete(themes).where(eq(themes.id, theme.id)).run();
        recordAudit(tx, { userId, action: 'theme.remove', entity: 'theme', entityId: theme.id, details: { survey: theme.surveyId, code: theme.code } });
      });
    },
    /** Adds the suggested themes whose codes the survey does not use yet; returns how many were added. */
    addSuggested(userId: number, surveyId: number): number {
      return db.transaction((tx) => {
        const taken = new Set(
          tx
            .select({ code: themes.code })
            .from(themes)
            .where(eq(themes.surveyId, surveyId))
            .all()
            .map((t) => t.code),
        );
        const added = insertThemes(
          tx,
          surveyId,
          standardThemes.filter((t) => !taken.has(t.code)),
        );
        if (added.length > 0)
          recordAudit(tx, { userId, action: 'theme.suggested', entity: 'survey', entityId: surveyId, details: { codes: added.map((t) => t.code) } });
        return added.length;
      });
    },
  };
}

export type ThemeRepository = ReturnType<typeof createThemeRepository>;
