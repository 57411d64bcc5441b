import { sql } from 'drizzle-orm';
import t from 'tap';
import { addNeighborhoods, buildTestApp, cookieJar, createStaff, csrfFrom, login } from '../helper/app.js';
import { accessFor, fillParams, routesOf } from '../helper/routes.js';

// Generated from Fastify's own route table: a new route without a guard, or one outside the route plan, fails here.
t.test('authorization matrix: every route × anonymous, liaison, admin', async (t) => {
  const { app, store } = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000', SUBMIT_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'Riverside');
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  await createStaff(app, 'liaison@example.org', 'correct horse battery', 'liaison');

  const anonymous = cookieJar();
  const loginPage = await app.inject('/login');
  anonymous.store(loginPage);
  const personas = {
    anonymous: { cookie: anonymous.header(), csrf: csrfFrom(loginPage.body)! },
    liaison: await staffPersona('liaison@example.org'),
    admin: await staffPersona('admin@example.org'),
  };
  async function staffPersona(email: string) {
    const { jar } = await login(app, email, 'correct horse battery');
    const page = await app.inject({ url: '/outreach', headers: { cookie: jar.header() } });
    return { cookie: jar.header(), csrf: csrfFrom(page.body)! };
  }

  const routes = routesOf(app);
  t.ok(routes.length > 10, `${routes.length} routes`);
  for (const route of routes) {
    const access = accessFor(route.url);
    t.ok(access, `${route.method} ${route.url} is placed in the route plan`);
    if (!access || route.url === '/logout') continue;
    for (const [who, persona] of Object.entries(personas)) {
      const res = await app.inject({
        method: route.method as 'GET',
        url: fillParams(route.url),
        headers: {
          cookie: persona.cookie,
          'csrf-token': persona.csrf,
          ...(route.method === 'GET' ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(route.method === 'GET' ? {} : { payload: `_csrf=${encodeURIComponent(persona.csrf)}` }),
      });
      const label = `${route.method} ${route.url} as ${who} → ${res.statusCode}`;
      t.ok(res.statusCode < 500, label);
      const allowed = access === 'public' || (access === 'staff' && who !== 'anonymous') || (access === 'admin' && who === 'admin');
      if (allowed) {
        t.notOk([401, 403].includes(res.statusCode), `${label}: allowed`);
      } else if (who === 'anonymous') {
        // Pages send a visitor to log in; the JSON API (like any non-GET) answers 401.
        if (route.method === 'GET' && !route.url.startsWith('/api/'))
          t.ok(res.statusCode === 303 && String(res.headers.location).startsWith('/login?next='), `${label}: sent to log in`);
        else t.equal(res.statusCode, 401, `${label}: refused`);
      } else {
        t.equal(res.statusCode, 403, `${label}: forbidden for the role`);
      }
    }
  }
});

t.test('every state-changing staff route refuses a request without the session CSRF token, form or JSON', async (t) => {
  const { app, store } = await buildTestApp(t, { LOGIN_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'Riverside');
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const changes = async () =>
    (
      await store.read((db) =>
        store.rows<{ n: number }>(
          db,
          sql`SELECT (SELECT count(*) FROM audit_log) + (SELECT count(*) FROM neighborhoods) + (SELECT count(*) FROM events) AS "n"`,
        ),
      )
    )[0].n;
  const before = await changes();
  const routes = routesOf(app).filter((r) => r.method !== 'GET' && accessFor(r.url) !== 'public');
  t.ok(routes.length > 20, `${routes.length} state-changing staff routes`);
  for (const route of routes) {
    for (const [type, payload] of [
      ['application/x-www-form-urlencoded', 'name=x&title=x'],
      ['application/json', JSON.stringify({ name: 'x', title: 'x', _csrf: 'forged' })],
    ]) {
      const res = await app.inject({
        method: route.method as 'POST',
        url: fillParams(route.url),
        headers: { cookie: jar.header(), 'content-type': type },
        payload,
      });
      t.equal(res.statusCode, 403, `${route.method} ${route.url} (${type}) without a valid token`);
    }
  }
  t.equal(await changes(), before, 'nothing changed');
});
