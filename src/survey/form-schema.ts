import { z } from 'zod';
import type { Neighborhood, Question } from '../db/schema.js';
import type { MessageKey } from '../i18n/en.js';
import type { AnswerValue } from './response-recorder.js';

export const DONT_KNOW = 'dk';
export const HONEYPOT_FIELD = 'website';
export const MAX_TEXT_LENGTH = 1000;
export const fieldName = (q: Pick<Question, 'code'>) => `q_${q.code}`;

/** Scale points a question accepts: 0..10, or 1..5 for the 5-point agreement scale. */
export function scalePoints(q: Pick<Question, 'scale'>): number[] {
  return q.scale === 'agree5' ? [1, 2, 3, 4, 5] : Array.from({ length: 11 }, (_, i) => i);
}

// Empty strings from untouched inputs count as no answer.
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const msg = (key: MessageKey) => ({ error: key });

function answerSchema(q: Question) {
  const invalid: MessageKey = q.kind === 'choice' ? 'errors.invalidChoice' : 'errors.invalid';
  // A missing answer is "required" only when the question is; anything else unreadable is "invalid".
  const text = z.string({ error: (issue) => (issue.input === undefined ? 'errors.required' : invalid) });
  let schema: z.ZodType<string>;
  if (q.kind === 'scale') {
    const allowed = [...scalePoints(q).map(String), ...(q.allowDontKnow ? [DONT_KNOW] : [])];
    schema = text.refine((v) => allowed.includes(v), msg(invalid));
  } else if (q.kind === 'choice') {
    const allowed = (q.options ?? []).map((o) => o.value);
    schema = text.refine((v) => allowed.includes(v), msg(invalid));
  } else {
    schema = text.max(MAX_TEXT_LENGTH, msg('errors.tooLong'));
  }
  return z.preprocess(blankToUndefined, q.required ? schema : schema.optional());
}

/** The zod schema for one survey's form: its own questions, and a neighborhood among the active ones. */
export function surveyFormSchema(questions: readonly Question[], neighborhoods: readonly Neighborhood[]) {
  const slugs = new Set(neighborhoods.map((n) => n.slug));
  return z.object({
    neighborhood: z.preprocess(
      blankToUndefined,
      z.string(msg('errors.neighborhood')).refine((v) => slugs.has(v), msg('errors.neighborhood')),
    ),
    ...Object.fromEntries(questions.map((q) => [fieldName(q), answerSchema(q)])),
  });
}

export type SurveyForm = z.infer<ReturnType<typeof surveyFormSchema>>;

/** Answers to store: one per answered question; "don't know" and skipped questions are stored as no value. */
export function answersFromForm(form: Record<string, unknown>, questions: readonly Question[]): AnswerValue[] {
  return questions.flatMap((q): AnswerValue[] => {
    const raw = form[fieldName(q)];
    if (typeof raw !== 'string' || raw === DONT_KNOW) return [];
    if (q.kind === 'scale') return [{ questionId: q.id, valueNumber: Number(raw), valueText: null }];
    const text = q.kind === 'text' ? raw.trim() : raw;
    return text === '' ? [] : [{ questionId: q.id, valueNumber: null, valueText: text }];
  });
}

/** Field name → message key for the first problem with each field. */
export function fieldErrors(error: z.ZodError): Map<string, MessageKey> {
  const errors = new Map<string, MessageKey>();
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? '');
    if (!errors.has(field)) errors.set(field, issue.message as MessageKey);
  }
  return errors;
}
