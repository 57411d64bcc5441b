import { z } from 'zod';
import { CODE_PATTERN, SLUG_PATTERN, blank, checkbox } from '../admin/forms.js';
import { type ChoiceOption, type LocalizedText, type Question, questionKinds, scaleTypes } from '../db/schema.js';
import { catalogs } from '../i18n/index.js';
import { TRUST_MEASURE } from '../stats/scoring.js';
import type { QuestionFields } from './rules.js';

/** Languages a survey can be offered in: those the resident pages are translated into. */
export const surveyLanguages = Object.keys(catalogs);
/** Blank option rows under the existing ones (no JavaScript: more rows come after saving). */
export const SPARE_OPTION_ROWS = 3;
const MAX_OPTION_ROWS = 40;

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' ? v : ''), z.string().trim().max(max, `Use at most ${max} characters.`));
const list = (v: unknown) => (v === undefined ? [] : [v].flat());

export const slugField = z
  .string()
  .trim()
  .toLowerCase()
  .max(60, 'Use at most 60 characters for the slug.')
  .regex(SLUG_PATTERN, 'Use lowercase letters, digits and single hyphens, e.g. trust-2027.');
export const duplicateBody = z.object({ slug: slugField });

/** Fields `<name>_<lang>` for every language, so values typed for any language survive a re-rendered form. */
function localizedFields(names: Record<string, number>) {
  return Object.fromEntries(Object.entries(names).flatMap(([name, max]) => surveyLanguages.map((l) => [`${name}_${l}`, text(max)])));
}

/** The texts written for the chosen languages; empty ones are left out (and reported before opening). */
export function localized(values: Record<string, unknown>, name: string, languages: readonly string[]): LocalizedText {
  return Object.fromEntries(
    languages.flatMap((l) => (typeof values[`${name}_${l}`] === 'string' && values[`${name}_${l}`] !== '' ? [[l, values[`${name}_${l}`] as string]] : [])),
  );
}

export const surveyDetailsBody = z.object({
  languages: z.preprocess(
    list,
    z.array(z.enum(surveyLanguages, { error: 'Choose languages from the list.' })).min(1, 'Offer the survey in at least one language.'),
  ),
  ...localizedFields({ title: 200, intro: 2000 }),
});
export const newSurveyBody = surveyDetailsBody.extend({ slug: slugField });

export const moveBody = z.object({ direction: z.enum(['up', 'down']) });

const questionBase = z.object({
  code: z
    .string()
    .trim()
    .max(40, 'Use at most 40 characters for the code.')
    .regex(CODE_PATTERN, 'Start the code with a lowercase letter, then letters, digits or _, e.g. trust_police.'),
  kind: z.enum(questionKinds, { error: 'Choose the kind of question.' }),
  scale: z.preprocess(blank, z.enum(scaleTypes, { error: 'Choose 0–10 or the 5-point agreement scale.' }).optional()),
  dimension: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .max(40, 'Use at most 40 characters.')
      .regex(CODE_PATTERN, 'Write the dimension like a code, e.g. respect.')
      .refine((d) => d !== TRUST_MEASURE, `"${TRUST_MEASURE}" is the trust score: tick "part of the trust score" instead.`)
      .optional(),
  ),
  required: z.preprocess(checkbox, z.boolean()),
  allow_dont_know: z.preprocess(checkbox, z.boolean()),
  reverse_scored: z.preprocess(checkbox, z.boolean()),
  in_trust_score: z.preprocess(checkbox, z.boolean()),
  option_rows: z.coerce.number().int().min(0).max(MAX_OPTION_ROWS).catch(0),
  ...localizedFields({ prompt: 500, min_label: 100, max_label: 100 }),
});

type QuestionBody = z.infer<typeof questionBase>;
const OPTION_VALUE = /^[a-z0-9][a-z0-9_]*$/;

/** Parses the question form into the question's fields, with errors by form field. */
export function parseQuestion(
  body: Record<string, unknown>,
  languages: readonly string[],
): { ok: true; fields: QuestionFields } | { ok: false; errors: [string, string][] } {
  const parsed = questionBase.safeParse(body);
  const errors: [string, string][] = parsed.success ? [] : parsed.error.issues.map((i) => [String(i.path[0]), i.message]);
  const rows = parsed.success ? parsed.data.option_rows : 0;
  const options: ChoiceOption[] = [];
  for (let i = 0; i < rows; i++) {
    const value = typeof body[`option_value_${i}`] === 'string' ? (body[`option_value_${i}`] as string).trim() : '';
    const label = Object.fromEntries(
      languages.flatMap((l) => {
        const v = body[`option_label_${i}_${l}`];
        return typeof v === 'string' && v.trim() !== '' ? [[l, v.trim().slice(0, 200)]] : [];
      }),
    );
    if (value === '' && Object.keys(label).length === 0) continue;
    if (!OPTION_VALUE.test(value) || value.length > 40)
      errors.push([`option_value_${i}`, `Option ${i + 1}: give it a value of lowercase letters, digits or _, e.g. prefer_not.`]);
    else if (options.some((o) => o.value === value)) errors.push([`option_value_${i}`, `Option ${i + 1}: the value "${value}" is used twice.`]);
    options.push({ value, label });
  }
  if (!parsed.success) return { ok: false, errors };
  const q: QuestionBody = parsed.data;
  const isScale = q.kind === 'scale';
  if (isScale && !q.scale) errors.push(['scale', 'Choose 0–10 or the 5-point agreement scale.']);
  if (q.kind === 'choice' && options.length < 2) errors.push(['option_value_0', 'A choice question needs at least two options.']);
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    fields: {
      code: q.code,
      kind: q.kind,
      prompt: localized(q, 'prompt', languages),
      required: q.required,
      scale: isScale ? q.scale! : null,
      minLabel: isScale ? localized(q, 'min_label', languages) : null,
      maxLabel: isScale ? localized(q, 'max_label', languages) : null,
      allowDontKnow: isScale && q.allow_dont_know,
      dimension: isScale ? (q.dimension ?? null) : null,
      reverseScored: isScale && q.reverse_scored,
      inTrustScore: isScale && q.in_trust_score,
      options: q.kind === 'choice' ? options : null,
    },
  };
}

/** The question form's values for an existing question (the same shape the form posts). */
export function questionFormValues(q: Question | undefined): Record<string, unknown> {
  if (!q) return { kind: 'scale', scale: '0-10', option_rows: String(SPARE_OPTION_ROWS) };
  const values: Record<string, unknown> = {
    code: q.code,
    kind: q.kind,
    scale: q.scale ?? '',
    dimension: q.dimension ?? '',
    required: q.required ? 'on' : undefined,
    allow_dont_know: q.allowDontKnow ? 'on' : undefined,
    reverse_scored: q.reverseScored ? 'on' : undefined,
    in_trust_score: q.inTrustScore ? 'on' : undefined,
    option_rows: String((q.options?.length ?? 0) + SPARE_OPTION_ROWS),
  };
  for (const [name, textValue] of [
    ['prompt', q.prompt],
    ['min_label', q.minLabel],
    ['max_label', q.maxLabel],
  ] as const) {
    for (const [l, v] of Object.entries(textValue ?? {})) values[`${name}_${l}`] = v;
  }
  (q.options ?? []).forEach((o, i) => {
    values[`option_value_${i}`] = o.value;
    for (const [l, v] of Object.entries(o.label)) values[`option_label_${i}_${l}`] = v;
  });
  return values;
}
