import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import { authRoutes } from './auth/routes.js';
import { createStaffRepository } from './auth/staff-repository.js';
import { eventRoutes } from './events/routes.js';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import { exportRoutes } from './export/routes.js';
import { homeRoutes } from './home/routes.js';
import { importRoutes } from './import/routes.js';
import { neighborhoodRoutes } from './neighborhoods/routes.js';
import { outreachRoutes } from './outreach/routes.js';
import { publicRoutes } from './public/routes.js';
import { chartVendorFolders, staticFolder } from './paths.js';
import { errorsPlugin } from './plugins/errors.js';
import { openapiPlugin, openapiRoutes } from './plugins/openapi.js';
import { requestContextPlugin } from './plugins/request-context.js';
import { resultsRoutes } from './results/routes.js';
import { securityPlugin } from './plugins/security.js';
import { staffRoutes } from './staff/routes.js';
import { viewsPlugin } from './plugins/views.js';
import { createSurveyRepository, ensureStandardSurvey } from './survey/queries.js';
import { surveyEditorRoutes } from './survey-editor/routes.js';
import { surveyRoutes } from './survey/routes.js';
import { voidRoutes } from './voids/routes.js';
import './types.js';

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  /** Where log lines go (tests capture them to prove no client address is logged). */
  logStream?: NodeJS.WritableStream;
}

/** Never log a client address, user agent or query string: method, path and status are enough. */
export function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Builds the whole application without listening, so tests can `inject` into it. */
export async function buildApp({ config, database, logStream }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, logStream),
    trustProxy: config.TRUST_PROXY,
    bodyLimit: 64 * 1024,
    // Signed kiosk tokens travel in the path.
    routerOptions: { maxParamLength: 500 },
  });

  // Every route with its method, for the authorization-matrix and fuzz tests that must cover new routes by themselves.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });

  ensureStandardSurvey(database);
  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('surveys', createSurveyRepository(database));
  // Queued submissions commit before the database closes.
  app.addHook('preClose', () => app.surveys.drain());
  app.decorate('staff', createStaffRepository(database));

  await app.register(fastifyFormbody);
  const maxAge = config.NODE_ENV === 'production' ? '1d' : 0;
  await app.register(fastifyStatic, { root: staticFolder, prefix: '/static/', maxAge });
  // chart.js and its annotation plugin, served from our own origin straight from their packages' UMD builds.
  await app.register(fastifyStatic, { root: chartVendorFolders, prefix: '/static/vendor/', maxAge, decorateReply: false });
  await app.register(securityPlugin);
  await app.register(viewsPlugin);
  await app.register(requestContextPlugin);
  await app.register(errorsPlugin);
  // Before the routes: it describes those registered after it.
  await app.register(openapiPlugin);

  await app.register(homeRoutes);
  await app.register(surveyRoutes);
  await app.register(authRoutes);
  await app.register(adminRoutes);
  await app.register(resultsRoutes);
  await app.register(eventRoutes);
  await app.register(neighborhoodRoutes);
  await app.register(surveyEditorRoutes);
  await app.register(staffRoutes);
  await app.register(voidRoutes);
  await app.register(exportRoutes);
  // Encapsulated: multipart uploads (and their size limit) exist for the import route only.
  await app.register(importRoutes);
  await app.register(outreachRoutes);
  await app.register(publicRoutes);
  await app.register(openapiRoutes);

  return app;
}
