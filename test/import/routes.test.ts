import { parse } from 'csv-parse/sync';
import { count, sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { addDays, dateIn } from '../../src/dates.js';
import type { Store } from '../../src/db/store.js';
import { auditActions, multipart, rollupsAndRecomputation, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, csrfFrom } from '../helper/app.js';

const rowCount = async (store: Store, table: 'responses' | 'importBatches' | 'auditLog') =>
  (await store.read((db) => db.select({ n: count() }).from(store.tables[table])))[0].n;
const rows = (store: Store, query: SQL) => store.read((db) => store.rows(db, query));

async function upload(app: FastifyInstance, jar: { header(): string }, survey: string, csv: string | Buffer | undefined, token?: string) {
  const page = await app.inject({ url: '/admin/import', headers: { cookie: jar.header() } });
  const body = multipart({ _csrf: token ?? csrfFrom(page.body) ?? '', survey }, csv === undefined ? undefined : { name: 'paper-march.csv', content: csv });
  return app.inject({ method: 'POST', url: '/admin/import', headers: { cookie: jar.header(), 'content-type': body.contentType }, payload: body.payload });
}

const good = [
  'submitted_on,neighborhood,channel,language,safety,respect,listening,top_issue,gender',
  '2026-03-02,riverside,,,7,8,6,"Speeding, mostly ""at night""",woman',
  "2026-03-03,old-town,kiosk,es,dk,10,,'=1+1,",
  '2026-03-03,old-town,paper,en,,,,"two\nlines",prefer_not',
  ',,,,,,,,',
].join('\r\n');

t.test('a good file is imported in one batch through the recorder, on a closed survey too', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  await store.transaction((tx) => tx.update(store.tables.surveys).set({ status: 'closed' }));
  const { adminJar } = await staffSessions(app);
  const res = await upload(app, adminJar, 'community-trust', good);
  t.equal(res.statusCode, 303);
  t.match(res.headers.location, /^\/admin\/import\?batch=\d+$/);
  const done = await app.inject({ url: res.headers.location as string, headers: { cookie: adminJar.header() } });
  t.match(done.body, 'Imported 3 responses from paper-march.csv as import 1.');
  t.same(await rows(store, sql`SELECT survey_id, file_name, row_count FROM import_batches`), [{ survey_id: 1, file_name: 'paper-march.csv', row_count: 3 }]);
  // Response ids are random, so rows are compared in an order of their own content.
  t.same(await rows(store, sql`SELECT submitted_on, channel, language, import_batch_id FROM responses ORDER BY submitted_on, channel`), [
    { submitted_on: '2026-03-02', channel: 'paper', language: 'en', import_batch_id: 1 },
    { submitted_on: '2026-03-03', channel: 'kiosk', language: 'es', import_batch_id: 1 },
    { submitted_on: '2026-03-03', channel: 'paper', language: 'en', import_batch_id: 1 },
  ]);
  const texts = await rows(
    store,
    sql`SELECT value_text FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.code = ${'top_issue'} ORDER BY a.value_text`,
  );
  t.same(texts, [{ value_text: '=1+1' }, { value_text: 'Speeding, mostly "at night"' }, { value_text: 'two\nlines' }], "the export's leading ' is removed");
  // Hand-computed trust of row 1: (80 + 60) / 2 = 70; row 2 has respect only: 1 of 2 items is not more than half.
  t.same(await rows(store, sql`SELECT n, sum FROM monthly_rollups WHERE measure = 'trust'`), [{ n: 1, sum: 70 }]);
  const { stored, recomputed } = await rollupsAndRecomputation(app);
  t.same(stored, recomputed);
  t.same(await auditActions(app), ['import.create']);
});

t.test('one bad row: nothing is written and each bad row and field is listed', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { adminJar } = await staffSessions(app);
  const tomorrow = addDays(dateIn('UTC'), 2);
  const csv = [
    'submitted_on,neighborhood,channel,safety,gender,top_issue',
    '2026-03-02,riverside,paper,5,woman,fine',
    `2026-02-30,atlantis,web,11,robot,${'x'.repeat(1001)}`,
    `${tomorrow},riverside,kiosk,5,,`,
  ].join('\n');
  const res = await upload(app, adminJar, 'community-trust', csv);
  t.equal(res.statusCode, 400);
  t.match(res.body, 'Nothing was imported');
  for (const [row, field] of [
    [3, 'submitted_on'],
    [3, 'channel'],
    [3, 'neighborhood'],
    [3, 'safety'],
    [3, 'gender'],
    [3, 'top_issue'],
    [4, 'submitted_on'],
  ]) {
    t.match(res.body, new RegExp(`<tr><td>${row}</td><td><code>${field}</code></td>`), `row ${row} ${field}`);
  }
  t.match(res.body, '&quot;atlantis&quot; is not a neighborhood slug');
  t.match(res.body, 'This date is in the future.');
  // Problems speak to the admin: the bad value and what the column allows.
  t.match(res.body, '&quot;11&quot; is not allowed here. Allowed: a whole number from 0 to 10 or dk (don&#x27;t know), or empty.');
  t.match(res.body, '&quot;robot&quot; is not allowed here. Allowed: one of woman, man, another, prefer_not, or empty.');
  t.match(res.body, '&quot;web&quot; is not a channel. Allowed: paper or kiosk');
  t.match(res.body, 'The answer is 1001 characters long. Allowed: text of at most 1000 characters.');
  t.notMatch(res.body, 'Please choose again');
  t.equal(await rowCount(store, 'responses'), 0);
  t.equal(await rowCount(store, 'importBatches'), 0);
  t.equal(await rowCount(store, 'auditLog'), 0);
});

t.test('unreadable files and headers are refused with the reason', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { adminJar } = await staffSessions(app);
  const cases: [string | Buffer, string][] = [
    ['neighborhood,safety,colour\nriverside,5,red', 'The column &quot;submitted_on&quot; is missing.'],
    ['submitted_on,neighborhood,colour\n2026-03-01,riverside,red', '&quot;colour&quot; is not a column of this survey'],
    ['submitted_on,neighborhood,safety,safety\n2026-03-01,riverside,5,5', 'The column &quot;safety&quot; appears twice.'],
    ['submitted_on,neighborhood\n"2026-03-01,riverside', 'The file is not valid CSV'],
    ['submitted_on,neighborhood\n', 'The file has no responses below its header row.'],
    [Buffer.from('submitted_on,neighborhood,top_issue\n2026-03-01,riverside,caf\xe9', 'latin1'), 'The file is not UTF-8 text.'],
  ];
  for (const [csv, message] of cases) {
    const res = await upload(app, adminJar, 'community-trust', csv);
    t.equal(res.statusCode, 400);
    t.match(res.body, message);
  }
  const noFile = await upload(app, adminJar, 'community-trust', undefined);
  t.equal(noFile.statusCode, 400);
  t.match(noFile.body, 'href="#field-file"');
  const noSurvey = await upload(app, adminJar, '', good);
  t.match(noSurvey.body, 'href="#field-survey"');
  const unknown = await upload(app, adminJar, 'nope', good);
  t.match(unknown.body, 'There is no survey &quot;nope&quot;.');
  t.equal(await rowCount(store, 'responses'), 0);
});

t.test('uploads: size limit, CSRF, role guard, and no multipart anywhere else', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { adminJar, liaisonJar } = await staffSessions(app);
  const big = await upload(app, adminJar, 'community-trust', 'submitted_on,neighborhood,top_issue\n' + 'x'.repeat(5 * 1024 * 1024 + 10));
  t.equal(big.statusCode, 413);
  t.match(big.body, 'The file is larger than 5 MB');
  t.match(big.body, 'href="#field-file"');
  const bigFromLiaison = multipart({ survey: 'community-trust' }, { name: 'big.csv', content: 'x'.repeat(5 * 1024 * 1024 + 10) });
  const refused = await app.inject({
    method: 'POST',
    url: '/admin/import',
    headers: { cookie: liaisonJar.header(), 'content-type': bigFromLiaison.contentType },
    payload: bigFromLiaison.payload,
  });
  t.equal(refused.statusCode, 413);
  t.notMatch(refused.body, 'community-trust', 'no import form for a liaison');
  t.equal((await upload(app, adminJar, 'community-trust', good, 'forged')).statusCode, 403);
  t.equal((await app.inject({ url: '/admin/import', headers: { cookie: liaisonJar.header() } })).statusCode, 403);
  const liaisonPost = multipart({ survey: 'community-trust' }, { name: 'a.csv', content: good });
  t.equal(
    (
      await app.inject({
        method: 'POST',
        url: '/admin/import',
        headers: { cookie: liaisonJar.header(), 'content-type': liaisonPost.contentType },
        payload: liaisonPost.payload,
      })
    ).statusCode,
    403,
  );
  const elsewhere = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': liaisonPost.contentType },
    payload: liaisonPost.payload,
  });
  t.equal(elsewhere.statusCode, 415, 'the resident form does not take uploads');
  t.equal(await rowCount(store, 'responses'), 0);
});

t.test('blank template: the header of a wide export without response_id, and an example row import skips', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin, adminJar } = await staffSessions(app);
  const res = await asAdmin.get('/admin/import/template.csv?survey=community-trust');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-disposition'], 'attachment; filename="community-trust-import-template.csv"');
  t.same(parse(res.body), [
    [
      'submitted_on',
      'neighborhood',
      'channel',
      'language',
      'safety',
      'respect',
      'listening',
      'fairness',
      'reliability',
      'responsiveness',
      'confidence',
      'top_issue',
      'age_band',
      'gender',
      'race_ethnicity',
      'years_in_neighborhood',
    ],
    ['# 2026-03-31', 'riverside', 'paper', 'en', '10', '10', '10', '5', '5', '5', '10', 'Example text', '18_24', 'woman', 'black', 'under_1'],
  ]);
  t.ok(res.body.endsWith('\r\n'));
  const withExample = `${res.body}2026-03-02,riverside,paper,en,5,,,,,,,,,,,\r\n`;
  const imported = await upload(app, adminJar, 'community-trust', withExample);
  t.equal(imported.statusCode, 303, 'the template with its example row imports');
  t.equal(await rowCount(store, 'responses'), 1, 'the example row is skipped');

  const codes = await asAdmin.get('/admin/import/codes.csv?survey=community-trust');
  t.equal(codes.statusCode, 200);
  t.equal(codes.headers['content-disposition'], 'attachment; filename="community-trust-import-codes.csv"');
  const rows = parse(codes.body);
  t.same(rows[0], ['column', 'code', 'meaning']);
  t.same(
    rows.filter((r) => r[0] === 'safety').map((r) => r[1]),
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', 'dk'],
  );
  t.ok(rows.some((r) => r[0] === 'safety' && r[1] === '0' && r[2] === '0 – Not safe at all'));
  t.ok(rows.some((r) => r[0] === 'neighborhood' && r[1] === 'riverside' && r[2] === 'Riverside'));
  t.ok(rows.some((r) => r[0] === 'gender' && r[1] === 'prefer_not' && r[2] === 'Prefer not to say'));
  t.equal((await asAdmin.get('/admin/import/codes.csv?survey=nope')).statusCode, 404);
  t.equal((await asAdmin.get('/admin/import/template.csv?survey=nope')).statusCode, 404);
  t.equal((await asAdmin.get('/admin/import/template.csv')).statusCode, 404);
});

t.test('round trip: export wide, import into a duplicated survey, export again: the same answers', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside, oldTown] = await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { adminJar, asAdmin } = await staffSessions(app);
  await seedResponses(app, [
    {
      neighborhoodId: riverside.id,
      submittedOn: '2026-01-05',
      channel: 'paper',
      answers: { safety: 0, respect: 10, fairness: 1, top_issue: '=SUM(A1:A9)', gender: 'another' },
    },
    {
      neighborhoodId: oldTown.id,
      submittedOn: '2026-02-05',
      channel: 'kiosk',
      language: 'es',
      answers: { top_issue: 'Ñ, "comillas"\ny línea', age_band: '65_plus' },
    },
    { neighborhoodId: oldTown.id, submittedOn: '2026-02-06', channel: 'paper', answers: { top_issue: '@home -now +1 \ttab' } },
    { neighborhoodId: riverside.id, submittedOn: '2026-02-07', channel: 'paper', answers: {} },
  ]);
  const copy = await asAdmin.post('/admin/surveys/1/duplicate', { slug: 'community-trust-copy' });
  t.equal(copy.statusCode, 303);
  const first = (await asAdmin.get('/admin/export.csv?survey=community-trust')).body;
  t.equal((await upload(app, adminJar, 'community-trust-copy', first)).statusCode, 303);
  const second = (await asAdmin.get('/admin/export.csv?survey=community-trust-copy')).body;
  const withoutIds = (csv: string) => parse(csv).map((row) => row.slice(1));
  t.same(withoutIds(second), withoutIds(first));
  t.equal(withoutIds(first).length, 5);
});
