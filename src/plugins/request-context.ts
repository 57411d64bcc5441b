import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { catalogs, negotiateLanguage } from '../i18n/index.js';
import { SESSION_ABSOLUTE_MS } from './security.js';
import '../types.js';

export const LANGUAGE_COOKIE = 'lang';

// Staff pages are written in English only: they are marked so whatever language a visitor chose on resident pages.
const staffPaths = /^\/(results|events|admin|outreach|account|api|login|logout|setup|reset)(\/|\?|$)/;

/** The current page in each language, keeping its other query parameters. */
export function languageLinks(url: string, current: string) {
  const [path, search] = url.split('?');
  return Object.entries(catalogs).map(([code, { name }]) => {
    const params = new URLSearchParams(search);
    params.set('lang', code);
    return { code, name, href: `${path}?${params}`, current: code === current };
  });
}

/** Shows `message` once, on the next staff page (the one a redirect after a save, delete or change leads to). */
export function flash(request: FastifyRequest, message: string) {
  request.session.flash = message;
}

/** Renders this reply's page in `lang` (a survey may offer fewer languages than the interface). */
export function setPageLanguage(request: FastifyRequest, reply: FastifyReply, lang: string) {
  reply.locals = { ...reply.locals, lang, languageLinks: languageLinks(request.url, lang) };
}

/** Per request: the page language, and the logged-in staff member (sessions past their absolute lifetime end here). */
export const requestContextPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('staffUser', null);
  app.decorateRequest('lang', 'en');

  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const chosen = typeof query.lang === 'string' && query.lang in catalogs ? query.lang : undefined;
    const staffPage = staffPaths.test(request.url);
    if (staffPage) reply.locals = { ...reply.locals, staffPage };
    request.lang = staffPage
      ? 'en'
      : negotiateLanguage(Object.keys(catalogs), {
          query: chosen,
          cookie: request.cookies[LANGUAGE_COOKIE],
          acceptLanguage: request.headers['accept-language'],
        });
    // The language switch is a link with ?lang=; remembering the choice makes it stick on later pages.
    if (chosen && chosen !== request.cookies[LANGUAGE_COOKIE]) {
      reply.setCookie(LANGUAGE_COOKIE, chosen, {
        path: '/',
        sameSite: 'lax',
        httpOnly: true,
        maxAge: 365 * 24 * 3600,
        secure: app.config.PUBLIC_URL.startsWith('https:'),
      });
    }
    const { userId, loggedInAt } = request.session;
    if (userId === undefined) return;
    const user = await app.staff.findById(userId);
    if (!user || user.disabled || !loggedInAt || Date.now() - loggedInAt > SESSION_ABSOLUTE_MS) {
      await request.session.destroy();
      return;
    }
    request.staffUser = user;
    reply.locals = { ...reply.locals, staffUser: { email: user.email, role: user.role, isAdmin: user.role === 'admin' } };
  });

  app.addHook('preHandler', async (request, reply) => {
    setPageLanguage(request, reply, request.lang);
    // Staff pages carry a logout form, which needs a CSRF token like every state-changing staff form.
    if (request.staffUser) reply.locals.csrfToken = reply.generateCsrf();
    if (request.session?.flash !== undefined && request.method === 'GET' && !request.url.startsWith('/static/')) {
      reply.locals.flash = request.session.flash;
      request.session.flash = undefined;
    }
  });
});
