import t from 'tap';
import { safeNext } from '../../src/auth/routes.js';
import { buildTestApp, cookieJar, createStaff, csrfFrom, form, login, rowCount } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const OWNER = { email: 'admin@example.org', password: 'correct horse battery' };

/** A login attempt through the real form, from the given client address. */
async function attempt(app: Awaited<ReturnType<typeof buildTestApp>>['app'], email: string, password: string, remoteAddress: string) {
  const jar = cookieJar();
  const page = await app.inject({ url: '/login', remoteAddress });
  jar.store(page);
  return app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress,
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ email, password, _csrf: csrfFrom(page.body) ?? '' }),
  });
}

t.test('a stranger cannot lock a known account; lockouts are logged without the email or address', async (t) => {
  const { app, logs } = await buildTestApp(t, { LOG_LEVEL: 'info', LOGIN_RATE_LIMIT: '100' });
  await createStaff(app, OWNER.email, OWNER.password, 'admin');
  const statuses = [];
  for (let i = 0; i < 6; i++) statuses.push((await attempt(app, OWNER.email, 'wrong password!!', '203.0.113.66')).statusCode);
  t.same(statuses, [401, 401, 401, 401, 401, 429], 'the stranger is locked out');
  t.equal((await attempt(app, OWNER.email, OWNER.password, '203.0.113.66')).statusCode, 429, 'even with the right password, from there');
  const owner = await attempt(app, OWNER.email, OWNER.password, '198.51.100.7');
  t.equal(owner.statusCode, 303, 'the owner, elsewhere, logs in');
  const lockouts = logs.filter((l) => l.includes('login locked'));
  t.equal(lockouts.length, 1, 'the lockout is logged');
  for (const secret of [OWNER.email, '203.0.113.66'])
    t.notOk(
      lockouts.some((l) => l.includes(secret)),
      `without ${secret}`,
    );
});

t.test('next= accepts only same-origin paths after normalising, never a 5xx', async (t) => {
  for (const bad of ['/\t/evil.example', '/\n/x', '//evil.example', '/\\evil.example', 'https://evil.example/', '/ /x\r\n', 'javascript:alert(1)']) {
    t.equal(safeNext(bad), undefined, JSON.stringify(bad));
  }
  t.equal(safeNext('/results?survey=community-trust#top'), '/results?survey=community-trust#top');
  t.equal(safeNext('/a b/../c'), '/c', 'normalised and encoded');

  const { app } = await buildTestApp(t);
  await createStaff(app, OWNER.email, OWNER.password, 'admin');
  for (const next of ['/%09/evil.example', '/%0a/x', '/%0d%0aSet-Cookie:%20x=1']) {
    const page = await app.inject(`/login?next=${next}`);
    t.equal(page.statusCode, 200, `GET /login?next=${next}`);
    t.notMatch(page.body, 'name="next"', 'the bad path is not carried into the form');
  }
  const { jar } = await login(app, OWNER.email, OWNER.password);
  for (const next of ['/%09/evil.example', '/%0a/x', '/%0d%0aSet-Cookie:%20x=1']) {
    const res = await app.inject({ url: `/login?next=${next}`, headers: { cookie: jar.header() } });
    t.equal(res.statusCode, 303, `logged in, GET /login?next=${next}`);
    t.equal(res.headers.location, '/admin', 'goes home instead');
  }
  const page = await app.inject('/login');
  const jar2 = cookieJar();
  jar2.store(page);
  const posted = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...formHeaders, cookie: jar2.header() },
    payload: form({ ...OWNER, next: '/\t/evil.example', _csrf: csrfFrom(page.body) ?? '' }),
  });
  t.equal(posted.statusCode, 303);
  t.equal(posted.headers.location, '/admin');
});

t.test("a POST's CSRF token is accepted in its body or a header, not in its query string", async (t) => {
  const { app } = await buildTestApp(t);
  await createStaff(app, OWNER.email, OWNER.password, 'admin');
  const { jar } = await login(app, OWNER.email, OWNER.password);
  const token = csrfFrom((await app.inject({ url: '/account/password', headers: { cookie: jar.header() } })).body) ?? '';
  const inQuery = await app.inject({
    method: 'POST',
    url: `/logout?_csrf=${encodeURIComponent(token)}`,
    headers: { ...formHeaders, cookie: jar.header() },
    payload: '',
  });
  t.equal(inQuery.statusCode, 403, 'query string: refused');
  t.equal((await app.inject({ url: '/admin', headers: { cookie: jar.header() } })).statusCode, 200, 'still logged in');
  const inHeader = await app.inject({ method: 'POST', url: '/logout', headers: { ...formHeaders, cookie: jar.header(), 'csrf-token': token }, payload: '' });
  t.equal(inHeader.statusCode, 303, 'header: accepted');
});

t.test('anonymous login pages write no session; the login form still carries a CSRF check', async (t) => {
  const { app, store } = await buildTestApp(t);
  await createStaff(app, OWNER.email, OWNER.password, 'admin');
  for (let i = 0; i < 50; i++) t.equal((await app.inject('/login')).statusCode, 200);
  t.equal(await rowCount(store, 'sessions'), 0, '50 visits, no session row');

  const page = await app.inject('/login');
  const withoutCookie = await app.inject({
    method: 'POST',
    url: '/login',
    headers: formHeaders,
    payload: form({ ...OWNER, _csrf: csrfFrom(page.body) ?? '' }),
  });
  t.equal(withoutCookie.statusCode, 403, 'a form without its cookie is refused');
  const other = await app.inject('/login');
  const mixed = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...formHeaders, cookie: `cg_form=${other.cookies.find((c) => c.name === 'cg_form')!.value}` },
    payload: form({ ...OWNER, _csrf: csrfFrom(page.body) ?? '' }),
  });
  t.equal(mixed.statusCode, 403, "another form's cookie does not fit");
  t.equal(await rowCount(store, 'sessions'), 0);
  const { res } = await login(app, OWNER.email, OWNER.password);
  t.equal(res.statusCode, 303, 'the real form logs in');
  t.equal(await rowCount(store, 'sessions'), 1, 'and only then is a session stored');
});
