import type { FastifyInstance } from 'fastify';
import { localize } from '../i18n/index.js';

export async function homeRoutes(app: FastifyInstance) {
  app.get('/', async (request, reply) => {
    const surveys = (await app.surveys.openSurveys()).map((s) => ({
      slug: s.slug,
      title: localize(s.title, request.lang),
      intro: localize(s.intro, request.lang),
    }));
    const published = (await app.surveys.publishedSurveys()).map((s) => ({ slug: s.slug, title: localize(s.title, request.lang) }));
    return reply.view('home/index', { surveys, hasSurveys: surveys.length > 0, published });
  });

  app.get('/healthz', async (request, reply) => {
    const problem = await app.store.problem();
    if (problem) return reply.code(503).send({ status: 'unwritable', problem });
    return reply.send({ status: 'ok' });
  });
}
