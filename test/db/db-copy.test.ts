import { sql } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openPgStore, openSqliteStore } from '../../src/db/open.js';
import { openPgDatabase } from '../../src/db/pg/client.js';
import { copySqliteToPg } from '../../src/db/pg/copy.js';
import type { DatabaseHandle } from '../../src/db/sqlite/client.js';
import { testDatabaseUrl } from '../helper/postgres.js';
import { scratchRoot } from '../helper/scratch.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const BIG_ID = 2 ** 53 - 1;

/** An SQLite install with rows in every table, written through the SQLite store as the app writes them. */
async function seededSqlite(t: Teardown) {
  const dir = mkdtempSync(join(scratchRoot, 'cg-copy-'));
  const { store, database } = openSqliteStore({ DATABASE_PATH: join(dir, 'source.db') });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const x = store.tables;
  await store.transaction(async (tx) => {
    const [north, south] = await tx
      .insert(x.neighborhoods)
      .values([
        { name: 'Northside', slug: 'northside', population: 12000 },
        { name: 'Southside', slug: 'southside', retired: true },
      ])
      .returning();
    const [survey] = await tx
      .insert(x.surveys)
      .values({
        slug: 'trust',
        title: { es: 'Confianza', en: 'Trust' },
        intro: { en: 'Hello "you"' },
        languages: ['es', 'en'],
        status: 'open',
        published: true,
      })
      .returning();
    const [scale, choice] = await tx
      .insert(x.questions)
      .values([
        {
          surveyId: survey.id,
          position: 1,
          code: 'respect',
          kind: 'scale',
          prompt: { en: 'Respect?' },
          scale: '0-10',
          inTrustScore: true,
          minLabel: { en: 'None' },
        },
        { surveyId: survey.id, position: 2, code: 'issue', kind: 'choice', prompt: { en: 'Issue?' }, options: [{ value: 'a', label: { en: 'A', es: 'Á' } }] },
      ])
      .returning();
    await tx
      .insert(x.themes)
      .values({ surveyId: survey.id, code: 'traffic', label: { en: 'Traffic' }, keywords: { en: ['car', 'speed'], es: ['coche'] }, position: 1 });
    const [admin] = await tx.insert(x.staffUsers).values({ email: 'chief@example.org', passwordHash: 'scrypt$…', role: 'admin' }).returning();
    const [event] = await tx
      .insert(x.events)
      .values({ title: { en: 'Meeting' }, occurredOn: '2026-02-28', neighborhoodId: north.id, kind: 'outreach', isPublic: true })
      .returning();
    const [batch] = await tx.insert(x.importBatches).values({ surveyId: survey.id, fileName: 'paper.csv', rowCount: 2, createdBy: admin.id }).returning();
    const [held] = await tx
      .insert(x.quarantines)
      .values({
        surveyId: survey.id,
        neighborhoodId: south.id,
        reason: 'volume',
        status: 'counted',
        firstDay: '2026-03-01',
        lastDay: '2026-03-02',
        decidedBy: admin.id,
        decidedOn: '2026-03-05',
      })
      .returning();
    const responses = [
      { id: BIG_ID, surveyId: survey.id, neighborhoodId: north.id, submittedOn: '2026-03-01', channel: 'web' as const, language: 'en', cellKey: 2 ** 32 - 1 },
      {
        id: 3,
        surveyId: survey.id,
        neighborhoodId: south.id,
        submittedOn: '2026-03-02',
        channel: 'paper' as const,
        language: 'es',
        importBatchId: batch.id,
        quarantineId: held.id,
      },
      {
        id: 77,
        surveyId: survey.id,
        neighborhoodId: north.id,
        submittedOn: '2026-03-02',
        channel: 'kiosk' as const,
        language: 'en',
        eventId: event.id,
        voided: true,
        voidReason: 'test',
      },
    ];
    await tx.insert(x.responses).values(responses);
    for (const r of responses) {
      await tx.insert(x.answers).values([
        { responseId: r.id, questionId: scale.id, valueNumber: 7 },
        { responseId: r.id, questionId: choice.id, valueText: 'a' },
      ]);
      await tx.insert(x.responseScores).values([
        { responseId: r.id, measure: 'trust', score: 70 / 3 },
        { responseId: r.id, measure: 'respect', score: 70 },
      ]);
    }
    await tx.insert(x.monthlyRollups).values([
      {
        surveyId: survey.id,
        measure: 'trust',
        month: '2026-03-01',
        neighborhoodId: north.id,
        n: 1,
        sum: 70 / 3,
        sumSquares: (70 / 3) ** 2,
        keySum: 2 ** 32 - 1,
      },
      { surveyId: survey.id, measure: 'Trust', month: '2026-03-01', neighborhoodId: north.id, n: 1, sum: 1, sumSquares: 1 },
      { surveyId: survey.id, measure: 'trust', month: '2026-03-01', neighborhoodId: south.id, n: 2, sum: 140, sumSquares: 9800, keySum: 12 },
    ]);
    // Text keys that a database collation and SQLite's byte order sort differently.
    await tx
      .insert(x.sessions)
      .values(
        ['Zeta', 'alpha', 'éclair', '_x', 'B2'].map((id, i) => ({ id, userId: i % 2 ? admin.id : null, data: `{"n":${i}}`, expiresAt: 1_800_000_000_000 + i })),
      );
    await tx.insert(x.loginFailures).values({ key: 'hmac-of-email-and-client', failures: 5, lockedUntil: 1_800_000_000_000, forgetAt: 1_800_000_900_000 });
    await tx.insert(x.oneTimeTokens).values({ tokenHash: 'abc', purpose: 'reset', userId: admin.id, expiresAt: 1_800_000_000_000, usedAt: 1_799_000_000_000 });
    await tx.insert(x.auditLog).values([
      { userId: admin.id, action: 'survey.publish', entity: 'survey', entityId: String(survey.id), details: { z: 1, a: [true, null, 'é'] } },
      { action: 'system', entity: 'settings', at: '2026-01-02T03:04:05.678Z' },
    ]);
    await tx.insert(x.kioskLinks).values({
      tokenHash: 'k1',
      surveyId: survey.id,
      neighborhoodId: north.id,
      eventId: event.id,
      validOn: '2026-03-02',
      createdBy: admin.id,
      revokedAt: '2026-03-03T00:00:00.000Z',
    });
    await tx.insert(x.kioskReceipts).values({ answerHash: 'e3b0c442', kioskDay: '2026-03-02' });
    // A count the census has (with a tab and a backslash in its source, which COPY escapes) and one it has not.
    await tx.insert(x.populationMargins).values([
      { surveyId: survey.id, neighborhoodId: north.id, questionCode: 'gender', optionValue: 'woman', count: 5120, source: 'ACS\t5-year \\ B01001', year: 2023 },
      { surveyId: survey.id, neighborhoodId: north.id, questionCode: 'gender', optionValue: 'another', count: null, source: 'ACS 5-year, B01001', year: 2023 },
    ]);
    await tx.insert(x.weightingRuns).values({
      surveyId: survey.id,
      neighborhoodId: north.id,
      month: '2026-03-01',
      version: 3,
      weightedVersion: 2,
      report: {
        respondents: 1,
        raked: true,
        margins: [{ question: 'gender', status: 'used', merged: [['woman', 'man']], notAnswered: 0 }],
        converged: true,
        trimRounds: 0,
        largestWeightRatio: 1,
        withinCap: true,
      },
    });
    await tx.insert(x.weightedRollups).values({
      surveyId: survey.id,
      measure: 'trust',
      month: '2026-03-01',
      neighborhoodId: north.id,
      n: 1,
      sumW: 5120,
      sumW2: 5120 ** 2,
      sumWY: 5120 * (70 / 3),
      sumWY2: 5120 * (70 / 3) ** 2,
      sumW2Y: 5120 ** 2 * (70 / 3),
      sumW2Y2: (5120 * (70 / 3)) ** 2,
      maxW: 5120,
    });
    await tx.insert(x.settings).values([
      { key: 'b', value: '1' },
      { key: 'A', value: '2' },
      { key: 'é', value: '3' },
    ]);
  });
  // An older tool's moment without the ISO 'T' and 'Z' (SQLite's datetime()): copied as the same moment.
  database.sqlite.prepare("UPDATE audit_log SET at = '2026-01-02 03:04:05' WHERE action = 'system'").run();
  return { database, store };
}

async function copy(t: Teardown, source: DatabaseHandle, url: string, batchSize = 2) {
  const target = await openPgDatabase(url, { max: 1 });
  t.teardown(() => target.close());
  return copySqliteToPg(source, target, { batchSize });
}

t.test('copies every table in batches, verified by count and checksum, and ids continue after the copied ones', async (t) => {
  const { database, store: sqlite } = await seededSqlite(t);
  const url = await testDatabaseUrl(t);
  const report = await copy(t, database, url);
  const counts = Object.fromEntries(report.map((r) => [r.table, r.rows]));
  t.same(counts, {
    neighborhoods: 2,
    surveys: 1,
    questions: 2,
    themes: 1,
    staff_users: 1,
    events: 1,
    import_batches: 1,
    quarantines: 1,
    responses: 3,
    answers: 6,
    response_scores: 6,
    monthly_rollups: 3,
    group_rollups: 0,
    answer_rollups: 0,
    text_rollups: 0,
    sessions: 5,
    one_time_tokens: 1,
    login_failures: 1,
    audit_log: 2,
    kiosk_links: 1,
    kiosk_receipts: 1,
    mailings: 0,
    invitation_codes: 0,
    population_margins: 2,
    weighted_rollups: 1,
    weighting_runs: 1,
    settings: 3,
  });
  for (const r of report) t.match(r.checksum, /^[0-9a-f]{64}$/);
  const order = report.map((r) => r.table);
  t.ok(order.indexOf('responses') > order.indexOf('quarantines') && order.indexOf('answers') > order.indexOf('questions'), 'dependency order');

  const pg = await openPgStore(url);
  t.teardown(() => pg.close());
  for (const name of [
    'surveys',
    'questions',
    'responses',
    'responseScores',
    'monthlyRollups',
    'sessions',
    'loginFailures',
    'auditLog',
    'kioskLinks',
    'kioskReceipts',
    'quarantines',
  ] as const) {
    const from = await sqlite.read((db) => db.select().from(sqlite.tables[name]));
    const to = await pg.read((db) => db.select().from(pg.tables[name]));
    const byKey = (rows: Record<string, unknown>[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (name === 'auditLog')
      from.forEach((row) => ((row as { at: string }).at = (row as { at: string }).at.replace('2026-01-02 03:04:05', '2026-01-02T03:04:05.000Z')));
    t.same(byKey(to), byKey(from), `${name} reads back the same through the builder`);
  }
  const [added] = await pg.transaction((tx) => tx.insert(pg.tables.neighborhoods).values({ name: 'New', slug: 'new' }).returning());
  t.equal(added.id, 3, 'the identity sequence continues after the copied ids');
  const [entry] = await pg.transaction((tx) => tx.insert(pg.tables.auditLog).values({ action: 'after', entity: 'copy' }).returning());
  t.equal(entry.id, 3);

  const again = await copy(t, database, url).catch((err: unknown) => err);
  t.match(again, { name: 'CopyError', message: /already has data/ }, 'a database with data is refused');
  t.equal((await pg.read((db) => db.select().from(pg.tables.neighborhoods))).length, 3, 'and left as it was');
});

t.test('a copy that fails part-way commits nothing', async (t) => {
  const { database } = await seededSqlite(t);
  // SQLite keeps any text; PostgreSQL's date refuses a day that does not exist.
  database.sqlite.prepare("UPDATE kiosk_links SET valid_on = '2026-02-30'").run();
  const url = await testDatabaseUrl(t);
  await t.rejects(copy(t, database, url), /2026-02-30|date/);
  const pg = await openPgStore(url);
  t.teardown(() => pg.close());
  const [{ n }] = await pg.read((db) =>
    pg.rows<{ n: number }>(db, sql`SELECT (SELECT count(*) FROM responses) + (SELECT count(*) FROM neighborhoods) + (SELECT count(*) FROM answers) AS "n"`),
  );
  t.equal(n, 0, 'the tables copied before the failure were rolled back');
});
