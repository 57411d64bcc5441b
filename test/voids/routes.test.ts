import { parse } from 'csv-parse/sync';
import { and, count, eq, inArray } from 'drizzle-orm';
import t from 'tap';
import { first, type Store } from '../../src/db/store.js';
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

function trustRollup(store: Store, month: string, neighborhoodId: number) {
  const { monthlyRollups } = store.tables;
  return store.read((db) =>
    first(
      db
        .select({ n: monthlyRollups.n, sum: monthlyRollups.sum, sum_squares: monthlyRollups.sumSquares })
        .from(monthlyRollups)
        .where(and(eq(monthlyRollups.measure, 'trust'), eq(monthlyRollups.month, month), eq(monthlyRollups.neighborhoodId, neighborhoodId))),
    ),
  );
}

const voidState = (store: Store, id: number) => {
  const { responses } = store.tables;
  return store.read((db) => first(db.select({ voided: responses.voided, void_reason: responses.voidReason }).from(responses).where(eq(responses.id, id))));
};

t.test('voiding takes a response out of the rollups and the export; restoring brings it back', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside, oldTown] = await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin } = await staffSessions(app);
  const ids = await seedResponses(app, [
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 8, listening: 6, safety: 3 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { respect: 4, listening: 2 } },
    { neighborhoodId: oldTown.id, submittedOn: '2026-03-02', answers: { respect: 10, listening: 10, fairness: 5 } },
  ]);
  // Hand-computed trust: (80 + 60) / 2 = 70 and (40 + 20) / 2 = 30 on 2026-03-01.
  t.same(await trustRollup(store, '2026-03-01', riverside.id), { n: 2, sum: 100, sum_squares: 70 ** 2 + 30 ** 2 });

  const page = await asAdmin.get(`/admin/responses?id=${ids[0]}`);
  t.match(page.body, `Response ${ids[0]}`);
  t.match(page.body, 'Counted');
  const asked = await asAdmin.post(`/admin/responses/${ids[0]}/void`, { reason: 'entered twice' });
  t.match(asked.body, `Void response ${ids[0]}?`);
  t.match(asked.body, '<input type="hidden" name="reason" value="entered twice">', 'the reason is carried to the confirmation');
  t.same(await voidState(store, ids[0]), { voided: false, void_reason: null }, 'nothing voided before the confirmation');
  const voided = await asAdmin.post(`/admin/responses/${ids[0]}/void`, { reason: 'entered twice', confirmed: 'yes' });
  t.equal(voided.statusCode, 303);
  t.same(await voidState(store, ids[0]), { voided: true, void_reason: 'entered twice' });
  t.same(await trustRollup(store, '2026-03-01', riverside.id), { n: 1, sum: 30, sum_squares: 900 });
  t.same(
    await store.read((db) => db.select({ n: count() }).from(store.tables.monthlyRollups).where(eq(store.tables.monthlyRollups.measure, 'safety'))),
    [{ n: 0 }],
    'an emptied cell is gone',
  );
  let { stored, recomputed } = await rollupsAndRecomputation(app);
  t.ok(close(stored, recomputed), 'rollups equal a recomputation from raw scores');
  const exported = parse((await asAdmin.get('/admin/export.csv?survey=community-trust')).body)
    .slice(1)
    .map((r) => Number(r[0]));
  t.same(exported, [ids[1], ids[2]], 'a voided response is not exported');
  t.match((await asAdmin.get(`/admin/responses?id=${ids[0]}`)).body, 'Voided: entered twice');

  t.equal((await asAdmin.post(`/admin/responses/${ids[0]}/restore`, {})).statusCode, 303);
  t.same(await trustRollup(store, '2026-03-01', riverside.id), { n: 2, sum: 100, sum_squares: 70 ** 2 + 30 ** 2 });
  ({ stored, recomputed } = await rollupsAndRecomputation(app));
  t.ok(close(stored, recomputed));
  t.equal(stored.length, recomputed.length);
  t.same(await voidState(store, ids[0]), { voided: false, void_reason: null });
  t.equal((await asAdmin.post(`/admin/responses/${ids[0]}/restore`, {})).statusCode, 303, 'restoring twice changes nothing');
  t.same(await auditActions(app), ['response.void', 'export.wide', 'response.restore']);
});

t.test('voiding and restoring a whole import batch', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin, admin, adminJar } = await staffSessions(app);
  const next = async () => (await app.inject({ url: '/admin/responses', headers: { cookie: adminJar.header() } })).body;
  const { importBatches, responses } = store.tables;
  const [{ id: batch }] = await store.transaction((tx) =>
    tx.insert(importBatches).values({ surveyId: 1, fileName: 'paper.csv', rowCount: 2, createdBy: admin.id }).returning({ id: importBatches.id }),
  );
  const ids = await seedResponses(app, [
    { neighborhoodId: riverside.id, submittedOn: '2026-03-01', channel: 'paper', answers: { respect: 5, listening: 5 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-03', channel: 'paper', answers: { respect: 9, listening: 7 } },
    { neighborhoodId: riverside.id, submittedOn: '2026-03-03', answers: { respect: 1, listening: 1 } },
  ]);
  await store.transaction((tx) =>
    tx
      .update(responses)
      .set({ importBatchId: batch })
      .where(inArray(responses.id, [ids[0], ids[1]])),
  );
  const before = (await rollupsAndRecomputation(app)).stored;

  const missingReason = await asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: ' ' });
  t.equal(missingReason.statusCode, 400);
  t.match(missingReason.body, `href="#field-batch-${batch}-reason"`);
  t.match(missingReason.body, `id="field-batch-${batch}-reason" name="reason" aria-invalid="true"`);

  const voided = await asAdmin.post(`/admin/import/batches/${batch}/void`, { reason: 'wrong file', confirmed: 'yes' });
  t.equal(voided.statusCode, 303);
  t.match(await next(), '2 responses voided', 'a message says it is done');
  t.same(await trustRollup(store, '2026-03-01', riverside.id), { n: 1, sum: 10, sum_squares: 100 });
  t.ok(close((await rollupsAndRecomputation(app)).stored, (await rollupsAndRecomputation(app)).recomputed));
  await asAdmin.post(`/admin/import/batches/${batch}/restore`, {});
  t.match(await next(), '2 responses restored');
  t.ok(close((await rollupsAndRecomputation(app)).stored, before), 'back to exactly what it was');
  t.same(await auditActions(app), ['import.void', 'import.restore']);
});

t.test('the voider keeps rollups equal to a recomputation through many voids and restores', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [a, b] = await addNeighborhoods(store, 'Alpha', 'Beta');
  const ids = await seedResponses(
    app,
    Array.from({ length: 60 }, (_, i) => ({
      neighborhoodId: i % 3 ? a.id : b.id,
      submittedOn: `2026-03-0${1 + (i % 4)}`,
      answers: { respect: i % 11, listening: (i * 7) % 11, fairness: 1 + (i % 5), safety: (i * 3) % 11 },
    })),
  );
  const voider = createResponseVoider(store, 'UTC');
  await store.transaction((tx) => voider.setVoided(tx, { ids: ids.filter((_, i) => i % 4 === 0 || i % 7 === 0) }, true, 'test'));
  let { stored, recomputed } = await rollupsAndRecomputation(app);
  t.ok(close(stored, recomputed), 'after voiding');
  await store.transaction(async (tx) => {
    // One at a time, as the admin page restores them.
    for (const id of ids.filter((_, i) => i % 8 === 0)) await voider.setVoided(tx, { ids: [id] }, false);
  });
  ({ stored, recomputed } = await rollupsAndRecomputation(app));
  t.ok(close(stored, recomputed), 'after restoring some');
  t.equal(await store.transaction((tx) => voider.setVoided(tx, { ids: [999999] }, true, 'x')), 0, 'an unknown response changes nothing');
});

t.test('void pages: validation, unknown ids, CSRF and role guard', async (t) => {
  const { app, store } = await buildTestApp(t);
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
  t.same(await store.read((db) => db.select({ voided: store.tables.responses.voided }).from(store.tables.responses)), [{ voided: false }]);
});
