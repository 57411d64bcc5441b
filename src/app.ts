import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import { authRoutes } from './auth/routes.js';
import { createStaffRepository } from './auth/staff-repository.js';
import { createEventRepository } from './events/queries.js';
import { eventRoutes } from './events/routes.js';
import type { Config } from './config.js';
import type { Store } from './db/store.js';
import { exportRoutes } from './export/routes.js';
import { homeRoutes } from './home/routes.js';
import { importRoutes } from './import/routes.js';
import { createMarginRepository } from './margins/queries.js';
import { marginRoutes } from './margins/routes.js';
import { mailingRoutes } from './mailings/routes.js';
import { createWeightingRepository } from './weighting/queries.js';
import { createWeightingRunner } from './weighting/runner.js';
import { readAhead } from './results/read-ahead.js';
import { neighborhoodRoutes } from './neighborhoods/routes.js';
import { purgeReceiptsHourly } from './kiosk/receipts.js';
import { createKioskLinks } from './outreach/links.js';
import { outreachRoutes } from './outreach/routes.js';
import { publicRoutes } from './public/routes.js';
import { chartVendorFolders, staticFolder } from './paths.js';
import { errorsPlugin } from './plugins/errors.js';
import { areaOrderPlugin } from './plugins/area-order.js';
import { openapiPlugin, openapiRoutes } from './plugins/openapi.js';
import { requestContextPlugin } from './plugins/request-context.js';
import { createResultsRepository } from './results/queries.js';
import { createReleasePolicy } from './results/release.js';
import { resultsRoutes } from './results/routes.js';
import { securityPlugin } from './plugins/security.js';
import { staffRoutes } from './staff/routes.js';
import { viewsPlugin } from './plugins/views.js';
import { createSurveyRepository } from './survey/queries.js';
import { surveyEditorRoutes } from './survey-editor/routes.js';
import { surveyRoutes } from './survey/routes.js';
import { themeRoutes } from './themes/routes.js';
import { voidRoutes } from './voids/routes.js';
import { quarantineRoutes } from './quarantine/routes.js';
import './types.js';

export interface AppOptions {
  config: Config;
  store: Store;
  /** Where log lines go (tests capture them to prove no client address is logged). */
  logStream?: NodeJS.WritableStream;
  /** Tests only: turn perturbation off, so the disclosure attack suite can show what it protects against. */
  unsafeExactFigures?: boolean;
  /** Tests only: release a sample's part of an atom however small its other part (the sample attack's negative control). */
  unsafeSampleParts?: boolean;
}

const KEEP_ALIVE_MS = 5000;
const IDLE_GRACE_MS = 5000;
const HEADERS_TIMEOUT_MS = 20_000;

// Pages residents answer on (and the styles, scripts and icon they load): a time-stamped line per request would tie
// an answer to its moment (joined with the response's date and channel), so these requests are never logged one by one.
const RESIDENT_PATH = /^\/(surveys|s|kiosk|static|i|invitation)(\/|$)/;
// Secret tokens travel in these paths; logs show only which kind of link was used.
const TOKEN_PATH = /^\/(kiosk|reset|setup|i)\/[^/?]+/;

/** The path as logged: no query string, no token. */
export function loggedPath(url: string): string {
  return url.split('?')[0].replace(TOKEN_PATH, '/$1/[token]');
}

/** Never log a client address, user agent, query string or token: method, path and status are enough. */
export function loggerOptions(config: Config, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level: config.LOG_LEVEL,
    ...(stream ? { stream } : {}),
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, path: loggedPath(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

const trustHops = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Builds the whole application without listening, so tests can `inject` into it. */
export async function buildApp({ config, store, logStream, unsafeExactFigures = false, unsafeSampleParts = false }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config, logStream),
    logController: new LogController({ disableRequestLogging: (request) => RESIDENT_PATH.test(request.url) }),
    // A hop count trusts that many proxies nearest the server (Fastify's own rule for a number, which its types omit).
    trustProxy: typeof config.TRUST_PROXY === 'number' ? trustHops(config.TRUST_PROXY) : config.TRUST_PROXY,
    bodyLimit: 64 * 1024,
    // A client that trickles a request (or holds a silent connection) is cut off: it cannot pile up sockets or hold up a shutdown.
    requestTimeout: config.REQUEST_TIMEOUT * 1000,
    // Longer than the request timeout, so a trickled request is answered 408 before its socket is dropped.
    connectionTimeout: config.REQUEST_TIMEOUT * 1000 + IDLE_GRACE_MS,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // Node checks those deadlines every connectionsCheckingInterval (30 s by default).
    http: { headersTimeout: Math.min(config.REQUEST_TIMEOUT * 1000, HEADERS_TIMEOUT_MS), connectionsCheckingInterval: 1000 },
    // Signed kiosk tokens travel in the path.
    routerOptions: { maxParamLength: 500 },
  });

  // Every route with its method, for the authorization-matrix and fuzz tests that must cover new routes by themselves.
  const routeList: { method: string; url: string }[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });

  app.decorate('config', config);
  app.decorate('store', store);
  app.decorate('surveys', createSurveyRepository(store, config.TIME_ZONE));
  await app.surveys.ensureStandardSurvey();
  app.decorate('staff', createStaffRepository(store));
  app.decorate('release', createReleasePolicy(config, { perturb: !unsafeExactFigures, unsafeSampleParts }));
  app.decorate('results', createResultsRepository(store));
  app.decorate('events', createEventRepository(store));
  app.decorate('margins', createMarginRepository(store));
  app.decorate('kioskLinks', createKioskLinks(store));
  const weightingRepository = createWeightingRepository(store);
  app.decorate('weighting', { ...weightingRepository, ...createWeightingRunner(weightingRepository, app.log) });
  if (config.WEIGHTING_INTERVAL > 0) {
    const weighing = app.weighting.every(config.WEIGHTING_INTERVAL);
    app.addHook('onClose', () => weighing.stop());
  }
  if (config.READ_AHEAD_ROWS > 0) {
    let reading: ReturnType<typeof readAhead> | undefined;
    app.addHook('onReady', async () => {
      reading = readAhead(app, config.READ_AHEAD_ROWS);
    });
    app.addHook('onClose', async () => {
      await reading?.stop();
    });
  }
  await purgeReceiptsHourly(app);

  await app.register(fastifyFormbody);
  const maxAge = config.NODE_ENV === 'production' ? '1d' : 0;
  await app.register(fastifyStatic, {
    root: staticFolder,
    prefix: '/static/',
    maxAge,
    // The kiosk's service worker lives with the other scripts but serves the survey pages (its scope is /surveys/).
    setHeaders: (res, path) => {
      if (path.endsWith('kiosk-sw.js')) res.header('Service-Worker-Allowed', '/surveys/');
    },
  });
  // chart.js and its annotation plugin, served from our own origin straight from their packages' UMD builds.
  await app.register(fastifyStatic, { root: chartVendorFolders, prefix: '/static/vendor/', maxAge, decorateReply: false });
  await app.register(securityPlugin);
  await app.register(viewsPlugin);
  await app.register(requestContextPlugin);
  await app.register(areaOrderPlugin);
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
  await app.register(themeRoutes);
  await app.register(staffRoutes);
  await app.register(voidRoutes);
  await app.register(quarantineRoutes);
  await app.register(exportRoutes);
  // Encapsulated: multipart uploads (and their size limits) exist for the import and margins upload routes only.
  await app.register(importRoutes);
  await app.register(marginRoutes);
  await app.register(outreachRoutes);
  await app.register(mailingRoutes);
  await app.register(publicRoutes);
  await app.register(openapiRoutes);

  return app;
}
