import { readdirSync } from 'node:fs';
import t from 'tap';
import { viewsFolder } from '../../src/paths.js';
import { buildTestApp } from '../helper/app.js';

// @fastify/view's cache of loaded (and, once rendered, compiled) templates, keyed "view|<file>".
const viewCache = (app: object) => {
  const key = Object.getOwnPropertySymbols(app).find((symbol) => symbol.description === '@fastify/view/cache')!;
  return (app as Record<symbol, { get(key: string): unknown }>)[key];
};
const pages = readdirSync(viewsFolder, { recursive: true, encoding: 'utf8' }).filter(
  (file) => file.endsWith('.hbs') && !file.startsWith('partials/') && !file.startsWith('layouts/'),
);

t.test('in production every page is compiled before the server listens, so no request pays for it', async (t) => {
  t.ok(pages.length > 40, 'the pages are found');
  const production = await buildTestApp(t, { NODE_ENV: 'production' });
  await production.app.ready();
  t.same(
    pages.filter((page) => !viewCache(production.app).get(`view|${page}`)),
    [],
    'every page is in the cache',
  );
  const test = await buildTestApp(t);
  await test.app.ready();
  t.notOk(viewCache(test.app).get('view|results/city.hbs'), 'elsewhere a page is compiled when first asked for');
  const home = await production.app.inject('/');
  t.equal(home.statusCode, 200, 'pages still render');
});
