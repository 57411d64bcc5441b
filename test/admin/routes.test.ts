import t from 'tap';
import { audit } from '../../src/audit/record.js';
import { staffSessions } from '../helper/admin.js';
import { buildTestApp } from '../helper/app.js';

t.test('the admin home links every admin page', async (t) => {
  const { app } = await buildTestApp(t);
  const { asAdmin, asLiaison } = await staffSessions(app);
  const home = await asAdmin.get('/admin');
  t.equal(home.statusCode, 200);
  for (const href of [
    '/admin/surveys',
    '/admin/neighborhoods',
    '/admin/staff',
    '/admin/export',
    '/admin/import',
    '/admin/responses',
    '/admin/audit',
    '/account/password',
  ]) {
    t.match(home.body, `href="${href}"`, href);
  }
  t.equal((await asLiaison.get('/admin')).statusCode, 403);
});

t.test('the audit log: newest first, who, what, which record, paginated with links', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { admin, asAdmin, asLiaison } = await staffSessions(app);
  await store.transaction(async (tx) => {
    for (let i = 1; i <= 120; i++)
      await audit(tx, store.tables, {
        userId: i % 2 ? admin.id : null,
        action: `test.action${i}`,
        entity: 'survey',
        entityId: i,
        details: { n: i, note: '<script>' },
      });
  });
  const first = await asAdmin.get('/admin/audit');
  t.equal(first.statusCode, 200);
  t.match(first.body, '120 entries; page 1 of 3.');
  const actions = [...first.body.matchAll(/<code>test\.action(\d+)<\/code>/g)].map((m) => Number(m[1]));
  t.same(
    actions,
    Array.from({ length: 50 }, (_, i) => 120 - i),
    'newest first, 50 a page',
  );
  t.match(first.body, 'admin@example.org');
  t.match(first.body, 'system or command line');
  t.match(first.body, '<strong>n:</strong> 120</span>; <span class="detail"><strong>note:</strong> &lt;script&gt;</span>', 'details readable and escaped');
  t.match(first.body, '<a href="/admin/audit?page&#x3D;2" rel="next">Older entries</a>');
  t.notMatch(first.body, 'rel="prev"');
  const byAdmin = await asAdmin.get(`/admin/audit?who=${admin.id}`);
  t.match(byAdmin.body, '60 entries match; page 1 of 2.', 'filtered by person');
  t.match(byAdmin.body, `<a href="/admin/audit?who&#x3D;${admin.id}&amp;page&#x3D;2" rel="next">`, 'pages keep the filter');
  t.match((await asAdmin.get('/admin/audit?who=system&action=test.action4')).body, '1 entries match', 'filtered by action and the command line');
  t.match((await asAdmin.get('/admin/audit?from=2001-01-01&to=2001-01-31')).body, 'Nothing has been recorded that matches.', 'filtered by date');
  const last = await asAdmin.get('/admin/audit?page=3');
  t.match(last.body, '<a href="/admin/audit?page&#x3D;2" rel="prev">Newer entries</a>');
  t.notMatch(last.body, 'rel="next"');
  t.same(
    [...last.body.matchAll(/<code>test\.action(\d+)<\/code>/g)].map((m) => Number(m[1])),
    Array.from({ length: 20 }, (_, i) => 20 - i),
  );
  t.match((await asAdmin.get('/admin/audit?page=99')).body, 'page 3 of 3', 'past the end: the last page');
  t.match((await asAdmin.get('/admin/audit?page=abc')).body, 'page 1 of 3');
  t.equal((await asLiaison.get('/admin/audit')).statusCode, 403);
});

t.test('the audit log shows local times and filters by local days (TIME_ZONE)', async (t) => {
  const { app, store } = await buildTestApp(t, { TIME_ZONE: 'America/Chicago' });
  const { asAdmin } = await staffSessions(app);
  // 03:30 UTC on 2 March is still 1 March (21:30) in Chicago.
  await store.transaction((tx) =>
    tx.insert(store.tables.auditLog).values({ at: '2026-03-02T03:30:00.000Z', action: 'test.late', entity: 'survey', entityId: '1' }),
  );
  const page = await asAdmin.get('/admin/audit');
  t.match(page.body, 'When (America/Chicago)');
  t.match(page.body, '<time datetime="2026-03-02T03:30:00.000Z">Mar 1, 2026, 9:30:00 PM</time>');
  t.match((await asAdmin.get('/admin/audit?from=2026-03-01&to=2026-03-01')).body, '<code>test.late</code>', 'counted on its local day');
  t.notMatch((await asAdmin.get('/admin/audit?from=2026-03-02&to=2026-03-02')).body, '<code>test.late</code>');
});

t.test('an empty audit log says so', async (t) => {
  const { app } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  t.match((await asAdmin.get('/admin/audit')).body, 'Nothing has been recorded yet.');
});
