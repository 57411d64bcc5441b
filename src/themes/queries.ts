import { and, asc, desc, eq } from 'drizzle-orm';
import { audit } from '../audit/record.js';
import type { NewSurveyTheme, SurveyTheme } from '../db/schema.js';
import { first, type Db, type Store, type Tables } from '../db/store.js';
import { standardThemes } from '../survey/standard-survey.js';

/** What an admin writes for a theme: its code, its name and its keywords per language. */
export type ThemeFields = Pick<NewSurveyTheme, 'code' | 'label' | 'keywords'>;

/** Appends themes to a survey's list, after any it has; pass the transaction's `tx`. */
export async function insertThemes(tx: Db, { themes }: Pick<Tables, 'themes'>, surveyId: number, fields: readonly ThemeFields[]): Promise<SurveyTheme[]> {
  if (fields.length === 0) return [];
  const last = await first(tx.select({ position: themes.position }).from(themes).where(eq(themes.surveyId, surveyId)).orderBy(desc(themes.position)).limit(1));
  const start = (last?.position ?? 0) + 1;
  return tx
    .insert(themes)
    .values(fields.map((f, i) => ({ code: f.code, label: f.label, keywords: f.keywords, surveyId, position: start + i })))
    .returning();
}

/** A survey's "number one issue" themes; every change in one transaction with its audit entry. */
export function createThemeRepository(store: Store) {
  const { tables } = store;
  const { themes } = tables;

  return {
    /** The survey's theme definitions in the admin's order, for counting answers into them. */
    definitions: (surveyId: number): Promise<SurveyTheme[]> =>
      store.read((db) => db.select().from(themes).where(eq(themes.surveyId, surveyId)).orderBy(asc(themes.position), asc(themes.id))),
    find: (surveyId: number, id: number): Promise<SurveyTheme | undefined> =>
      store.read((db) =>
        first(
          db
            .select()
            .from(themes)
            .where(and(eq(themes.surveyId, surveyId), eq(themes.id, id))),
        ),
      ),
    create(userId: number, surveyId: number, fields: ThemeFields): Promise<SurveyTheme> {
      return store.transaction(async (tx) => {
        const [created] = await insertThemes(tx, tables, surveyId, [fields]);
        await audit(tx, tables, { userId, action: 'theme.create', entity: 'theme', entityId: created.id, details: { survey: surveyId, code: fields.code } });
        return created;
      });
    },
    update(userId: number, theme: SurveyTheme, fields: ThemeFields): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.update(themes).set({ code: fields.code, label: fields.label, keywords: fields.keywords }).where(eq(themes.id, theme.id));
        await audit(tx, tables, {
          userId,
          action: 'theme.update',
          entity: 'theme',
          entityId: theme.id,
          details: { survey: theme.surveyId, code: fields.code },
        });
      });
    },
    remove(userId: number, theme: SurveyTheme): Promise<void> {
      return store.transaction(async (tx) => {
        await tx.delete(themes).where(eq(themes.id, theme.id));
        await audit(tx, tables, { userId, action: 'theme.remove', entity: 'theme', entityId: theme.id, details: { survey: theme.surveyId, code: theme.code } });
      });
    },
    /** Adds the suggested themes whose codes the survey does not use yet; returns how many were added. */
    addSuggested(userId: number, surveyId: number): Promise<number> {
      return store.transaction(async (tx) => {
        const taken = new Set((await tx.select({ code: themes.code }).from(themes).where(eq(themes.surveyId, surveyId))).map((t) => t.code));
        const added = await insertThemes(
          tx,
          tables,
          surveyId,
          standardThemes.filter((t) => !taken.has(t.code)),
        );
        if (added.length > 0)
          await audit(tx, tables, { userId, action: 'theme.suggested', entity: 'survey', entityId: surveyId, details: { codes: added.map((t) => t.code) } });
        return added.length;
      });
    },
  };
}

export type ThemeRepository = ReturnType<typeof createThemeRepository>;
