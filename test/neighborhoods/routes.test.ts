import t from 'tap';
import { auditActions, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, rowCount } from '../helper/app.js';

t.test('admins add, rename, set the population, retire and bring back neighborhoods', async (t) => {
  const { app, store } = await buildTestApp(t);
  const all = () => store.read((db) => db.select().from(store.tables.neighborhoods));
  const { asAdmin } = await staffSessions(app);
  const created = await asAdmin.post('/admin/neighborhoods', { name: 'Old Town', slug: 'old-town', population: '12900' });
  t.equal(created.statusCode, 303);
  const [row] = await all();
  t.match(row, { slug: 'old-town', name: 'Old Town', population: 12900, retired: false });

  const list = await asAdmin.get('/admin/neighborhoods');
  t.match(list.body, '<code>old-town</code>');
  const edit = await asAdmin.get(`/admin/neighborhoods/${row.id}/edit`);
  t.match(edit.body, 'value="Old Town"');
  t.equal((await asAdmin.post(`/admin/neighborhoods/${row.id}`, { name: 'Old Town Centre', population: '' })).statusCode, 303);
  t.match((await all())[0], { name: 'Old Town Centre', population: null, slug: 'old-town' }, 'the slug stays');

  t.equal((await asAdmin.post(`/admin/neighborhoods/${row.id}/retire`, {})).statusCode, 303);
  t.same(await app.surveys.activeNeighborhoods(), [], 'a retired neighborhood leaves the resident form');
  t.notMatch((await app.inject('/surveys/community-trust')).body, 'Old Town Centre');
  t.equal((await asAdmin.post(`/admin/neighborhoods/${row.id}/unretire`, {})).statusCode, 303);
  t.equal((await app.surveys.activeNeighborhoods()).length, 1);
  t.same(await auditActions(app), ['neighborhood.create', 'neighborhood.update', 'neighborhood.retire', 'neighborhood.unretire']);
});

t.test('bad neighborhood input re-renders the form with values and linked errors', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const bad = await asAdmin.post('/admin/neighborhoods', { name: '', slug: 'Bad Slug!', population: '-3' });
  t.equal(bad.statusCode, 400);
  t.match(bad.body, 'href="#field-name"');
  t.match(bad.body, 'href="#field-slug"');
  t.match(bad.body, 'href="#field-population"');
  t.match(bad.body, 'value="Bad Slug!"');
  t.match(bad.body, 'aria-invalid="true"');
  const taken = await asAdmin.post('/admin/neighborhoods', { name: 'Riverside again', slug: 'riverside' });
  t.equal(taken.statusCode, 400);
  t.match(taken.body, 'Another neighborhood already uses this slug');
  const badEdit = await asAdmin.post('/admin/neighborhoods/1', { name: 'x', population: '1.5' });
  t.equal(badEdit.statusCode, 400);
  t.match(badEdit.body, 'whole number');
  t.equal(await rowCount(store, 'neighborhoods'), 1);
  t.equal(await rowCount(store, 'audit_log'), 0);
  for (const url of ['/admin/neighborhoods/999/edit', '/admin/neighborhoods/abc/edit']) t.equal((await asAdmin.get(url)).statusCode, 404, url);
  t.equal((await asAdmin.post('/admin/neighborhoods/999/retire', {})).statusCode, 404);
  t.equal((await asAdmin.post('/admin/neighborhoods/999', { name: 'x' })).statusCode, 404);
});

t.test('CSRF and role guard on neighborhood pages', async (t) => {
  const { app, store } = await buildTestApp(t);
  const { asAdmin, asLiaison } = await staffSessions(app);
  const noToken = await asAdmin.postWithoutToken('/admin/neighborhoods', { name: 'X', slug: 'x' });
  t.equal(noToken.statusCode, 403);
  t.equal((await asLiaison.get('/admin/neighborhoods')).statusCode, 403);
  t.equal((await asLiaison.post('/admin/neighborhoods', { name: 'X', slug: 'x' }, '/')).statusCode, 403);
  t.equal((await app.inject('/admin/neighborhoods')).statusCode, 303, 'anonymous visitors are sent to log in');
  t.equal(await rowCount(store, 'neighborhoods'), 0);
});
