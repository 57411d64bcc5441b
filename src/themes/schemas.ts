import { z } from 'zod';
import { CODE_PATTERN, type FormErrors, formErrors } from '../admin/forms.js';
import type { SurveyTheme } from '../db/schema.js';
import { catalogs } from '../i18n/index.js';
import type { ThemeFields } from './queries.js';

const MAX_KEYWORDS = 60;
const MAX_KEYWORD_LENGTH = 80;
const languageName = (code: string) => catalogs[code]?.name ?? code;

/** Keywords typed one per line (or separated by commas), without blanks or repeats. */
const keywordList = (v: unknown) =>
  typeof v === 'string'
    ? [
        ...new Set(
          v
            .split(/[\n,;]+/)
            .map((k) => k.trim().replace(/\s+/g, ' '))
            .filter((k) => k !== ''),
        ),
      ]
    : [];

const code = z
  .string({ error: 'Give the theme a code.' })
  .trim()
  .min(1, 'Give the theme a code.')
  .max(40, 'Use at most 40 characters for the code.')
  .regex(CODE_PATTERN, 'Start the code with a lowercase letter, then letters, digits or _, e.g. drug_dealing.')
  .refine((c) => c !== 'other', '"other" counts the answers in no theme: choose another code.');
const label = (language: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v : ''),
    z
      .string()
      .trim()
      .min(1, `Write the theme's name in ${languageName(language)}.`)
      .max(100, 'Use at most 100 characters for the name.'),
  );
const keywords = z.preprocess(
  keywordList,
  z
    .array(
      z
        .string()
        .max(MAX_KEYWORD_LENGTH, `Keep each keyword to ${MAX_KEYWORD_LENGTH} characters.`)
        .regex(/[\p{L}\p{N}]/u, 'Each keyword needs a letter or a digit.'),
    )
    .max(MAX_KEYWORDS, `Use at most ${MAX_KEYWORDS} keywords per language.`),
);

/** The theme form for a survey's languages: a code, a name in each language, keywords per language (at least one in all). */
function themeBody(languages: readonly string[]) {
  return z.object({
    code,
    label: z.object(Object.fromEntries(languages.map((l) => [l, label(l)]))),
    keywords: z.object(Object.fromEntries(languages.map((l) => [l, keywords]))),
  });
}

/** Parses the theme form (`code`, `label_<lang>`, `keywords_<lang>`) into a theme's fields, with errors by form field. */
export function parseTheme(body: Record<string, unknown>, languages: readonly string[]): { ok: true; fields: ThemeFields } | { ok: false; errors: FormErrors } {
  const parsed = themeBody(languages).safeParse({
    code: body.code,
    label: Object.fromEntries(languages.map((l) => [l, body[`label_${l}`]])),
    keywords: Object.fromEntries(languages.map((l) => [l, body[`keywords_${l}`]])),
  });
  const errors: [string, string][] = parsed.success
    ? []
    : parsed.error.issues.map((i) => [i.path.length > 1 ? `${String(i.path[0])}_${String(i.path[1])}` : String(i.path[0]), i.message]);
  if (languages.every((l) => keywordList(body[`keywords_${l}`]).length === 0))
    errors.push([`keywords_${languages[0]}`, 'Give at least one keyword or phrase.']);
  if (!parsed.success || errors.length > 0) return { ok: false, errors: formErrors(errors) };
  return { ok: true, fields: parsed.data };
}

/** The theme form's values for an existing theme (the same shape the form posts). */
export function themeFormValues(theme: SurveyTheme): Record<string, string> {
  const values: Record<string, string> = { code: theme.code };
  for (const [l, v] of Object.entries(theme.label)) values[`label_${l}`] = v;
  for (const [l, v] of Object.entries(theme.keywords)) values[`keywords_${l}`] = v.join('\n');
  return values;
}

export const tryQuery = z.object({ answer: z.string().trim().max(1000).optional().catch(undefined) });
