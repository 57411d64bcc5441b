import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { StaffRole } from '../db/schema.js';

/** Only a logged-in staff member with one of these roles passes; others get the login page (or 401/403). */
export function requireRole(...roles: StaffRole[]): preHandlerAsyncHookHandler {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    const isApi = request.url.startsWith('/api/');
    if (!request.staffUser) {
      if (isApi || request.method !== 'GET') {
        return reply.code(401).send({ error: 'Unauthorized', message: 'Log in as staff to use this.' });
      }
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    }
    if (!roles.includes(request.staffUser.role)) {
      if (isApi) return reply.code(403).send({ error: 'Forbidden', message: 'Your role does not allow this.' });
      return reply.code(403).view('errors/error', { title: 'Not allowed', message: 'Your staff role does not allow this page.' });
    }
  };
}
