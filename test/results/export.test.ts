import { parse } from 'csv-parse/sync';
import { sql, type SQL } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { dateIn } from '../../src/dates.js';
import { neutralise } from '../../src/export/csv.js';
import type { Store } from '../../src/db/store.js';
import { bucketEnd, bucketStart, lastCompleteMonthEnd } from '../../src/stats/buckets.js';
import { tQuantile } from '../../src/stats/t-distribution.js';
import { seedResponses, staffSessions, type SeedResponse } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp } from '../helper/app.js';
import { describe, people, submit } from '../helper/responses.js';

type Row = Record<string, string>;

/** Scores (answer × 10) of one question among counted responses, optionally only those giving `group` to `question`. */
function itemScores(store: Store, code: string, neighborhoodId: number, from: string, to: string, group?: { question: string; values: string[] }) {
  const groupJoin = group
    ? sql`JOIN answers g ON g.response_id = r.id AND g.question_id = (SELECT id FROM questions WHERE code = ${group.question}) AND g.value_text IN ${group.values}`
    : sql``;
  return scores(
    store,
    sql`SELECT a.value_number * 10.0 AS "score" FROM responses r
        JOIN answers a ON a.response_id = r.id AND a.question_id = (SELECT id FROM questions WHERE code = ${code})
        ${groupJoin}
        WHERE r.neighborhood_id = ${neighborhoodId} AND r.submitted_on BETWEEN ${from} AND ${to} AND NOT r.voided AND a.value_number IS NOT NULL`,
  );
}

/** Trust index scores: the mean of respect and listening for those who answered both. */
function indexScores(store: Store, neighborhoodId: number, from: string, to: string) {
  return scores(
    store,
    sql`SELECT (a.value_number + b.value_number) * 5.0 AS "score" FROM responses r
        JOIN answers a ON a.response_id = r.id AND a.question_id = (SELECT id FROM questions WHERE code = 'respect')
        JOIN answers b ON b.response_id = r.id AND b.question_id = (SELECT id FROM questions WHERE code = 'listening')
        WHERE r.neighborhood_id = ${neighborhoodId} AND r.submitted_on BETWEEN ${from} AND ${to} AND NOT r.voided`,
  );
}

const scores = async (store: Store, query: SQL) => (await store.read((db) => store.rows<{ score: number }>(db, query))).map((r) => r.score);

/** A CSV figure (2 decimals) against the value computed here. */
const near = (t: Test, actual: string, want: number, what: string) =>
  t.ok(actual !== '' && Math.abs(Number(actual) - want) <= 0.0051, `${what}: ${actual} ≈ ${want}`);

/** A column's mean, n and interval against a textbook t interval of the scores. */
function checkColumn(t: Test, row: Row, column: string, scores: number[]) {
  const d = describe(scores);
  t.equal(row[`N_${column}`], String(d.n), `${column}: n`);
  near(t, row[column], d.mean, column);
  const half = tQuantile(0.975, d.n - 1) * d.se;
  near(t, row[`${column}_CI_LOW`], d.mean - half, `${column} CI low`);
  near(t, row[`${column}_CI_HIGH`], d.mean + half, `${column} CI high`);
}

async function setup(t: Test) {
  const { app, store } = await buildTestApp(t);
  // A neighborhood name that a spreadsheet would run as a formula.
  const [alder, formula] = await addNeighborhoods(store, 'Alder', '=HYPERLINK("http://evil.example")');
  const march: SeedResponse[] = Array.from({ length: 100 }, (_, i) => ({
    neighborhoodId: alder.id,
    submittedOn: '2026-03-10',
    answers: {
      safety: (i * 7) % 11,
      respect: (i * 3) % 11,
      listening: (i * 5 + 2) % 11,
      // 80 under 35 (Chicago's AGE_LOW), 20 aged 65 or more (AGE_HIGH); 40 women.
      age_band: i < 80 ? (i % 2 ? '18_24' : '25_34') : '65_plus',
      gender: i % 5 < 2 ? 'woman' : 'man',
    },
  }));
  // Six answered only the respect item: in T_RESPECT (and so Chicago's TRUST), not in the trust index.
  const respectOnly: SeedResponse[] = Array.from({ length: 6 }, () => ({ neighborhoodId: alder.id, submittedOn: '2026-03-20', answers: { respect: 10 } }));
  await seedResponses(app, [...march, ...respectOnly]);
  await submit(app, formula.id, '2026-03-10', people(12, 5));
  await submit(app, alder.id, '2026-04-10', people(31, 3));
  await submit(app, formula.id, '2026-04-10', people(33, 5));
  const { asAdmin, asLiaison } = await staffSessions(app);
  return { app, store, alder, formula, admin: asAdmin.get, liaison: asLiaison.get };
}

const rowsOf = (body: string) => parse<Row>(body, { columns: true });

t.test('CSV in the Police Sentiment Scores shape: window columns, Chicago names, n and intervals, exact for admins', async (t) => {
  const { store, alder, admin } = await setup(t);
  const res = await admin('/results/export.csv?from=2026-03-01&to=2026-04-30');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], 'text/csv');
  t.match(res.headers['content-disposition'], /^attachment; filename="community-trust-aggregates-\d{4}-\d{2}-\d{2}\.csv"$/);
  t.ok(res.body.includes('\r\n'), 'CRLF records');
  t.notOk(res.body.startsWith('\ufeff'), 'no BOM unless asked');
  const header = res.body.split('\r\n')[0].split(',');
  t.same(header.slice(0, 13), [
    'START_DATE',
    'END_DATE',
    'AREA',
    'WINDOW_MONTHS',
    'SAFETY',
    'TRUST',
    'T_LISTEN',
    'T_RESPECT',
    'TRUST_INDEX',
    'FAIRNESS',
    'RELIABILITY',
    'RESPONSIVENESS',
    'CONFIDENCE',
  ]);
  t.same(header.slice(13, 19), ['N_SAFETY', 'SAFETY_CI_LOW', 'SAFETY_CI_HIGH', 'N_TRUST', 'TRUST_CI_LOW', 'TRUST_CI_HIGH']);
  t.same(
    header.slice(13 + 27, 13 + 31),
    ['SAFETY_AGE_LOW', 'N_SAFETY_AGE_LOW', 'SAFETY_AGE_LOW_CI_LOW', 'SAFETY_AGE_LOW_CI_HIGH'],
    'then Chicago’s demographic splits',
  );
  for (const name of ['T_RESPECT_SEX_FEMALE', 'T_LISTEN_RACE_OTHER', 'TRUST_AGE_HIGH', 'N_TRUST_AGE_HIGH']) t.ok(header.includes(name), name);
  t.equal(header.length, 13 + 27 + 4 * 4 * 10, 'four measures split ten ways');

  const rows = rowsOf(res.body);
  t.same(
    rows.map((r) => [r.START_DATE, r.END_DATE, r.AREA, r.WINDOW_MONTHS]),
    [
      ['2026-03-01', '2026-03-31', 'CITYWIDE', '1'],
      ['2026-04-01', '2026-04-30', 'CITYWIDE', '1'],
      ['2026-03-01', '2026-03-31', `'=HYPERLINK("http://evil.example")`, '1'],
      ['2026-04-01', '2026-04-30', `'=HYPERLINK("http://evil.example")`, '1'],
      ['2026-03-01', '2026-03-31', 'Alder', '1'],
      ['2026-04-01', '2026-04-30', 'Alder', '1'],
    ],
  );
  const [march, april] = [rows[4], rows[5]];
  const m = (code: string) => itemScores(store, code, alder.id, '2026-03-01', '2026-03-31');
  checkColumn(t, march, 'SAFETY', await m('safety'));
  checkColumn(t, march, 'T_LISTEN', await m('listening'));
  checkColumn(t, march, 'T_RESPECT', await m('respect'));
  checkColumn(t, march, 'TRUST_INDEX', await indexScores(store, alder.id, '2026-03-01', '2026-03-31'));
  t.equal(march.N_T_RESPECT, '106', 'the six who answered only respect count in T_RESPECT');
  t.equal(march.N_TRUST_INDEX, '100', 'but not in the trust index');
  const chicago = (describe(await m('listening')).mean + describe(await m('respect')).mean) / 2;
  near(t, march.TRUST, chicago, 'Chicago’s TRUST is the mean of the two item means');
  t.not(march.TRUST, march.TRUST_INDEX, 'which differs from the index when some answered one item');
  t.equal(march.N_TRUST, '100', 'its n: the smaller item n');
  t.ok(Number(march.TRUST_CI_LOW) < Number(march.TRUST) && Number(march.TRUST) < Number(march.TRUST_CI_HIGH));
  // Everyone in April answered both items: Chicago's TRUST and its interval equal the index's.
  t.same([april.TRUST, april.TRUST_CI_LOW, april.TRUST_CI_HIGH], [april.TRUST_INDEX, april.TRUST_INDEX_CI_LOW, april.TRUST_INDEX_CI_HIGH]);
  checkColumn(t, april, 'TRUST_INDEX', await indexScores(store, alder.id, '2026-04-01', '2026-04-30'));
  t.same([april.SAFETY, april.N_SAFETY], ['', ''], 'no one answered safety in April');

  const young = { question: 'age_band', values: ['18_24', '25_34'] };
  checkColumn(t, march, 'SAFETY_AGE_LOW', await itemScores(store, 'safety', alder.id, '2026-03-01', '2026-03-31', young));
  checkColumn(
    t,
    march,
    'T_RESPECT_SEX_FEMALE',
    await itemScores(store, 'respect', alder.id, '2026-03-01', '2026-03-31', { question: 'gender', values: ['woman'] }),
  );
  t.same([march.SAFETY_AGE_HIGH, march.N_SAFETY_AGE_HIGH], ['', '20'], '20 aged 65 or more: the count, no mean');
  t.same([march.SAFETY_AGE_MEDIUM, march.N_SAFETY_AGE_MEDIUM], ['', ''], 'nobody: nothing');
  t.equal(rows[0].N_SAFETY, '100', 'the city counts everyone who answered safety');
  t.equal(rows[0].N_TRUST_INDEX, '112');
  t.equal(rows[2].N_TRUST_INDEX, '12', '12 responses: the count');
  t.equal(rows[2].TRUST_INDEX, '', 'but no mean');

  const bom = await admin('/results/export.csv?from=2026-03-01&to=2026-04-30&bom=1');
  t.ok(bom.body.startsWith('\ufeff'));
  const { auditLog } = store.tables;
  t.same(await store.read((db) => db.select({ action: auditLog.action, entity: auditLog.entity }).from(auditLog)), [
    { action: 'export.aggregates', entity: 'survey' },
    { action: 'export.aggregates', entity: 'survey' },
  ]);
});

t.test('rolling windows and quarters: START_DATE is where the window starts, WINDOW_MONTHS how many months it pools', async (t) => {
  const { store, alder, admin } = await setup(t);
  const rolling = rowsOf((await admin('/results/export.csv?from=2026-04-01&to=2026-04-30&rolling=2')).body);
  const alderRow = rolling.find((r) => r.AREA === 'Alder')!;
  t.same([alderRow.START_DATE, alderRow.END_DATE, alderRow.WINDOW_MONTHS], ['2026-03-01', '2026-04-30', '2']);
  checkColumn(t, alderRow, 'TRUST_INDEX', await indexScores(store, alder.id, '2026-03-01', '2026-04-30'));

  const quarters = rowsOf((await admin('/results/export.csv?from=2026-01-01&to=2026-06-30&bucket=quarter&rolling=2')).body).filter((r) => r.AREA === 'Alder');
  t.same(
    quarters.map((r) => [r.START_DATE, r.END_DATE, r.WINDOW_MONTHS, r.N_TRUST_INDEX]),
    [
      ['2025-10-01', '2026-03-31', '6', '100'],
      ['2026-01-01', '2026-06-30', '6', '131'],
    ],
    'two rolling quarters: six months each',
  );
});

t.test('liaisons get protected figures: complete months only, floor and reliability, the same noise as the API', async (t) => {
  const { app, alder, admin, liaison } = await setup(t);
  const today = dateIn('UTC');
  await submit(app, alder.id, today, people(40, 2));
  const exact = rowsOf((await admin('/results/export.csv?from=2026-03-01&to=2026-04-30')).body);
  const res = await liaison('/results/export.csv?from=2026-03-01&to=2026-04-30');
  t.equal(res.statusCode, 200);
  const rows = rowsOf(res.body);
  t.same(
    rows.map((r) => [r.START_DATE, r.AREA]),
    exact.map((r) => [r.START_DATE, r.AREA]),
  );
  const columns = Object.keys(rows[0]).filter((c) => c.startsWith('N_'));
  for (const row of rows) {
    for (const n of columns) {
      const name = n.slice(2);
      const what = `${row.AREA} ${row.START_DATE} ${name}`;
      if (row[n] !== '') t.ok(Number(row[n]) >= 10, `${what}: n ${row[n]} at least the floor`);
      if (row[name] !== '') t.ok(Number(row[n]) >= 30, `${what}: a mean only from 30 (n ${row[n]})`);
    }
  }
  const [p, e] = [rows[4], exact[4]];
  t.ok(
    ['SAFETY', 'T_LISTEN', 'T_RESPECT', 'TRUST_INDEX'].some((c) => p[c] !== e[c]),
    'perturbed',
  );
  t.ok(Math.abs(Number(p.TRUST_INDEX) - Number(e.TRUST_INDEX)) < 6, `within a few points (${p.TRUST_INDEX} vs ${e.TRUST_INDEX})`);
  const api = (await liaison('/api/trends?from=2026-03-01&to=2026-04-30&neighborhood=alder')).json().series[1].cells[0];
  t.same([p.TRUST_INDEX, p.N_TRUST_INDEX, p.TRUST_INDEX_CI_LOW], [api.mean.toFixed(2), String(api.n), api.ci_low.toFixed(2)], 'the CSV and the API agree');

  // By default, the last twelve months: to the end of last month for liaisons, to today for admins.
  const latest = (body: string) => rowsOf(body).reduce((max, r) => (r.END_DATE > max ? r.END_DATE : max), '');
  t.equal(latest((await liaison('/results/export.csv')).body), lastCompleteMonthEnd(today), 'no row for this month');
  t.equal(latest((await admin('/results/export.csv')).body), bucketEnd(bucketStart(today, 'month'), 'month'), 'admins get this month');
});

t.test("figures CSVs neutralise names with the app's one CSV helper (NUL too) and keep a line break inside its cell", async (t) => {
  const { app, store } = await buildTestApp(t);
  // PostgreSQL's text cannot hold NUL, so only SQLite can store a name that starts with one.
  const names = ['\tTab', '＝SUM(A1)', 'North\nside', '-2+3', ...(store.dialect === 'sqlite' ? ['\0Nul'] : [])];
  const areas = await addNeighborhoods(store, ...names);
  for (const area of areas) await submit(app, area.id, '2026-03-10', people(12, 5));
  await store.transaction((tx) => tx.update(store.tables.surveys).set({ published: true }));
  const { asAdmin } = await staffSessions(app);
  const exports = {
    admin: (await asAdmin.get('/results/export.csv?from=2026-03-01&to=2026-03-31')).body,
    public: (await app.inject('/public/community-trust/data.csv?bucket=month&rolling=1')).body,
  };
  for (const [who, body] of Object.entries(exports)) {
    const shown = rowsOf(body)
      .filter((r) => r.START_DATE === '2026-03-01' && r.AREA !== 'CITYWIDE')
      .map((r) => r.AREA);
    t.same(shown.sort(), names.map(neutralise).sort(), `${who}: every name, neutralised`);
    t.ok(shown.includes('North\nside'), `${who}: a name with a line break is one cell`);
    t.notOk(
      shown.some((area) => /^[\t\0＝-]/.test(area)),
      `${who}: no cell starts with a formula character`,
    );
  }
});
