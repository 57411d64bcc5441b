import type { FastifyReply, FastifyRequest } from 'fastify';

/** The field a confirmation page adds; a POST without it shows that page instead of acting. */
export const CONFIRM_FIELD = 'confirmed';

export interface Confirmation {
  /** The question, e.g. "Delete the event “Cookout”?" */
  heading: string;
  /** What happens, and whether it can be undone. */
  detail: string;
  /** The button that acts, e.g. "Delete event". */
  button: string;
  /** Where "Cancel" goes back to. */
  cancel: string;
}

/**
 * Irreversible or public actions ask first, without JavaScript: a POST without `confirmed=yes` answers with a page
 * that repeats it (the same fields, plus the confirmation) or goes back. Returns that page, or undefined to go ahead.
 */
export function confirmFirst(request: FastifyRequest, reply: FastifyReply, confirmation: Confirmation) {
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
  if (body[CONFIRM_FIELD] === 'yes') return undefined;
  const fields = Object.entries(body)
    .filter(([name, value]) => name !== '_csrf' && name !== CONFIRM_FIELD && typeof value === 'string')
    .map(([name, value]) => ({ name, value }));
  return reply.view('admin/confirm', { title: confirmation.heading, ...confirmation, action: request.url, fields, csrfToken: reply.generateCsrf() });
}
