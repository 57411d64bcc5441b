import { eq, isNotNull } from 'drizzle-orm';
import t from 'tap';
import { hashToken } from '../../src/auth/staff-repository.js';
import { addNeighborhoods, buildTestApp, cookieJar, createStaff, csrfFrom, form, login, rowCount } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

t.test('login with the right password starts a server-side session in a safe cookie', async (t) => {
  const { app, store } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const before = await app.inject('/login');
  const { res, jar } = await login(app, 'Admin@Example.org ', 'correct horse battery');
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/admin');
  const cookie = res.cookies.find((c) => c.name === 'cg_session')!;
  t.ok(cookie.httpOnly);
  t.equal(cookie.sameSite, 'Lax');
  t.notOk(cookie.secure, 'not Secure on an http PUBLIC_URL');
  t.not(cookie.value, before.cookies.find((c) => c.name === 'cg_session')?.value, 'a new session id at login');
  t.equal(await rowCount(store, 'sessions WHERE user_id IS NOT NULL'), 1, 'kept in the database');
  const admin = await app.inject({ url: '/admin', headers: { cookie: jar.header() } });
  t.equal(admin.statusCode, 200);
  t.match(admin.body, 'admin@example.org');
});

t.test('Secure cookies when PUBLIC_URL is https (behind a TLS proxy)', async (t) => {
  const { app } = await buildTestApp(t, { PUBLIC_URL: 'https://trust.example.org', TRUST_PROXY: '1' });
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const headers = { 'x-forwarded-proto': 'https' };
  const page = await app.inject({ url: '/login', headers });
  const formCookie = page.cookies.find((c) => c.name === 'cg_form')!;
  t.equal(formCookie.secure, true, "the login form's cookie is Secure");
  t.match(page.headers['strict-transport-security'], 'max-age=');
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...headers, cookie: `cg_form=${formCookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: 'admin@example.org', password: 'correct horse battery', _csrf: csrfFrom(page.body) ?? '' }).toString(),
  });
  t.equal(res.cookies.find((c) => c.name === 'cg_session')?.secure, true, 'and so is the session');
  const plain = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: `cg_form=${formCookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email: 'admin@example.org', password: 'correct horse battery', _csrf: csrfFrom(page.body) ?? '' }).toString(),
  });
  t.notOk(
    plain.cookies.some((c) => c.name === 'cg_session'),
    'a Secure cookie is never sent over plain http',
  );
});

t.test('wrong password and unknown email get the same answer', async (t) => {
  const { app } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const wrong = await login(app, 'admin@example.org', 'wrong password!!');
  const unknown = await login(app, 'nobody@example.org', 'wrong password!!');
  t.equal(wrong.res.statusCode, 401);
  t.equal(unknown.res.statusCode, 401);
  const message = 'That email and password do not match an active staff account.';
  t.match(wrong.res.body, message);
  t.match(unknown.res.body, message);
  t.match(unknown.res.body, 'value="nobody@example.org"', 'the email is kept');
  const page = await app.inject({ url: '/admin', headers: { cookie: wrong.jar.header() } });
  t.equal(page.statusCode, 303, 'still not logged in');
});

t.test('a disabled account cannot log in', async (t) => {
  const { app, store } = await buildTestApp(t);
  const user = await createStaff(app, 'gone@example.org', 'correct horse battery', 'admin');
  await store.transaction((tx) => tx.update(store.tables.staffUsers).set({ disabled: true }).where(eq(store.tables.staffUsers.id, user.id)));
  const { res } = await login(app, 'gone@example.org', 'correct horse battery');
  t.equal(res.statusCode, 401);
});

t.test('login form errors are shown by their fields', async (t) => {
  const { app } = await buildTestApp(t);
  const jar = cookieJar();
  const page = await app.inject('/login');
  jar.store(page);
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ email: 'not-an-email', password: '', _csrf: csrfFrom(page.body)! }),
  });
  t.equal(res.statusCode, 400);
  t.match(res.body, 'href="#email"');
  t.match(res.body, 'Enter your password.');
  t.match(res.body, 'value="not-an-email"');
});

t.test('login and logout without a CSRF token are refused', async (t) => {
  const { app, store } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const jar = cookieJar();
  jar.store(await app.inject('/login'));
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ email: 'admin@example.org', password: 'correct horse battery' }),
  });
  t.equal(res.statusCode, 403);
  t.match(res.body, 'This form has expired or did not come from this site.');
  t.equal(await rowCount(store, 'sessions WHERE user_id IS NOT NULL'), 0, 'no session granted');

  const session = await login(app, 'admin@example.org', 'correct horse battery');
  const logout = await app.inject({
    method: 'POST',
    url: '/logout',
    headers: { ...formHeaders, cookie: session.jar.header() },
    payload: form({ _csrf: 'forged' }),
  });
  t.equal(logout.statusCode, 403);
  const still = await app.inject({ url: '/admin', headers: { cookie: session.jar.header() } });
  t.equal(still.statusCode, 200, 'the session survived the forged logout');
});

t.test('logout ends the session on the server', async (t) => {
  const { app, store } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  const page = await app.inject({ url: '/admin', headers: { cookie: jar.header() } });
  const oldCookie = jar.header();
  const res = await app.inject({
    method: 'POST',
    url: '/logout',
    headers: { ...formHeaders, cookie: oldCookie },
    payload: form({ _csrf: csrfFrom(page.body)! }),
  });
  t.equal(res.statusCode, 303);
  t.equal(await rowCount(store, 'sessions WHERE user_id IS NOT NULL'), 0);
  const replay = await app.inject({ url: '/admin', headers: { cookie: oldCookie } });
  t.equal(replay.statusCode, 303, 'the old cookie no longer works');
});

t.test('role guard: anonymous to login, liaison forbidden from admin pages', async (t) => {
  const { app } = await buildTestApp(t);
  const anon = await app.inject('/admin');
  t.equal(anon.statusCode, 303);
  t.equal(anon.headers.location, '/login?next=%2Fadmin');
  await createStaff(app, 'liaison@example.org', 'correct horse battery', 'liaison');
  const { res, jar } = await login(app, 'liaison@example.org', 'correct horse battery');
  t.equal(res.statusCode, 303);
  const forbidden = await app.inject({ url: '/admin', headers: { cookie: jar.header() } });
  t.equal(forbidden.statusCode, 403);
  t.match(forbidden.body, 'does not allow');
});

t.test('next= returns to local paths only', async (t) => {
  const { app } = await buildTestApp(t);
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  for (const [next, expected] of [
    ['/admin?x=1', '/admin?x=1'],
    ['//evil.example/', '/admin'],
    ['https://evil.example/', '/admin'],
    ['/\\evil.example', '/admin'],
  ]) {
    const jar = cookieJar();
    const page = await app.inject(`/login?next=${encodeURIComponent(next)}`);
    jar.store(page);
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...formHeaders, cookie: jar.header() },
      payload: form({ email: 'admin@example.org', password: 'correct horse battery', next, _csrf: csrfFrom(page.body)! }),
    });
    t.equal(res.headers.location, expected, next);
  }
});

t.test('login is rate limited', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_RATE_LIMIT: '2' });
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await login(app, 'x@example.org', 'whatever password')).res.statusCode);
  t.same(statuses, [401, 401, 429]);
});

t.test('the first admin is created once through the setup link', async (t) => {
  const { app, store } = await buildTestApp(t);
  const token = await app.staff.issueToken('setup', null, 60_000);
  t.equal(await rowCount(store, `one_time_tokens WHERE token_hash = '${hashToken(token)}'`), 1, 'only the hash is stored');
  t.equal(await rowCount(store, `one_time_tokens WHERE token_hash = '${token}'`), 0);
  const jar = cookieJar();
  const page = await app.inject(`/setup/${token}`);
  t.equal(page.statusCode, 200);
  jar.store(page);
  const csrf = csrfFrom(page.body)!;
  const short = await app.inject({
    method: 'POST',
    url: `/setup/${token}`,
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ email: 'first@example.org', password: 'short', confirm: 'short', _csrf: csrf }),
  });
  t.equal(short.statusCode, 400);
  t.match(short.body, 'Use at least 12 characters.');
  const ok = await app.inject({
    method: 'POST',
    url: `/setup/${token}`,
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ email: 'first@example.org', password: 'a long enough password', confirm: 'a long enough password', _csrf: csrf }),
  });
  t.equal(ok.statusCode, 303);
  t.equal(ok.headers.location, '/admin');
  t.equal((await app.staff.findByEmail('first@example.org'))?.role, 'admin');
  const reuse = await app.inject(`/setup/${token}`);
  t.equal(reuse.statusCode, 404, 'the link works once');
  const expired = await app.staff.issueToken('setup', null, -1);
  t.equal((await app.inject(`/setup/${expired}`)).statusCode, 404);
  await addNeighborhoods(store, 'Unused');
});

t.test('repeated failures lock the email out, whether or not the account exists', async (t) => {
  const { app } = await buildTestApp(t, { LOGIN_RATE_LIMIT: '100' });
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  for (const email of ['admin@example.org', 'ghost@example.org']) {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(app, email, 'wrong password!!')).res.statusCode);
    t.same(statuses, [401, 401, 401, 401, 401, 429], email);
  }
  const locked = await login(app, 'admin@example.org', 'correct horse battery');
  t.equal(locked.res.statusCode, 429, 'even the right password waits out the lock');
  t.match(locked.res.body, 'Too many failed attempts for this email.');
});

t.test('an unknown email costs a password check too', async (t) => {
  const { app } = await buildTestApp(t, { PASSWORD_HASH_COST: '14', LOGIN_RATE_LIMIT: '100' });
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const time = async (email: string) => {
    const started = process.hrtime.bigint();
    await login(app, email, 'wrong password!!');
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  // The fastest of several alternating tries, so a busy machine cannot make one look slow.
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 3; i++) {
    known.push(await time(`admin@example.org`));
    unknown.push(await time(`nobody${i}@example.org`));
  }
  // Cost 14 scrypt takes tens of ms; skipping it for unknown emails would make that answer several times faster.
  t.ok(Math.min(...unknown) > Math.min(...known) / 3, `unknown ${Math.min(...unknown).toFixed(1)} ms vs known ${Math.min(...known).toFixed(1)} ms`);
});

t.test('sessions end after the absolute lifetime even when active', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { sessions } = store.tables;
  await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  t.equal((await app.inject({ url: '/admin', headers: { cookie: jar.header() } })).statusCode, 200);
  const [row] = await store.read((db) => db.select().from(sessions).where(isNotNull(sessions.userId)));
  const data = JSON.parse(row.data) as { loggedInAt: number };
  data.loggedInAt = Date.now() - 13 * 60 * 60 * 1000;
  await store.transaction((tx) =>
    tx
      .update(sessions)
      .set({ data: JSON.stringify(data) })
      .where(eq(sessions.id, row.id)),
  );
  const res = await app.inject({ url: '/admin', headers: { cookie: jar.header() } });
  t.equal(res.statusCode, 303, 'sent back to log in');
  t.equal(await rowCount(store, 'sessions WHERE user_id IS NOT NULL'), 0, 'the session is gone from the server');
});

t.test('a disabled user loses their open session at once', async (t) => {
  const { app, store } = await buildTestApp(t);
  const user = await createStaff(app, 'admin@example.org', 'correct horse battery', 'admin');
  const { jar } = await login(app, 'admin@example.org', 'correct horse battery');
  await store.transaction((tx) => tx.update(store.tables.staffUsers).set({ disabled: true }).where(eq(store.tables.staffUsers.id, user.id)));
  t.equal((await app.inject({ url: '/admin', headers: { cookie: jar.header() } })).statusCode, 303);
});
