import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

// Forms filled in before anyone is logged in (log in, first admin, password link) need CSRF protection without a
// stored session, so anonymous visits write nothing: a random token in the form and the same token in a cookie
// signed with its own key (signed double submit).
const FORM_COOKIE = 'cg_form';

/** A fresh token for a pre-login form; its signed twin goes out as a cookie. */
export function issueFormToken(app: FastifyInstance, reply: FastifyReply): string {
  const token = randomBytes(24).toString('base64url');
  reply.setCookie(FORM_COOKIE, app.signers['pre-login-form'].sign(token), {
    httpOnly: true,
    sameSite: 'strict',
    secure: app.config.PUBLIC_URL.startsWith('https:'),
    path: '/',
    maxAge: 2 * 60 * 60,
  });
  return token;
}

/** preHandler: the form's token matches its signed cookie, or (for a logged-in session) the session's CSRF token. */
export function checkFormToken(app: FastifyInstance) {
  return function formToken(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const sent = (request.body as Record<string, unknown> | undefined)?._csrf;
    const cookie = app.signers['pre-login-form'].unsign(request.cookies[FORM_COOKIE] ?? '');
    const matches =
      typeof sent === 'string' &&
      cookie.valid &&
      cookie.value !== null &&
      sent.length === cookie.value.length &&
      timingSafeEqual(Buffer.from(sent), Buffer.from(cookie.value));
    if (matches) return done();
    return app.csrfProtection.call(this, request, reply, done);
  };
}
