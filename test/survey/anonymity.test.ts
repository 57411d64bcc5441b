import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { like } from 'drizzle-orm';
import t from 'tap';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { migrationsFolder } from '../../src/paths.js';
import { staffSessions } from '../helper/admin.js';
import { addNeighborhoods, buildTestApp, form, tempDir } from '../helper/app.js';

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const answersFor = (i: number) => ({ neighborhood: i % 2 ? 'riverside' : 'old-town', q_respect: String(i % 11), q_top_issue: `order-${i}` });

/** Spearman's rank correlation of two equally long lists of distinct numbers. */
function rankCorrelation(a: number[], b: number[]): number {
  const ranks = (xs: number[]) => {
    const sorted = [...xs].sort((x, y) => x - y);
    return xs.map((x) => sorted.indexOf(x));
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const n = a.length;
  const d2 = ra.reduce((sum, r, i) => sum + (r - rb[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

t.test('no id, rowid or export order follows the order answers were submitted in', async (t) => {
  const { app, store, database } = await buildTestApp(t, { SUBMIT_RATE_LIMIT: '1000' });
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  const count = 60;
  for (let i = 0; i < count; i++) {
    const res = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(answersFor(i)) });
    t.equal(res.statusCode, 303);
  }
  const { answers } = store.tables;
  const idOf = new Map(
    (await store.read((db) => db.select({ text: answers.valueText, id: answers.responseId }).from(answers).where(like(answers.valueText, 'order-%')))).map(
      (r) => [Number(r.text!.slice(6)), r.id],
    ),
  );
  const order = [...Array(count).keys()];
  const ids = order.map((i) => idOf.get(i)!);
  // Sequential ids correlate perfectly (1.0); random ones stay near 0 (|rho| > 0.6 has odds below one in a million).
  t.ok(Math.abs(rankCorrelation(order, ids)) < 0.6, `response ids do not follow submission order (rho ${rankCorrelation(order, ids).toFixed(2)})`);
  t.ok(
    ids.every((id) => Number.isSafeInteger(id) && id > 0),
    'ids are safe integers',
  );
  // How SQLite lays the rows out: a response's rowid is its id, and the other tables have none.
  const rowids = database.sqlite.prepare('SELECT rowid AS rowid, id FROM responses').all() as { rowid: number; id: number }[];
  t.ok(
    rowids.every((r) => r.rowid === r.id),
    "a response's rowid is its random id",
  );
  for (const table of ['answers', 'response_scores', 'monthly_rollups', 'group_rollups', 'answer_rollups', 'text_rollups']) {
    t.throws(() => database.sqlite.prepare(`SELECT rowid FROM ${table}`).all(), /no such column/, `${table} has no rowid`);
  }

  const { asAdmin } = await staffSessions(app);
  const rows = parse((await asAdmin.get('/admin/export.csv?survey=community-trust&format=wide')).body);
  const header = rows[0];
  const issueColumn = header.indexOf('top_issue');
  const exported = rows.slice(1).map((r) => Number(r[issueColumn].slice(6)));
  t.equal(exported.length, count);
  t.ok(Math.abs(rankCorrelation(order, exported)) < 0.6, 'export rows within a date are not in submission order');
  const longRows = parse((await asAdmin.get('/admin/export.csv?survey=community-trust&format=long')).body);
  const longIds = [...new Set(longRows.slice(1).map((r) => Number(r[0])))];
  t.ok(
    Math.abs(
      rankCorrelation(
        order,
        longIds.map((id) => ids.indexOf(id)),
      ),
    ) < 0.6,
    'nor in the long export',
  );
});

/** Every way a moment in [from, to] could be written: ISO and clock times, epoch seconds and ms as text and as SQLite integers. */
function momentPatterns(from: number, to: number, timeZone: string): { label: string; bytes: Buffer }[] {
  const patterns: { label: string; bytes: Buffer }[] = [];
  const seen = new Set<string>();
  const add = (label: string, bytes: Buffer) => {
    const key = bytes.toString('hex');
    if (!seen.has(key)) {
      seen.add(key);
      patterns.push({ label, bytes });
    }
  };
  const clock = (ms: number, zone: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(ms);
  for (let s = Math.floor(from / 1000); s <= Math.floor(to / 1000); s++) {
    add(`epoch seconds ${s}`, Buffer.from(String(s)));
    const int32 = Buffer.alloc(4);
    int32.writeUInt32BE(s);
    add(`epoch seconds ${s} (integer)`, int32);
    for (const zone of ['UTC', timeZone]) add(`clock ${clock(s * 1000, zone)} ${zone}`, Buffer.from(clock(s * 1000, zone)));
  }
  for (let ms = from; ms <= to; ms++) {
    add(`epoch ms ${ms}`, Buffer.from(String(ms)));
    const int48 = Buffer.alloc(6);
    int48.writeUIntBE(ms, 0, 6);
    add(`epoch ms ${ms} (integer)`, int48);
  }
  return patterns;
}

t.test('after answering, nothing finer than the date is in the database, its WAL, the logs or the exports', async (t) => {
  const timeZone = 'America/Chicago';
  const { app, store, config, logs } = await buildTestApp(t, { LOG_LEVEL: 'info', TIME_ZONE: timeZone });
  await addNeighborhoods(store, 'Riverside', 'Old Town');
  // Start-up writes (the survey's creation time) belong to the second before.
  await sleep(1100);
  const logsBefore = logs.length;
  const from = Date.now();
  const form1 = await app.inject({ url: '/surveys/community-trust?neighborhood=riverside&channel=qr' });
  t.equal(form1.statusCode, 200);
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'POST', url: '/surveys/community-trust', headers: formHeaders, payload: form(answersFor(i)) });
    t.equal(res.statusCode, 303);
    t.equal((await app.inject(res.headers.location as string)).statusCode, 200);
  }
  t.equal((await app.inject('/static/css/site.css')).statusCode, 200, 'the pages load their styles');
  const to = Date.now();
  const patterns = momentPatterns(from, to, timeZone);

  const places: [string, Buffer][] = [
    ['database', readFileSync(config.DATABASE_PATH)],
    ...(existsSync(`${config.DATABASE_PATH}-wal`) ? [['WAL', readFileSync(`${config.DATABASE_PATH}-wal`)] as [string, Buffer]] : []),
    ['logs', Buffer.from(logs.slice(logsBefore).join('\n'))],
  ];
  t.ok(
    places.some(([name]) => name === 'WAL'),
    'the WAL is searched too',
  );
  t.same(logs.slice(logsBefore), [], 'no log line for resident pages or what they load');

  const { asAdmin } = await staffSessions(app);
  for (const format of ['wide', 'long']) {
    places.push([`${format} export`, Buffer.from((await asAdmin.get(`/admin/export.csv?survey=community-trust&format=${format}`)).body)]);
  }
  const found = places.flatMap(([name, bytes]) => patterns.filter((p) => bytes.includes(p.bytes)).map((p) => `${p.label} in ${name}`));
  t.same(found, [], 'no time of the submissions anywhere');
});

t.test('the consent notice says what is kept and what is not, in English and Spanish', async (t) => {
  const { app, store } = await buildTestApp(t);
  await addNeighborhoods(store, 'Riverside');
  const en = (await app.inject('/surveys/community-trust?lang=en')).body;
  t.match(en, 'the date (the day only)');
  t.match(en, 'We do not keep the time of day or the order in which answers arrive');
  const es = (await app.inject('/surveys/community-trust?lang=es')).body;
  t.match(es, 'la fecha (solo el día)');
  t.match(es, 'No guardamos la hora del día ni el orden en que llegan las respuestas');
});

t.test('the migrations give existing responses random ids and keep every answer, score and rollup, summed per month', async (t) => {
  const path = join(tempDir(t), 'old.db');
  const old = new Database(path);
  for (const statement of readFileSync(join(migrationsFolder, '0000_init.sql'), 'utf8').split('--> statement-breakpoint')) old.exec(statement);
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  old.exec('CREATE TABLE "__drizzle_migrations" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)');
  old.prepare('INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)').run('0000', journal.entries[0].when);
  old.exec(`INSERT INTO surveys (slug, title, intro, languages) VALUES ('s', '{}', '{}', '["en"]');
    INSERT INTO neighborhoods (slug, name) VALUES ('n', 'N');
    INSERT INTO questions (survey_id, position, code, kind, prompt) VALUES (1, 1, 'q', 'scale', '{}'), (1, 2, 'c', 'choice', '{}'), (1, 3, 't', 'text', '{}');`);
  for (let i = 1; i <= 20; i++) {
    // Two days of one month; the last response voided, so in no rollup.
    old
      .prepare('INSERT INTO responses (survey_id, neighborhood_id, submitted_on, channel, language, voided) VALUES (1, 1, ?, ?, ?, ?)')
      .run(i % 2 ? '2026-01-01' : '2026-01-20', 'web', 'en', i === 20 ? 1 : 0);
    old.prepare('INSERT INTO answers (response_id, question_id, value_number) VALUES (?, 1, ?)').run(i, i);
    old.prepare('INSERT INTO answers (response_id, question_id, value_text) VALUES (?, 2, ?)').run(i, i % 2 ? 'a' : 'b');
    if (i <= 4) old.prepare('INSERT INTO answers (response_id, question_id, value_text) VALUES (?, 3, ?)').run(i, i % 2 ? ' Police ' : 'police');
    old.prepare("INSERT INTO response_scores (response_id, measure, score) VALUES (?, 'q', ?)").run(i, i * 10);
  }
  old.exec(`INSERT INTO daily_rollups VALUES (1, 'q', '2026-01-01', 1, 10, 1000, 133000);
    INSERT INTO daily_rollups VALUES (1, 'q', '2026-01-20', 1, 9, 900, 114000);`);
  old.close();

  const migrated = openDatabase(path);
  t.teardown(() => migrated.close());
  const rows = migrated.sqlite
    .prepare(
      'SELECT r.id, a.value_number AS value, s.score FROM responses r JOIN answers a ON a.response_id = r.id AND a.question_id = 1 JOIN response_scores s ON s.response_id = r.id',
    )
    .all() as { id: number; value: number; score: number }[];
  t.equal(rows.length, 20, 'every response keeps its answer and score');
  const keys = (where: string) => (migrated.sqlite.prepare(`SELECT sum(cell_key) AS k FROM responses WHERE ${where}`).get() as { k: number }).k;
  t.ok(
    rows.every((r) => r.score === r.value * 10),
    'each with its own',
  );
  t.ok(rows.filter((r) => r.id <= 20).length < 2, 'old sequential ids are replaced');
  t.ok(
    Math.abs(
      rankCorrelation(
        rows.map((r) => r.value),
        rows.map((r) => r.id),
      ),
    ) < 0.8,
    'new ids carry no old order',
  );
  t.same(migrated.sqlite.prepare('SELECT month, n, sum, sum_squares FROM monthly_rollups').all(), [
    { month: '2026-01-01', n: 19, sum: 1900, sum_squares: 247000 },
  ]);
  const [respondents, cellKeys] = [migrated.sqlite.prepare('SELECT r.id FROM responses r WHERE NOT voided').all().length, keys('NOT voided')];
  t.equal(respondents, 19);
  t.same(
    migrated.sqlite.prepare('SELECT measure, month, question_id AS question, value, n, sum, key_sum AS keySum FROM group_rollups ORDER BY value').all(),
    [
      {
        measure: 'q',
        month: '2026-01-01',
        question: 2,
        value: 'a',
        n: 10,
        sum: 1000,
        keySum: keys("id IN (SELECT response_id FROM answers WHERE value_text = 'a')"),
      },
      {
        measure: 'q',
        month: '2026-01-01',
        question: 2,
        value: 'b',
        n: 9,
        sum: 900,
        keySum: keys("NOT voided AND id IN (SELECT response_id FROM answers WHERE value_text = 'b')"),
      },
    ],
    'choice groups from the live responses',
  );
  const points = migrated.sqlite.prepare('SELECT month, question_id AS question, value, n FROM answer_rollups ORDER BY value').all();
  t.same(
    points,
    Array.from({ length: 19 }, (_, i) => ({ month: '2026-01-01', question: 1, value: i + 1, n: 1 })),
    'one cell per scale point answered',
  );
  t.equal((migrated.sqlite.prepare('SELECT sum(key_sum) AS k FROM answer_rollups').get() as { k: number }).k, cellKeys);
  t.same(
    migrated.sqlite.prepare('SELECT month, question_id AS question, text, n, key_sum AS keySum FROM text_rollups').all(),
    [{ month: '2026-01-01', question: 3, text: 'police', n: 4, keySum: keys('id IN (SELECT response_id FROM answers WHERE question_id = 3)') }],
    'texts grouped as the issues are: lower(trim(text))',
  );
  t.same(migrated.sqlite.prepare("SELECT name FROM sqlite_master WHERE name = 'daily_rollups'").all(), [], 'daily_rollups is gone');
  t.same(migrated.sqlite.prepare('PRAGMA foreign_key_check').all(), []);
});

t.test('tokens in paths are never logged', async (t) => {
  const { app, logs } = await buildTestApp(t, { LOG_LEVEL: 'info' });
  const secret = 'Zq3sekrit-token-value-123456';
  for (const path of [`/reset/${secret}`, `/setup/${secret}`, `/kiosk/${secret}`]) await app.inject(path);
  t.ok(
    logs.some((l) => l.includes('/reset/[token]')),
    'the kind of link is logged',
  );
  t.notOk(
    logs.some((l) => l.includes(secret)),
    'the token is not',
  );
});
