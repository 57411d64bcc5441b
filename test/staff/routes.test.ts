import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { hashToken } from '../../src/auth/staff-repository.js';
import { ADMIN, LIAISON, auditActions, staffSessions } from '../helper/admin.js';
import { buildTestApp, cookieJar, csrfFrom, form, login, rowCount } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const tokenOf = (html: string) => /\/reset\/([A-Za-z0-9_-]+)/.exec(html)?.[1];

async function setPassword(app: FastifyInstance, token: string, password: string, confirm = password) {
  const jar = cookieJar();
  const page = await app.inject(`/reset/${token}`);
  jar.store(page);
  if (page.statusCode !== 200) return page;
  return app.inject({
    method: 'POST',
    url: `/reset/${token}`,
    headers: { ...formHeaders, cookie: jar.header() },
    payload: form({ _csrf: csrfFrom(page.body) ?? '', password, confirm }),
  });
}

t.test('an admin adds staff, who set their password once through the link', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  const added = await asAdmin.post('/admin/staff', { email: ' New.Liaison@Example.org ', role: 'liaison' });
  t.equal(added.statusCode, 200);
  t.match(added.body, 'new.liaison@example.org (liaison) can now choose a password');
  const token = tokenOf(added.body)!;
  t.ok(token);
  t.match(added.body, `http://127.0.0.1:3000/reset/${token}`);
  t.same(
    await store.read((db) =>
      db.select({ tokenHash: store.tables.oneTimeTokens.tokenHash, purpose: store.tables.oneTimeTokens.purpose }).from(store.tables.oneTimeTokens),
    ),
    [{ tokenHash: hashToken(token), purpose: 'reset' }],
    'only the hash is stored',
  );
  t.equal((await login(app, 'new.liaison@example.org', 'anything at all')).res.statusCode, 401, 'no usable password before the link');

  const mismatch = await setPassword(app, token, 'a long new passphrase', 'another one entirely');
  t.equal(mismatch.statusCode, 400);
  t.match(mismatch.body, 'href="#field-confirm"');
  const short = await setPassword(app, token, 'short');
  t.match(short.body, 'Use at least 12 characters.');
  const done = await setPassword(app, token, 'a long new passphrase');
  t.equal(done.statusCode, 200);
  t.match(done.body, 'Your password is set.');
  t.equal((await login(app, 'new.liaison@example.org', 'a long new passphrase')).res.statusCode, 303);
  t.equal((await app.inject(`/reset/${token}`)).statusCode, 404, 'the link works once');
  t.equal((await setPassword(app, token, 'yet another passphrase')).statusCode, 404);
  t.same(await auditActions(app), ['staff.create', 'staff.password_reset']);
});

t.test('reset links expire, replace older ones, and end the sessions of the account', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { oneTimeTokens } = store.tables;
  const { asAdmin, liaison, asLiaison } = await staffSessions(app);
  const first = tokenOf((await asAdmin.post(`/admin/staff/${liaison.id}/reset-link`, {})).body)!;
  const second = tokenOf((await asAdmin.post(`/admin/staff/${liaison.id}/reset-link`, {})).body)!;
  t.equal((await app.inject(`/reset/${first}`)).statusCode, 404, 'a newer link replaces an unused one');
  await store.transaction((tx) =>
    tx
      .update(oneTimeTokens)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(oneTimeTokens.tokenHash, hashToken(second))),
  );
  const expired = await app.inject(`/reset/${second}`);
  t.equal(expired.statusCode, 404);
  t.match(expired.body, 'no longer valid');
  const third = tokenOf((await asAdmin.post(`/admin/staff/${liaison.id}/reset-link`, {})).body)!;
  t.equal((await asLiaison.get('/account/password')).statusCode, 200, 'logged in before the reset');
  t.equal((await setPassword(app, third, 'liaison new passphrase')).statusCode, 200);
  t.equal((await asLiaison.get('/account/password')).statusCode, 303, 'the old session ended');
  t.equal((await login(app, LIAISON.email, LIAISON.password)).res.statusCode, 401);
  t.equal((await login(app, LIAISON.email, 'liaison new passphrase')).res.statusCode, 303);
  t.equal((await app.inject('/reset/not-a-token')).statusCode, 404);
});

t.test('roles, disabling and the last active admin', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { sessions, staffUsers } = store.tables;
  const { admin, liaison, asAdmin, asLiaison, adminJar } = await staffSessions(app);
  const demoteSelf = await asAdmin.post(`/admin/staff/${admin.id}/role`, { role: 'liaison' });
  t.equal(demoteSelf.statusCode, 409);
  t.match(demoteSelf.body, 'admin@example.org is the only active admin');
  t.match(demoteSelf.body, `href="#field-staff-${admin.id}"`);
  const disableSelf = await asAdmin.post(`/admin/staff/${admin.id}/disable`, { confirmed: 'yes' });
  t.equal(disableSelf.statusCode, 409);
  t.match(disableSelf.body, 'You cannot disable your own account');

  const asked = await asAdmin.post(`/admin/staff/${liaison.id}/disable`, {});
  t.equal(asked.statusCode, 200);
  t.match(asked.body, '<h1>Disable liaison@example.org?</h1>');
  t.match(asked.body, '<input type="hidden" name="confirmed" value="yes">');
  t.equal((await asLiaison.get('/account/password')).statusCode, 200, 'not disabled before the confirmation');
  t.equal((await asAdmin.post(`/admin/staff/${liaison.id}/disable`, { confirmed: 'yes' })).statusCode, 303);
  t.match(
    (await app.inject({ url: '/admin/staff', headers: { cookie: adminJar.header() } })).body,
    'liaison@example.org is disabled.',
    'a message says it is done',
  );
  t.same(await store.read((db) => db.select({ n: count() }).from(sessions).where(eq(sessions.userId, liaison.id))), [{ n: 0 }], 'sessions deleted');
  t.equal((await asLiaison.get('/account/password')).statusCode, 303, 'logged out at once');
  t.equal((await login(app, LIAISON.email, LIAISON.password)).res.statusCode, 401, 'cannot log in while disabled');
  t.equal((await asAdmin.post(`/admin/staff/${liaison.id}/enable`, {})).statusCode, 303);
  t.equal((await login(app, LIAISON.email, LIAISON.password)).res.statusCode, 303);

  t.equal((await asAdmin.post(`/admin/staff/${liaison.id}/role`, { role: 'admin' })).statusCode, 303);
  t.equal((await asAdmin.post(`/admin/staff/${admin.id}/role`, { role: 'liaison' })).statusCode, 303, 'with another admin, stepping down is allowed');
  t.equal((await asAdmin.get('/admin/staff')).statusCode, 403, 'now a liaison');
  const other = (await login(app, LIAISON.email, LIAISON.password)).jar;
  const page = await app.inject({ url: '/admin/staff', headers: { cookie: other.header() } });
  const post = (url: string, fields: Record<string, string>) =>
    app.inject({ method: 'POST', url, headers: { ...formHeaders, cookie: other.header() }, payload: form({ _csrf: csrfFrom(page.body) ?? '', ...fields }) });
  t.equal((await post(`/admin/staff/${liaison.id}/role`, { role: 'liaison' })).statusCode, 409, 'the last admin cannot demote themselves');
  t.equal((await post(`/admin/staff/${liaison.id}/role`, { role: 'boss' })).statusCode, 400);
  t.same(
    await store.read((db) =>
      db
        .select({ n: count() })
        .from(staffUsers)
        .where(and(eq(staffUsers.role, 'admin'), eq(staffUsers.disabled, false))),
    ),
    [{ n: 1 }],
  );
  t.same(await auditActions(app), ['staff.disable', 'staff.enable', 'staff.role', 'staff.role']);
});

t.test('add-staff validation, unknown ids, CSRF and role guard', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin, asLiaison } = await staffSessions(app);
  const bad = await asAdmin.post('/admin/staff', { email: 'not an email', role: 'owner' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'href="#field-email"');
  t.match(bad.body, 'href="#field-role"');
  t.match(bad.body, 'value="not an email"');
  const duplicate = await asAdmin.post('/admin/staff', { email: LIAISON.email, role: 'admin' });
  t.equal(duplicate.statusCode, 400);
  t.match(duplicate.body, 'already exists');
  t.match(duplicate.body, 'id="role-new-admin" name="role" value="admin" checked');
  for (const url of ['/admin/staff/99/role', '/admin/staff/99/disable', '/admin/staff/99/enable', '/admin/staff/x/reset-link']) {
    t.equal((await asAdmin.post(url, { role: 'admin' })).statusCode, 404, url);
  }
  t.equal((await asAdmin.postWithoutToken('/admin/staff', { email: 'x@example.org', role: 'admin' })).statusCode, 403);
  t.equal((await asLiaison.get('/admin/staff')).statusCode, 403);
  t.equal((await asLiaison.post('/admin/staff', { email: 'x@example.org', role: 'admin' }, '/account/password')).statusCode, 403);
  t.equal(await rowCount(store, 'staff_users'), 2);
});

t.test('staff change their own password; their other sessions end', async (t) => {
  const { app } = await buildTestApp(t);
  const { asLiaison, liaisonJar } = await staffSessions(app);
  const otherDevice = (await login(app, LIAISON.email, LIAISON.password)).jar;
  const from = '/account/password';
  t.match((await asLiaison.get(from)).body, 'Change your password');
  const wrong = await asLiaison.post(from, { current: 'wrong password!', password: 'liaison new passphrase', confirm: 'liaison new passphrase' }, from);
  t.equal(wrong.statusCode, 400);
  t.match(wrong.body, 'href="#field-current"');
  const mismatch = await asLiaison.post(from, { current: LIAISON.password, password: 'liaison new passphrase', confirm: 'different' }, from);
  t.equal(mismatch.statusCode, 400);
  t.equal((await asLiaison.postWithoutToken(from, { current: LIAISON.password, password: 'x'.repeat(12), confirm: 'x'.repeat(12) })).statusCode, 403);
  const ok = await asLiaison.post(from, { current: LIAISON.password, password: 'liaison new passphrase', confirm: 'liaison new passphrase' }, from);
  t.equal(ok.statusCode, 200);
  t.match(ok.body, 'Your password is changed.');
  liaisonJar.store(ok);
  t.equal((await asLiaison.get(from)).statusCode, 200, 'this session continues');
  t.equal((await app.inject({ url: from, headers: { cookie: otherDevice.header() } })).statusCode, 303, 'the other device is logged out');
  t.equal((await login(app, LIAISON.email, 'liaison new passphrase')).res.statusCode, 303);
  t.equal((await app.inject(from)).statusCode, 303, 'anonymous visitors log in first');
  t.equal((await login(app, ADMIN.email, ADMIN.password)).res.statusCode, 303);
  t.same(await auditActions(app), ['staff.password_change']);
});
