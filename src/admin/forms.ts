import type { z } from 'zod';

export interface FormErrors {
  /** Field name → message, for the message beside each field. */
  errors: Record<string, string>;
  /** The error summary: each message linked to its field (`#field-<name>`). */
  errorList: { href: string; message: string }[];
  hasErrors: boolean;
}

/** Error data for a form view from field → message pairs (first message per field wins). */
export function formErrors(messages: Record<string, string> | [string, string][]): FormErrors {
  const errors: Record<string, string> = {};
  for (const [field, message] of Array.isArray(messages) ? messages : Object.entries(messages)) errors[field] ??= message;
  const errorList = Object.entries(errors).map(([field, message]) => ({ href: `#field-${field}`, message }));
  return { errors, errorList, hasErrors: errorList.length > 0 };
}

export const zodFormErrors = (error: z.ZodError) => formErrors(error.issues.map((i): [string, string] => [String(i.path[0] ?? 'form'), i.message]));

export const noErrors: FormErrors = { errors: {}, errorList: [], hasErrors: false };

/** Values to show again in a re-rendered form: only strings (or lists of strings) as they were typed. */
export function keptValues(body: unknown): Record<string, string | string[]> {
  if (!body || typeof body !== 'object') return {};
  return Object.fromEntries(
    Object.entries(body).filter(([key, v]) => key !== '_csrf' && (typeof v === 'string' || (Array.isArray(v) && v.every((i) => typeof i === 'string')))),
  );
}

/** An empty input counts as not given. */
export const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/** HTML checkboxes send their value only when ticked. */
export const checkbox = (v: unknown) => v === 'on' || v === 'true' || v === '1';

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;
