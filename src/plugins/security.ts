import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySession from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { createLoginThrottle } from '../auth/login-throttle.js';
import { DatabaseSessionStore } from '../auth/session-store.js';
import { translate } from '../i18n/index.js';
import { getSessionSecret, purposeKey, purposeSigners } from './session-secret.js';

export const SESSION_IDLE_MS = 2 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60 * 1000;

/** Security headers, cookies, server-side sessions, CSRF tokens and rate limiting, all from @fastify plugins. */
export const securityPlugin = fp(async (app: FastifyInstance) => {
  const secure = app.config.PUBLIC_URL.startsWith('https:');
  const secret = await getSessionSecret(app.store, app.config.SESSION_SECRET);

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: secure ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    // Applied below: helmet rebuilds its middleware (parsing every directive) on each request otherwise.
    global: false,
  });
  // Every route gets the same headers: helmet computes them on the first request, later responses copy them.
  let helmetHeaders: [string, string | number | string[]][] | null = null;
  app.addHook('onRequest', (_request, reply, done) => {
    if (!helmetHeaders) {
      const before = new Set(reply.raw.getHeaderNames());
      reply.helmet();
      helmetHeaders = Object.entries(reply.raw.getHeaders()).filter(
        (entry): entry is [string, string | number | string[]] => !before.has(entry[0]) && entry[1] !== undefined,
      );
    } else {
      for (const [name, value] of helmetHeaders) reply.raw.setHeader(name, value);
    }
    done();
  });

  await app.register(fastifyCookie, { secret });
  app.decorate('signers', purposeSigners(secret));
  app.decorate('loginThrottle', createLoginThrottle(app.store, purposeKey(secret, 'login-throttle')));
  const store = new DatabaseSessionStore(app.store, SESSION_IDLE_MS);
  await app.register(fastifySession, {
    secret,
    cookieName: 'cg_session',
    store,
    saveUninitialized: false,
    // Rolling cookie: the session ends after SESSION_IDLE_MS without a request.
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_IDLE_MS },
  });
  const purge = setInterval(
    () => {
      store.purgeExpired().catch((err: unknown) => app.log.warn({ err }, 'expired sessions could not be purged; the next hour tries again'));
    },
    60 * 60 * 1000,
  );
  purge.unref();
  app.addHook('onClose', async () => clearInterval(purge));

  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/session',
    // Data exports are GET downloads, so their token travels in the query string (ASVS 3.5.1: CSRF on exports too);
    // a POST's token must be in its body or a header, never in a URL that proxies and histories keep.
    getToken: (request) => {
      const fromBody = (request.body as Record<string, unknown> | undefined)?._csrf;
      const fromQuery = request.method === 'GET' ? (request.query as Record<string, unknown> | undefined)?._csrf : undefined;
      const header = request.headers['csrf-token'];
      return [fromBody, fromQuery, header].find((v): v is string => typeof v === 'string') ?? '';
    },
  });
  // Limits are per route (login, submission) and count per app server; addresses are kept in memory only, never written anywhere.
  await app.register(fastifyRateLimit, { global: false });
});

/**
 * Refuses a form posted from another site (403 with a page saying so): Sec-Fetch-Site when the browser sends it, else
 * Origin against PUBLIC_URL or the request's own host. Old browsers that send neither are let through.
 */
export function sameSiteOnly(app: FastifyInstance) {
  const publicOrigin = new URL(app.config.PUBLIC_URL).origin;
  return async function refuseCrossSite(request: FastifyRequest, reply: FastifyReply) {
    const fetchSite = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const allowed =
      typeof fetchSite === 'string'
        ? fetchSite === 'same-origin' || fetchSite === 'none'
        : origin === undefined || origin === publicOrigin || origin === `${request.protocol}://${request.host}`;
    if (allowed) return;
    return reply.code(403).view('errors/error', { title: translate(request.lang, 'crossSite.title'), message: translate(request.lang, 'crossSite.body') });
  };
}
