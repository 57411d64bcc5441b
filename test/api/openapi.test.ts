import { z } from 'zod';
import t from 'tap';
import { documented } from '../../src/plugins/openapi.js';
import { buildTestApp } from '../helper/app.js';
import { staffSessions } from '../helper/admin.js';
import { undocumentedApiPages } from '../helper/openapi.js';

t.test('staff read the OpenAPI document of every JSON route; others cannot', async (t) => {
  const { app } = await buildTestApp(t);
  const { asLiaison } = await staffSessions(app);
  t.equal((await app.inject('/api/openapi.json')).statusCode, 401);
  const res = await asLiaison.get('/api/openapi.json');
  t.equal(res.statusCode, 200);
  const document = res.json();
  t.equal(document.openapi, '3.1.0');
  t.ok(document.paths['/api/trends'].get, 'trends');
  t.ok(document.paths['/api/events/{id}/impact'].get, 'event impact');
  t.ok(document.paths['/public/{surveySlug}/data.json'].get, 'public figures');
  t.notOk(document.paths['/results'], 'pages are not operations');
  const trendParameters = document.paths['/api/trends'].get.parameters.map((p: { name: string }) => p.name);
  t.match(trendParameters, ['survey', 'from', 'to', 'bucket', 'measure', 'neighborhood', 'rolling'], 'query fields come from the schema that validates them');
  t.notOk(
    document.paths['/api/trends'].get.parameters.some((p: { required: boolean }) => p.required),
    'no trend field is required (each has a default)',
  );

  // Every /api route is an operation, and declares the shape of its success.
  const apiRoutes = app.routeList.filter((r) => r.url.startsWith('/api/') && !undocumentedApiPages.includes(r.url));
  t.ok(apiRoutes.length >= 3);
  for (const route of apiRoutes) {
    const operation = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
    t.ok(operation?.responses['200']?.content?.['application/json']?.schema, `${route.method} ${route.url} is documented with its response`);
  }
});

t.test('the API page lists operations, parameters and response shapes, with no inline script or style', async (t) => {
  const { app } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  t.equal((await app.inject('/api/docs')).statusCode, 401);
  const res = await asAdmin.get('/api/docs');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html/);
  t.match(res.body, '<code>GET /api/trends</code>');
  t.match(res.body, '<code>GET /public/{surveySlug}/data.json</code>');
  t.match(res.body, '<code>rolling</code>');
  t.match(res.body, '#/components/schemas/Trends');
  t.notMatch(res.body, /<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")/, 'no inline script');
  t.notMatch(res.body, /\sstyle=|<style/, 'no inline style');
});

t.test('a response outside the document fails the request in tests', async (t) => {
  const { app } = await buildTestApp(t);
  app.get('/api/undocumented', async () => ({ ok: true }));
  app.get('/api/teapot', documented({ tags: ['test'], response: { 200: z.object({ ok: z.boolean() }) } }), async (_request, reply) =>
    reply.code(418).send({ ok: true }),
  );
  t.equal((await app.inject('/api/undocumented')).statusCode, 500, 'a route missing from the document');
  t.equal((await app.inject('/api/teapot')).statusCode, 500, 'a status the operation does not list');
});
