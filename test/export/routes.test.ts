import { parse } from 'csv-parse/sync';
import { once } from 'node:events';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { desc, eq, sql } from 'drizzle-orm';
import t from 'tap';
import { dateIn } from '../../src/dates.js';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { exportCsvStream, exportQuery } from '../../src/export/stream.js';
import { auditActions, seedResponses, staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, testDialect, csrfFrom, form } from '../helper/app.js';

const tricky = [
  'He said "hi", then left',
  'line one\nline two\r\nline three',
  'Ñandú café — 信頼 😀',
  '=HYPERLINK("http://evil.example","click")',
  '+1 555',
  '-2 degrees',
  '@SUM(A1)',
  '\tindented',
  '\rcarriage',
];

t.test('wide and long exports: parsed with csv-parse, every value back, formulas neutralised', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside, oldTown] = await addNeighborhoods(store, 'Riverside', 'Old Town');
  const { asAdmin } = await staffSessions(app);
  const ids = await seedResponses(
    app,
    tricky.map((text, i) => ({
      neighborhoodId: i % 2 ? oldTown.id : riverside.id,
      submittedOn: `2026-03-0${1 + (i % 9)}`,
      channel: 'qr',
      language: i % 2 ? 'es' : 'en',
      answers: { safety: i, respect: 10, gender: 'woman', top_issue: text },
    })),
  );
  const emptyId = (await seedResponses(app, [{ neighborhoodId: riverside.id, submittedOn: '2026-03-09', answers: {} }]))[0];

  const res = await asAdmin.get('/admin/export.csv?survey=community-trust&format=wide');
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
  t.equal(res.headers['content-disposition'], `attachment; filename="community-trust-wide-${dateIn('UTC')}.csv"`);
  t.notOk(res.body.startsWith('\ufeff'), 'no BOM unless asked');
  t.ok(
    res.body.endsWith('\r\n') &&
      !/[^\r]\n(?![^"]*")/.test(
        res.body
          .split('"')
          .filter((_, i) => i % 2 === 0)
          .join(''),
      ),
    'records end in CRLF',
  );
  const rows: string[][] = parse(res.body, { relax_column_count: false });
  t.same(rows[0].slice(0, 10), [
    'response_id',
    'submitted_on',
    'neighborhood',
    'channel',
    'language',
    'weight',
    'mailing_id',
    'safety',
    'respect',
    'listening',
  ]);
  t.equal(rows.length, tricky.length + 2);
  const header = rows[0];
  const col = (row: string[], name: string) => row[header.indexOf(name)];
  const expected = (text: string) => (/^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
  t.same(
    rows.slice(1).map((r) => r[1]),
    rows
      .slice(1)
      .map((r) => r[1])
      .sort(),
    'rows by date',
  );
  // Within a date the order is the random response id's, which says nothing about when each arrived.
  const rowOf = (id: number) => rows.find((r) => r[0] === String(id))!;
  tricky.forEach((text, i) => {
    const row = rowOf(ids[i]);
    t.equal(col(row, 'top_issue'), expected(text), JSON.stringify(text));
    t.equal(col(row, 'safety'), String(i));
    t.equal(col(row, 'listening'), '', 'no answer: empty');
    t.equal(col(row, 'gender'), 'woman');
    t.equal(col(row, 'neighborhood'), i % 2 ? 'old-town' : 'riverside');
    t.equal(col(row, 'language'), i % 2 ? 'es' : 'en');
  });
  t.same(rowOf(emptyId).slice(0, 7), [String(emptyId), '2026-03-09', 'riverside', 'web', 'en', '', ''], 'a response without answers is a row');

  const long = await asAdmin.get('/admin/export.csv?survey=community-trust&format=long&bom=on');
  t.ok(long.body.startsWith('\ufeff'), 'BOM when asked');
  const longRows: string[][] = parse(long.body, { bom: true });
  t.same(longRows[0], ['response_id', 'submitted_on', 'neighborhood', 'channel', 'language', 'weight', 'mailing_id', 'question_code', 'value', 'label']);
  t.equal(longRows.length, 1 + tricky.length * 4, 'one row per answer; none for an empty response');
  const first = longRows.findIndex((r) => r[0] === String(ids[0]));
  t.same(longRows[first], [String(ids[0]), '2026-03-01', 'riverside', 'qr', 'en', '', '', 'safety', '0', '0 – Not safe at all']);
  t.same(longRows[first + 1], [String(ids[0]), '2026-03-01', 'riverside', 'qr', 'en', '', '', 'respect', '10', '10 – Strongly agree']);
  t.same(longRows[first + 2], [String(ids[0]), '2026-03-01', 'riverside', 'qr', 'en', '', '', 'top_issue', tricky[0], '']);
  t.same(longRows[first + 3], [String(ids[0]), '2026-03-01', 'riverside', 'qr', 'en', '', '', 'gender', 'woman', 'Woman']);
  t.same(await auditActions(app), ['export.wide', 'export.long']);
  const { auditLog } = store.tables;
  const [last] = await store.read((db) => db.select({ details: auditLog.details }).from(auditLog).orderBy(desc(auditLog.id)).limit(1));
  t.match(last.details, { survey: 'community-trust', format: 'long', bom: true, channel: null });

  // Once weighted, each response's census weight is in its row (a neighborhood without margins: its population, or 1 each).
  await app.weighting.runStale();
  const weighted: string[][] = parse((await asAdmin.get('/admin/export.csv?survey=community-trust&format=wide')).body);
  const stored = new Map(
    (await store.read((db) => db.select({ id: store.tables.responses.id, weight: store.tables.responses.weight }).from(store.tables.responses))).map((r) => [
      String(r.id),
      r.weight,
    ]),
  );
  t.ok(
    weighted.slice(1).every((row) => row[5] !== '' && Number(row[5]) === stored.get(row[0])),
    'the weight column is the stored weight',
  );
});

t.test('survey text in an export is neutralised too', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { asAdmin } = await staffSessions(app);
  const { questions } = store.tables;
  await store.transaction((tx) =>
    tx
      .update(questions)
      .set({ options: [{ value: 'woman', label: { en: "=cmd|' /C calc'!A0" } }] })
      .where(eq(questions.code, 'gender')),
  );
  await seedResponses(app, [{ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { gender: 'woman' } }]);
  const rows: string[][] = parse((await asAdmin.get('/admin/export.csv?survey=community-trust&format=long')).body);
  t.equal(rows[1][9], "'=cmd|' /C calc'!A0");
});

t.test('filters: dates, neighborhoods, channel; voided responses are left out', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [a, b, c] = await addNeighborhoods(store, 'Alpha', 'Beta', 'Gamma');
  const { asAdmin } = await staffSessions(app);
  const ids = await seedResponses(app, [
    { neighborhoodId: a.id, submittedOn: '2026-01-31', answers: { safety: 1 } },
    { neighborhoodId: a.id, submittedOn: '2026-02-01', answers: { safety: 2 } },
    { neighborhoodId: b.id, submittedOn: '2026-02-15', channel: 'paper', answers: { safety: 3 } },
    { neighborhoodId: c.id, submittedOn: '2026-02-28', answers: { safety: 4 } },
    { neighborhoodId: a.id, submittedOn: '2026-03-01', answers: { safety: 5 } },
  ]);
  const { responses } = store.tables;
  await store.transaction((tx) => tx.update(responses).set({ voided: true }).where(eq(responses.id, ids[3])));
  const idsOf = async (query: Record<string, string | string[]>) =>
    parse((await asAdmin.get(`/admin/export.csv?${form({ survey: 'community-trust', ...query })}`)).body)
      .slice(1)
      .map((r) => Number(r[0]));
  t.same(await idsOf({}), [ids[0], ids[1], ids[2], ids[4]]);
  t.same(await idsOf({ from: '2026-02-01', to: '2026-02-28' }), [ids[1], ids[2]], 'both ends included');
  t.same(await idsOf({ neighborhood: ['beta', 'gamma'] }), [ids[2]]);
  t.same(await idsOf({ channel: 'paper' }), [ids[2]]);
  t.same(await idsOf({ neighborhood: '', channel: '', from: '', to: '' }), [ids[0], ids[1], ids[2], ids[4]], 'empty filters mean all');
});

t.test('bad export filters re-render the form; liaisons may not export', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { asAdmin, asLiaison } = await staffSessions(app);
  const page = await asAdmin.get('/admin/export');
  t.equal(page.statusCode, 200);
  t.match(page.body, '<option value="community-trust">');
  t.match(page.body, 'id="neighborhood-riverside"');
  const missing = await asAdmin.get('/admin/export.csv?from=2026-02-30&to=2026-01-01&format=tall&channel=fax');
  t.equal(missing.statusCode, 400);
  for (const field of ['survey', 'from', 'format', 'channel']) t.match(missing.body, `href="#field-${field}"`, field);
  t.match(missing.body, 'value="2026-02-30"', 'values kept');
  const reversed = await asAdmin.get('/admin/export.csv?survey=community-trust&from=2026-02-01&to=2026-01-01');
  t.match(reversed.body, 'The last date must not be before the first date.');
  const unknown = await asAdmin.get('/admin/export.csv?survey=nope');
  t.equal(unknown.statusCode, 400);
  t.match(unknown.body, 'There is no survey');
  const badPlace = await asAdmin.get('/admin/export.csv?survey=community-trust&neighborhood=atlantis&neighborhood=riverside');
  t.equal(badPlace.statusCode, 400);
  t.match(badPlace.body, 'Unknown neighborhood: atlantis.');
  t.match(badPlace.body, 'id="neighborhood-riverside" name="neighborhood" value="riverside" checked');
  t.equal((await asLiaison.get('/admin/export.csv?survey=community-trust')).statusCode, 403);
  t.equal((await asLiaison.get('/admin/export')).statusCode, 403);
  t.same(await auditActions(app), [], 'refused exports are not audited');
});

/** Starts a GET over real HTTP; resolves with the response as soon as its headers arrive. */
function startDownload(url: string, cookie: string) {
  return new Promise<{ res: IncomingMessage }>((resolve, reject) => {
    const req = httpRequest(url, { headers: { cookie } }, (res) => resolve({ res }));
    req.on('error', reject);
    req.end();
  });
}

t.test('a submission arriving mid-export succeeds; the export streams its own snapshot', async (t) => {
  const { app, store } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  const { adminJar } = await staffSessions(app);
  const filler = 'x'.repeat(900);
  await seedResponses(
    app,
    Array.from({ length: 4000 }, (_, i) => ({ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { safety: i % 11, top_issue: filler } })),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const token = csrfFrom((await app.inject({ url: '/admin/export', headers: { cookie: adminJar.header() } })).body)!;
  const { res } = await startDownload(`http://127.0.0.1:${port}/admin/export.csv?survey=community-trust&_csrf=${encodeURIComponent(token)}`, adminJar.header());
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) =>
    res.once('data', (c: Buffer) => {
      chunks.push(c);
      res.pause();
      resolve();
    }),
  );
  const submit = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form({ neighborhood: 'riverside', q_safety: '7' }),
  });
  t.equal(submit.statusCode, 303, 'the resident is not blocked by the export');
  const [count] = await store.read((db) => store.rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM responses`));
  t.equal(count.n, 4001);
  res.on('data', (c: Buffer) => chunks.push(c));
  res.resume();
  await once(res, 'end');
  const rows: string[][] = parse(Buffer.concat(chunks).toString('utf8'));
  t.equal(rows.length, 4001, 'header and the 4000 responses that existed when it started');
  t.equal(rows[4000][rows[0].indexOf('top_issue')], filler);
});

// SQLite's reader and query planner; the PostgreSQL cursor's contract is in test/db/store-contract.test.ts.
const sqliteOnly = { skip: testDialect === 'sqlite' ? false : "SQLite's own export reader and query plan" };

t.test('destroying the export stream (the client went away) stops the query and closes its connection', sqliteOnly, async (t) => {
  const { app, store, config, database } = await buildTestApp(t);
  const [riverside] = await addNeighborhoods(store, 'Riverside');
  await seedResponses(
    app,
    Array.from({ length: 2000 }, () => ({ neighborhoodId: riverside.id, submittedOn: '2026-03-01', answers: { top_issue: 'y'.repeat(900) } })),
  );
  // A write the log still holds when the export starts, so that its reader reads the log too.
  database.sqlite.pragma('wal_autocheckpoint = 0');
  await store.transaction((tx) => tx.insert(store.tables.settings).values({ key: 'export-test', value: '1' }));
  // SQLite resets its log only once no reader still reads from it: a reader of our export holds it.
  const checker = openDatabase(config.DATABASE_PATH);
  t.teardown(() => checker.close());
  checker.sqlite.pragma('busy_timeout = 0');
  const logHeld = () => (checker.sqlite.pragma('wal_checkpoint(RESTART)') as { busy: number }[])[0].busy === 1;
  t.notOk(logHeld(), 'before the export, nothing holds the log');
  await store.transaction((tx) => tx.update(store.tables.settings).set({ value: '2' }).where(eq(store.tables.settings.key, 'export-test')));

  const { survey, questions } = (await app.surveys.findWithQuestions('community-trust'))!;
  const stream = exportCsvStream(store, { survey, questions, neighborhoodIds: [], format: 'wide', bom: false });
  // The header comes first; the next chunk holds a response.
  let chunks = 0;
  await new Promise((resolve) => stream.on('data', () => ++chunks === 2 && resolve(stream.pause())));
  t.ok(logHeld(), 'paused mid-way, the export still reads: its query is open');
  await store.transaction((tx) => tx.update(store.tables.settings).set({ value: '3' }).where(eq(store.tables.settings.key, 'export-test')));
  t.pass('meanwhile a write commits: the app’s connection is not held');
  const closed = once(stream, 'close');
  stream.destroy();
  await closed;
  let held = true;
  for (let tries = 0; held && tries < 200; tries++) {
    await new Promise((r) => setTimeout(r, 10));
    held = logHeld();
  }
  t.notOk(held, 'once the reader stopped, its query ended and its connection let go');
});

t.test('the export query streams in index order: SQLite never sorts the whole export first', sqliteOnly, async (t) => {
  const { app, store } = await buildTestApp(t);
  const { survey, questions } = (await app.surveys.findWithQuestions('community-trust'))!;
  for (const format of ['wide', 'long'] as const) {
    for (const filters of [{}, { from: '2026-01-01', to: '2026-02-01' }, { neighborhoodIds: [1, 2], channel: 'paper' as const }]) {
      const query = exportQuery({ survey, questions, neighborhoodIds: [], format, bom: false, ...filters });
      const plan = (await store.read((db) => store.rows<{ detail: string }>(db, sql`EXPLAIN QUERY PLAN ${query}`))).map((r) => r.detail);
      t.notOk(
        plan.some((d) => d.includes('TEMP B-TREE')),
        `${format}: ${plan.join('; ')}`,
      );
      if (format === 'wide')
        t.ok(
          plan.some((d) => /SEARCH a USING PRIMARY KEY \(response_id=\? AND question_id=\?\)/.test(d)),
          `wide looks answers up by key: ${plan.join('; ')}`,
        );
    }
  }
});

t.test('exports need the CSRF token of the session, like every staff form', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const { adminJar } = await staffSessions(app);
  const page = await app.inject({ url: '/admin/export', headers: { cookie: adminJar.header() } });
  const token = csrfFrom(page.body)!;
  t.ok(token, 'the export form carries a token');
  const without = await app.inject({ url: '/admin/export.csv?survey=community-trust', headers: { cookie: adminJar.header() } });
  t.equal(without.statusCode, 403);
  const forged = await app.inject({ url: '/admin/export.csv?survey=community-trust&_csrf=forged', headers: { cookie: adminJar.header() } });
  t.equal(forged.statusCode, 403);
  const ok = await app.inject({ url: `/admin/export.csv?survey=community-trust&_csrf=${encodeURIComponent(token)}`, headers: { cookie: adminJar.header() } });
  t.equal(ok.statusCode, 200);
  const results = await app.inject({ url: '/results', headers: { cookie: adminJar.header() } });
  const link = /href="(\/results\/export\.csv\?[^"]+)"/
    .exec(results.body)?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=');
  t.ok(link?.includes('_csrf='), 'the aggregates link carries the token');
  t.equal((await app.inject({ url: link!, headers: { cookie: adminJar.header() } })).statusCode, 200);
  t.equal((await app.inject({ url: '/results/export.csv', headers: { cookie: adminJar.header() } })).statusCode, 403);
});
