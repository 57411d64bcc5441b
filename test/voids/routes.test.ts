import { parse } from 'csv-parse/sync';
import t from 'tap';
import { createResponseVoider } from '../../src/survey/response-recorder.js';
import { auditActions, rollupsAndRecomputation, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';

const close = (a: unknown[], b: unknown[]) =>
  a.length === b.length &&
  a.every((row, i) =>
    Object.entries(row as Record<string, number | string>).every(([k, v]) => {
      const other = (b[i] as Record<string, number | string>)[k];
      return typeof v === 'number' ? Math.abs(v - (other as number)) < 1e-6 : v === other;
    }),
  );

function trustRollup(app: Awaited<ReturnType<typeof buildTestApp>>['app'], day: string) {
  return app.database.sqlite.prepare("SELECT n, sum, sum_squares FROM daily_rollups WHERE measure = 'trust' AND day = ?").get(day);
}

t.test('voiding takes a response out of the rollups and the export; restoring brings it back', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  const [riverside, oldTown] = await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin } = await staffSessions(app);
  const ids = await seedResponses(app, [
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 8, listening: 6, safety: 3 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 4, listening: 2 } },
    { neighborhoodId: oldTown.id, submittedOn: '2026-03-02', answers: { respect: 10, listening: 10, fairness: 5 } },
  ]);
  // Hand-computed trust: (80 + 60) / 2 = 70 and (40 + 20) / 2 = 30 on 2026-03-01.
  t.same(trustRollup(app, '2026-03-01'), { n: 2, sum: 100, sum_squares: 70 ** 2 + 30 ** 2 });

  const page = await asAdmin.get(`/admin/responses?id=${ids[0]}`);
  t.match(page.body, `Response ${ids[0]}`);
  t.match(page.body, 'Counted');
  const asked = await asAdmin.post(`/admin/responses/${ids[0]}/void`, { reason: 'entered twice' });
  t.match(asked.body, `Void response ${ids[0]}?`);
  t.match(asked.body, '<input type="hidden" name="reason" value="entered twice">', 'the reason is carried to the confirmation');
  t.same(database.sqlite.prepare('SELECT voided FROM responses WHERE id = ?').get(ids[0]), { voided: 0 }, 'nothing voided before the confirmation');
  const voided = await asAdmin.post(`/admin/responses/${ids[0]}/void`, { reason: 'entered twice', confirmed: 'yes' });
  t.equal(voided.statusCode, 303);
  t.same(database.sqlite.prepare('SELECT voided, void_reason FROM responses WHERE id = ?').get(ids[0]), { voided: 1, void_reason: 'entered twice' });
  t.same(trustRollup(app, '2026-03-01'), { n: 1, sum: 30, sum_squares: 900 });
  t.same(database.sqlite.prepare("SELECT count(*) AS n FROM daily_rollups WHERE measure = 'safety'").get(), { n: 0 }, 'an emptied cell is gone');
  let { stored, recomputed } = rollupsAndRecomputation(app);
  t.ok(close(stored, recomputed), 'rollups equal a recomputation from raw scores');
  const exported = parse((await asAdmin.get('/admin/export.csv?survey=community-trust')).body)
    .slice(1)
    .map((r) => Number(r[0]));
  t.same(exported, [ids[1], ids[2]], 'a voided response is not exported');
  t.match((await asAdmin.get(`/admin/responses?id=${ids[0]}`)).body, 'Voided: entered twice');

  t.equal((await asAdmin.post(`/admin/responses/${ids[0]}/restore`, {})).statusCode, 303);
  t.same(trustRollup(app, '2026-03-01'), { n: 2, sum: 100, sum_squares: 70 ** 2 + 30 ** 2 });
  ({ stored, recomputed } = rollupsAndRecomputation(app));
  t.ok(close(stored, recomputed));
  t.equal(stored.length, recomputed.length);
  t.same(database.sqlite.prepare('SELECT voided, void_reason FROM responses WHERE id = ?').get(ids[0]), { voided: 0, void_reason: null });
  t.equal((await asAdmin.post(`/admin/responses/${ids[0]}/restore`, {})).statusCode, 303, 'restoring twice changes nothing');
  t.same(auditActions(app), ['response.void', 'export.wide', 'response.restore']);
});

t.test('voiding and restoring a whole import batch', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin, admin, adminJar } = await staffSessions(app);
  const next = async () => (await app.inject({ url: '/admin/responses', headers: { cookie: adminJar.header() } })).body;
  const batch = database.sqlite
    .prepare("INSERT INTO import_batches (survey_id, file_name, row_count, created_by) VALUES (1, 'paper.csv', 2, ?)")
    .run(admin.id).lastInsertRowid;
  const ids = await seedResponses(app, [
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', channel: 'paper', answers: { respect: 5, listening: 5 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-03', channel: 'paper', answers: { respect: 9, listening: 7 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-03', answers: { respect: 1, listening: 1 } },
  ]);
  database.sqlite.prepare('UPDATE responses SET import_batch_id = ? WHERE id IN (?, ?)').run(batch, ids[0], ids[1]);
  const before = rollupsAndRecomputation(app).stored;

  const missingReason = await asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: ' ' });
  t.equal(missingReason.statusCode, 400);
  t.match(missingReason.body, `href="#field-batch-${batch}-reason"`);
  t.match(missingReason.body, `id="field-batch-${batch}-reason" name="reason" aria-invalid="true"`);

  const voided = await asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: 'wrong file', confirmed: 'yes' });
  t.equal(voided.statusCode, 303);
  t.match(await next(), '2 responses voided', 'a message says it is done');
  t.same(trustRollup(app, '2026-03-03'), { n: 1, sum: 10, sum_squares: 100 });
  t.ok(close(rollupsAndRecomputation(app).stored, rollupsAndRecomputation(app).recomputed));
  await asAdmin.post(`/admin/import/batches/${batch}/restore`, {});
  t.match(await next(), '2 responses restored');
  t.ok(close(rollupsAndRecomputation(app).stored, before), 'back to exactly what it was');
  t.same(auditActions(app), ['import.void', 'import.restore']);
});

t.test('the voider keeps rollups equal to a recomputation through many voids and restores', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  const [a, b] = await addNeighborhoods(store, 'Alpha', 'Beta');
  const ids = await seedResponses(
    app,
    Array.from({ length: 60 }, (_, i) => ({
      neighborhoodId: i % 3 ? a.id : b.id,
      submittedOn: `2026-03-0${1 + (i % 4)}`,
      answers: { respect: i % 11, listening: (i * 7) % 11, fairness: 1 + (i % 5), safety: (i * 3) % 11 },
    })),
  );
  const voider = createResponseVoider(database.sqlite);
  database.sqlite.transaction(() => ids.filter((_, i) => i % 4 === 0 || i % 7 === 0).forEach((id) => voider.setVoided(id, true, 'test')))();
  let { stored, recomputed } = rollupsAndRecomputation(app);
  t.ok(close(stored, recomputed), 'after voiding');
  database.sqlite.transaction(() => ids.filter((_, i) => i % 8 === 0).forEach((id) => voider.setVoided(id, false)))();
  ({ stored, recomputed } = rollupsAndRecomputation(app));
  t.ok(close(stored, recomputed), 'after restoring some');
  t.notOk(voider.setVoided(999999, true, 'x'), 'an unknown response changes nothing');
});

t.test('void pages: validation, unknown ids, CSRF and role guard', async (t) => {
  const { app, store, database } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin, asLiaison } = await staffSessions(app);
  const [id] = await seedResponses(app, [{ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 5 } }]);
  const noReason = await asAdmin.post(`/admin/responses/${id}/void`, { reason: '' });
  t.equal(noReason.statusCode, 400);
  t.match(noReason.body, 'href="#field-reason"');
  t.equal((await asAdmin.get('/admin/responses?id=424242')).statusCode, 404);
  t.match((await asAdmin.get('/admin/responses')).body, 'No file has been imported yet.');
  for (const url of ['/admin/responses/424242/void', '/admin/responses/x/restore', '/admin/import/batches/9/void', '/admin/import/batches/9/restore']) {
    t.equal((await asAdmin.post(url, { reason: 'r' })).statusCode, 404, url);
  }
  t.equal((await asAdmin.postWithoutToken(`/admin/responses/${id}/void`, { reason: 'spam' })).statusCode, 403);
  t.equal((await asLiaison.get('/admin/responses')).statusCode, 403);
  t.equal((await asLiaison.post(`/admin/responses/${id}/void`, { reason: 'spam' }, '/')).statusCode, 403);
  t.same(database.sqlite.prepare('SELECT voided FROM responses').get(), { voided: 0 });
});
