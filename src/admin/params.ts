import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** `:id` route parameters: a positive integer, anything else is an unknown record (404). */
export const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
export const childParams = idParams.extend({ childId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export function notFound(reply: FastifyReply) {
  return reply
    .code(404)
    .view('errors/error', { title: 'Not found', message: 'There is no such record. It may have been removed, or the link may be mistyped.' });
}

/** The staff member acting (routes using this run behind requireRole, so one is always logged in). */
export const actorId = (request: FastifyRequest) => request.staffUser!.id;

/** What `find` gives for the `:id` parameter (a record, or a promise of one), or undefined when the id is malformed. */
export function recordFrom<T>(params: unknown, find: (id: number) => T): T | undefined {
  const parsed = idParams.safeParse(params);
  return parsed.success ? find(parsed.data.id) : undefined;
}
