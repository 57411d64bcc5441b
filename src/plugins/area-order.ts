import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { asc } from 'drizzle-orm';

// Pages that draw charts: each neighborhood's colour there comes from its place in this order (charts.js).
const chartPages = /^\/(results|events|public)(\/|\?|$)/;

/** Every neighborhood's slug by id, retired ones too, so a neighborhood's chart colour never changes. */
export const areaOrderPlugin = fp(async (app: FastifyInstance) => {
  const { store } = app;
  const { neighborhoods } = store.tables;
  const areaOrder = () =>
    store.cached('settings', 'area-order', () =>
      store.read(async (db) => (await db.select({ slug: neighborhoods.slug }).from(neighborhoods).orderBy(asc(neighborhoods.id))).map((n) => n.slug).join(' ')),
    );
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET' || !chartPages.test(request.url)) return;
    reply.locals = { ...reply.locals, areaOrder: await areaOrder() };
  });
});
