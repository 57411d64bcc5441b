import t from 'tap';
import { recordAudit } from '../../src/audit/record.js';
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
  const { app } = await buildTestApp(t);
  const { admin, asAdmin, asLiaison } = await staffSessions(app);
  for (let i = 1; i <= 120; i++)
    recordAudit(app.database.db, {
      userId: i % 2 ? admin.id : null,
      action: `test.action${i}`,
      entity: 'survey',
      entityId: i,
      details: { n: i, note: '<script>' },
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
  t.match(first.body, '{&quot;n&quot;:120,&quot;note&quot;:&quot;&lt;script&gt;&quot;}', 'details escaped');
  t.match(first.body, '<a href="/admin/audit?page&#x3D;2" rel="next">Older entries</a>');
  t.notMatch(first.body, 'rel="prev"');
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

t.test('an empty audit log says so', async (t) => {
  const { app } = await buildTestApp(t);
  const { asAdmin } = await staffSessions(app);
  t.match((await asAdmin.get('/admin/audit')).body, 'Nothing has been recorded yet.');
});
