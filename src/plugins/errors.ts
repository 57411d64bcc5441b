import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ZodError } from 'zod';
import { translate } from '../i18n/index.js';
import { setPageLanguage } from './request-context.js';

export const RETRY_AFTER_SECONDS = 60;

const wantsJson = (request: FastifyRequest) => request.url.startsWith('/api/');

function sendError(request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string) {
  if (wantsJson(request)) return reply.code(status).send({ error: title, message });
  setPageLanguage(request, reply, request.lang);
  return reply.code(status).view('errors/error', { title, message });
}

/** 404 pages and clear 4xx answers for every client error; 5xx only for our own faults, logged without client details. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, 404, translate(request.lang, 'notFound.title'), translate(request.lang, 'notFound.body')),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Input that fails a zod schema a handler applied directly is a client error naming its field.
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const field = issue?.path.join('.') || 'request';
      if (wantsJson(request)) return reply.code(400).send({ error: 'Bad Request', message: `${field}: ${issue?.message ?? 'invalid'}`, field });
      return sendError(request, reply, 400, translate(request.lang, 'badRequest.title'), `${field}: ${issue?.message ?? 'invalid'}`);
    }
    // Disk full, read-only or deleted database: nothing was stored, and the client may try again later.
    if (app.store.isStorageError(error)) {
      app.store.failed(error);
      request.log.error({ err: error }, 'the database cannot be written');
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendError(request, reply, 503, translate(request.lang, 'unavailable.title'), translate(request.lang, 'unavailable.body'));
    }
    const status = error.statusCode ?? 500;
    if (status === 429) {
      return sendError(request, reply, 429, translate(request.lang, 'tooMany.title'), translate(request.lang, 'tooMany.body'));
    }
    if (status >= 400 && status < 500) {
      const title = status === 403 ? 'Forbidden' : translate(request.lang, 'badRequest.title');
      const message =
        error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET'
          ? 'This form has expired or did not come from this site. Go back, reload the page and try again.'
          : error.message;
      return sendError(request, reply, status, title, message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(request, reply, 500, translate(request.lang, 'error.title'), translate(request.lang, 'error.body'));
  });
});
