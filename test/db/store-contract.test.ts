import { eq, sql } from 'drizzle-orm';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { openPgStore, openSqliteStore } from '../../src/db/open.js';
import type { ChoiceOption } from '../../src/db/schema.js';
import { first, type Store } from '../../src/db/store.js';
import { testDatabaseUrl } from '../helper/postgres.js';
import { scratchRoot } from '../helper/scratch.js';
import { countTask, failingTask } from '../helper/store-tasks.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

// The same behaviour on both stores: what repositories may rely on whichever database runs under them.
const stores: { dialect: Store['dialect']; open(t: Teardown): Promise<Store> }[] = [
  {
    dialect: 'sqlite',
    async open(t) {
      const dir = mkdtempSync(join(scratchRoot, 'cg-contract-'));
      const { store } = openSqliteStore({ DATABASE_PATH: join(dir, 'test.db') });
      t.teardown(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  },
  {
    dialect: 'postgres',
    async open(t) {
      const store = await openPgStore(await testDatabaseUrl(t));
      t.teardown(() => store.close());
      return store;
    },
  },
];

async function seedSurvey(store: Store) {
  const { surveys, neighborhoods } = store.tables;
  return store.transaction(async (tx) => {
    const [survey] = await tx
      .insert(surveys)
      .values({ slug: 'trust', title: { en: 'Trust', es: 'Confianza' }, intro: { en: 'Hello' }, languages: ['en', 'es'], published: true })
      .returning();
    const [neighborhood] = await tx.insert(neighborhoods).values({ name: 'Northside', slug: 'northside' }).returning();
    return { survey, neighborhood };
  });
}

for (const { dialect, open } of stores) {
  t.test(dialect, async (t) => {
    t.test('an open transaction is invisible to a concurrent read, and gone after its rollback', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const written = new Promise<void>((resolve) => (inserted = resolve));
      const transaction = store.transaction(async (tx) => {
        await tx.insert(neighborhoods).values({ name: 'Uncommitted', slug: 'uncommitted' });
        inserted();
        await held;
        throw new Error('rolled back on purpose');
      });
      await written;
      // Not inside the transaction's work: on SQLite it waits for the end, on PostgreSQL it runs on another connection.
      const read = store.read(async (db) => (await db.select().from(neighborhoods)).length);
      await Promise.race([read, sleep(30)]);
      release();
      await t.rejects(transaction, /rolled back on purpose/);
      t.equal(await read, 0, 'the read saw none of the uncommitted rows');
      t.equal(await store.read(async (db) => (await db.select().from(neighborhoods)).length), 0, 'nothing left after the rollback');
    });

    t.test("another request's transaction does not join an open one", async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const failing = store.transaction(async (tx) => {
        await tx.insert(neighborhoods).values({ name: 'Doomed', slug: 'doomed' });
        await held;
        throw new Error('rolled back on purpose');
      });
      const other = store.transaction(async (tx) => tx.insert(neighborhoods).values({ name: 'Kept', slug: 'kept' }));
      await Promise.race([other, sleep(30)]);
      release();
      await t.rejects(failing);
      await other;
      const names = await store.read((db) => db.select({ name: neighborhoods.name }).from(neighborhoods));
      t.same(
        names.map((n) => n.name),
        ['Kept'],
      );
    });

    t.test('nested use joins the transaction; a read inside sees its rows; a failure rolls back the joined work too', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const seen = await store.transaction(async (tx) => {
        await tx.insert(neighborhoods).values({ name: 'Inner', slug: 'inner' });
        await store.transaction(async (inner) => inner.insert(neighborhoods).values({ name: 'Joined', slug: 'joined' }));
        return store.read(async (db) => (await db.select().from(neighborhoods)).length);
      });
      t.equal(seen, 2, 'a read inside the transaction sees its own rows');
      await t.rejects(
        store.transaction(async (tx) => {
          await store.transaction(async (inner) => inner.insert(neighborhoods).values({ name: 'Lost', slug: 'lost' }));
          await tx.insert(neighborhoods).values({ name: 'Duplicate', slug: 'inner' });
        }),
      );
      t.equal(await store.read(async (db) => (await db.select().from(neighborhoods)).length), 2, 'the joined insert was rolled back with its transaction');
      await t.rejects(
        store.read(() => store.transaction(async () => undefined)),
        /cannot start inside a read/,
      );
      await t.rejects(async () => store.transaction(() => store.submit(async () => undefined)), /cannot be queued/);
    });

    t.test('raw SQL: rows, execute, monthOf; numbers come back as numbers', async (t) => {
      const store = await open(t);
      const { responses, monthlyRollups } = store.tables;
      const { survey, neighborhood } = await seedSurvey(store);
      const big = 2 ** 53 - 1;
      await store.submit(async (tx) => {
        await tx.insert(responses).values([
          { id: big, surveyId: survey.id, neighborhoodId: neighborhood.id, submittedOn: '2026-03-17', channel: 'web', language: 'en', cellKey: 2 ** 32 - 1 },
          { id: 7, surveyId: survey.id, neighborhoodId: neighborhood.id, submittedOn: '2026-04-02', channel: 'qr', language: 'es', cellKey: 5, voided: true },
        ]);
        await tx.insert(monthlyRollups).values({
          surveyId: survey.id,
          measure: 'trust',
          month: '2026-03-01',
          neighborhoodId: neighborhood.id,
          n: 3,
          sum: 150.5,
          sumSquares: 9000.25,
          keySum: 3 * (2 ** 32 - 1),
        });
      });
      const [figures] = await store.read((db) =>
        store.rows<Record<string, unknown>>(
          db,
          sql`SELECT count(*) AS "count", sum(cell_key) AS "keys", avg(cell_key) AS "meanKey", max(id) AS "maxId",
                     sum(CASE WHEN NOT voided THEN 1 ELSE 0 END) AS "counted", ${store.sql.monthOf(responses.submittedOn)} AS "month"
                FROM responses WHERE survey_id = ${survey.id} AND submitted_on < ${'2026-04-01'}
               GROUP BY ${store.sql.monthOf(responses.submittedOn)}`,
        ),
      );
      t.same(figures, { count: 1, keys: 2 ** 32 - 1, meanKey: 2 ** 32 - 1, maxId: big, counted: 1, month: '2026-03-01' });
      const [rollup] = await store.read((db) =>
        store.rows<Record<string, unknown>>(
          db,
          sql`SELECT sum(n) AS "n", sum(sum) AS "sum", sum(key_sum) AS "keySum", min(month) AS "month" FROM monthly_rollups`,
        ),
      );
      t.same(rollup, { n: 3, sum: 150.5, keySum: 3 * (2 ** 32 - 1), month: '2026-03-01' });
      for (const value of [...Object.values(figures), ...Object.values(rollup)]) t.not(typeof value, 'bigint');
      t.equal(
        await store.transaction((tx) => store.execute(tx, sql`UPDATE responses SET voided = TRUE WHERE survey_id = ${survey.id} AND NOT voided`)),
        1,
        'execute says how many rows changed',
      );
      const raw = await store.read((db) =>
        store.rows<{ title: string; published: number; createdAt: string }>(db, sql`SELECT title, published, created_at AS "createdAt" FROM surveys`),
      );
      t.same(JSON.parse(raw[0].title), { en: 'Trust', es: 'Confianza' }, 'raw JSON is text, as on SQLite');
      t.equal(raw[0].published, 1, 'raw booleans are 1 and 0, as on SQLite');
      t.equal(raw[0].createdAt, survey.createdAt, 'raw moments read as the builder reads them');
    });

    t.test('booleans, JSON, days, moments and large numbers round-trip through the builder', async (t) => {
      const store = await open(t);
      const { questions, events, auditLog, sessions, responses, quarantines } = store.tables;
      const { survey, neighborhood } = await seedSurvey(store);
      t.equal(survey.published, true);
      t.same(survey.title, { en: 'Trust', es: 'Confianza' });
      t.same(survey.languages, ['en', 'es']);
      t.match(survey.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'a default moment is written as SQLite writes it');
      t.ok(Math.abs(Date.parse(survey.createdAt) - Date.now()) < 60_000, 'and is now');
      const options: ChoiceOption[] = [
        { value: 'a', label: { en: 'A', es: 'Á' } },
        { value: 'b', label: { en: 'B "quoted"' } },
      ];
      const question = await store.transaction(async (tx) =>
        first(
          tx
            .insert(questions)
            .values({ surveyId: survey.id, position: 1, code: 'q1', kind: 'choice', prompt: { en: 'Pick' }, required: true, options })
            .returning(),
        ),
      );
      t.same(question?.options, options);
      t.equal(question?.required, true);
      t.equal(question?.allowDontKnow, false);
      t.equal(question?.minLabel, null);
      const moment = '2026-03-17T09:30:00.123Z';
      await store.transaction(async (tx) => {
        await tx.insert(events).values({ title: { en: 'Meeting' }, occurredOn: '2026-02-28', kind: 'outreach', isPublic: true });
        await tx.insert(auditLog).values({ at: moment, action: 'test', entity: 'survey', details: { nested: { list: [1, 'two', null] }, flag: false } });
        await tx.insert(sessions).values({ id: 's1', data: '{"a":1}', expiresAt: 1_800_000_000_000 });
        await tx.insert(quarantines).values({
          surveyId: survey.id,
          neighborhoodId: neighborhood.id,
          reason: 'volume',
          firstDay: '2026-01-01',
          lastDay: '2026-12-31',
          decidedOn: '2026-02-01',
        });
      });
      await store.submit((tx) =>
        tx
          .insert(responses)
          .values({ id: 12345, surveyId: survey.id, neighborhoodId: neighborhood.id, submittedOn: '2026-03-01', channel: 'paper', language: 'en' }),
      );
      const read = await store.read(async (db) => ({
        event: await first(db.select().from(events)),
        audit: await first(db.select().from(auditLog)),
        session: await first(db.select().from(sessions)),
        quarantine: await first(db.select().from(quarantines)),
        response: await first(db.select().from(responses).where(eq(responses.voided, false))),
        between: await db
          .select({ id: events.id })
          .from(events)
          .where(sql`${events.occurredOn} BETWEEN ${'2026-02-01'} AND ${'2026-02-28'}`),
        after: await db
          .select({ id: auditLog.id })
          .from(auditLog)
          .where(sql`${auditLog.at} > ${'2026-03-17T09:30:00.122Z'}`),
      }));
      t.equal(read.event?.occurredOn, '2026-02-28');
      t.equal(read.event?.isPublic, true);
      t.equal(read.audit?.at, moment, 'a moment written by the app reads back unchanged');
      t.same(read.audit?.details, { nested: { list: [1, 'two', null] }, flag: false });
      t.equal(read.session?.expiresAt, 1_800_000_000_000);
      t.equal(read.quarantine?.decidedOn, '2026-02-01');
      t.equal(read.quarantine?.decidedBy, null);
      t.same(read.response, {
        id: 12345,
        surveyId: survey.id,
        neighborhoodId: neighborhood.id,
        submittedOn: '2026-03-01',
        channel: 'paper',
        language: 'en',
        eventId: null,
        importBatchId: null,
        voided: false,
        voidReason: null,
        cellKey: 0,
        quarantineId: null,
        weight: null,
        mailingId: null,
      });
      t.equal(read.between.length, 1, 'days compare with day strings');
      t.equal(read.after.length, 1, 'moments compare with ISO strings');
    });

    t.test('a submission that names its day empties only the figures built from that day', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const reads = { march: 0, unscoped: 0, settings: 0 };
      const march = () => store.cached('figures', 'march', async () => ++reads.march, { over: { survey: 1, from: '2026-03-01', to: '2026-03-31' } });
      const unscoped = () => store.cached('figures', 'unscoped', async () => ++reads.unscoped);
      const settings = () => store.cached('settings', 'settings', async () => ++reads.settings);
      const submit = (slug: string, changes?: { survey: number; from: string; to: string }) =>
        store.submit(async (tx) => tx.insert(neighborhoods).values({ name: slug, slug }), changes);
      await Promise.all([march(), unscoped(), settings()]);
      await submit('april', { survey: 1, from: '2026-04-01', to: '2026-04-01' });
      t.same([await march(), await unscoped(), await settings()], [1, 2, 1], 'another day: March kept, a figure that says nothing of its days read afresh');
      await submit('other-survey', { survey: 2, from: '2026-03-15', to: '2026-03-15' });
      t.equal(await march(), 1, 'the same day of another survey: kept');
      await submit('last-day', { survey: 1, from: '2026-03-31', to: '2026-03-31' });
      t.equal(await march(), 2, 'a day inside: read afresh');
      await submit('unnamed');
      t.same([await march(), await settings()], [3, 1], 'a submission naming no day empties every figure, no setting');
      await Promise.all([submit('a', { survey: 1, from: '2026-05-01', to: '2026-05-01' }), submit('b', { survey: 1, from: '2026-03-02', to: '2026-03-02' })]);
      t.equal(await march(), 4, 'submissions sharing a commit: the day of each counts');
      await store.transaction(async (tx) => tx.insert(neighborhoods).values({ name: 'weighed', slug: 'weighed' }), {
        invalidates: [],
        changes: [{ survey: 1, from: '2026-02-01', to: '2026-02-28' }],
      });
      t.same(
        [await march(), await unscoped(), await settings()],
        [4, 3, 1],
        'a write that changes February alone: March and settings kept, a figure saying nothing of its days read afresh',
      );
      await store.transaction(async (tx) => tx.insert(neighborhoods).values({ name: 'weighed again', slug: 'weighed-again' }), {
        invalidates: [],
        changes: [{ survey: 1, from: '2026-03-01', to: '2026-03-31' }],
      });
      t.equal(await march(), 5, 'one that changes March: read afresh');
    });

    t.test("a joined transaction's scopes and ranges are emptied when the one it joined ends", async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const reads = { march: 0, april: 0, settings: 0 };
      const march = () => store.cached('figures', 'march', async () => ++reads.march, { over: { survey: 1, from: '2026-03-01', to: '2026-03-31' } });
      const april = () => store.cached('figures', 'april', async () => ++reads.april, { over: { survey: 1, from: '2026-04-01', to: '2026-04-30' } });
      const settings = () => store.cached('settings', 'settings', async () => ++reads.settings);
      const insert = (slug: string) => async (tx: Parameters<Parameters<Store['transaction']>[0]>[0]) => tx.insert(neighborhoods).values({ name: slug, slug });
      const all = async () => [await march(), await april(), await settings()];
      await all();
      await store.transaction(() => store.transaction(insert('weighed'), { invalidates: [], changes: [{ survey: 1, from: '2026-03-10', to: '2026-03-10' }] }), {
        invalidates: [],
      });
      t.same(await all(), [2, 1, 1], 'a joined write naming a day of March: March read afresh, April and settings kept');
      await store.transaction(() => store.transaction(insert('responses'), { invalidates: ['figures'] }), { invalidates: [] });
      t.same(await all(), [3, 2, 1], "a joined write of figures empties them, though the outer one's writes change none");
      await store.submit(() => store.transaction(insert('in-submission'), { invalidates: ['settings'] }), { survey: 1, from: '2026-04-02', to: '2026-04-02' });
      t.same(await all(), [3, 3, 2], "a transaction joined to a submission: its settings emptied with the submission's day");
      await t.rejects(
        store.transaction(
          async () => {
            await store.transaction(insert('rolled-back'), { invalidates: ['figures'] });
            throw new Error('rolled back on purpose');
          },
          { invalidates: [] },
        ),
        /rolled back on purpose/,
      );
      t.same(await all(), [4, 4, 2], 'also when the transaction it joined rolls back (as its own scopes are)');
      await store.transaction(insert('alone'), { invalidates: [] });
      t.same(await all(), [4, 4, 2], 'and they are not emptied again by the next transaction');
    });

    t.test("a task reads where the data is, from a cache that the store's writes empty", async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const insert = (slug: string) => async (tx: Parameters<Parameters<Store['transaction']>[0]>[0]) => tx.insert(neighborhoods).values({ name: slug, slug });
      t.same(await store.task(countTask, { cache: true }), { count: 0, reads: 1 });
      t.same(await store.task(countTask, { cache: true }), { count: 0, reads: 1 }, 'served from the cache');
      await store.submit(insert('april'), { survey: 1, from: '2026-04-01', to: '2026-04-01' });
      t.same(await store.task(countTask, { cache: true }), { count: 0, reads: 1 }, 'a submission on another day leaves it');
      await store.submit(insert('march'), { survey: 1, from: '2026-03-10', to: '2026-03-10' });
      t.same(await store.task(countTask, { cache: true }), { count: 2, reads: 2 }, 'one on a day it is built from empties it');
      await store.transaction(insert('admin'));
      t.same(await store.task(countTask, { cache: true }), { count: 3, reads: 3 }, 'so does an admin write');
      await store.transaction(insert('weighed'), { invalidates: [], changes: [{ survey: 1, from: '2026-03-01', to: '2026-03-31' }] });
      t.same(await store.task(countTask, { cache: true }), { count: 4, reads: 4 }, 'and a write naming its month');
      await t.rejects(store.task(failingTask, 'no figures today'), { message: 'no figures today' }, "a task's error is the caller's");
      t.same(await store.task(countTask, { cache: false }), { count: 4, reads: 5 }, 'and the next task runs');
    });

    t.test('caches: served until a write of their scope commits', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      let reads = 0;
      const count = (scope: 'settings' | 'figures') =>
        store.cached(scope, 'count', async () => {
          reads++;
          return store.read(async (db) => (await db.select().from(neighborhoods)).length);
        });
      t.equal(await count('settings'), 0);
      t.equal(await count('settings'), 0);
      t.equal(reads, 1, 'served from the cache');
      await store.submit(async (tx) => tx.insert(neighborhoods).values({ name: 'By submission', slug: 'by-submission' }));
      t.equal(await count('settings'), 0, 'a submission leaves settings caches alone');
      t.equal(await count('figures'), 1, 'figures are read afresh');
      t.equal(reads, 2);
      await store.transaction(async (tx) => store.execute(tx, sql`UPDATE neighborhoods SET population = 5`), { invalidates: ['figures'] });
      t.equal(await count('settings'), 0, 'nor does another write that only changes figures');
      t.equal(await count('figures'), 1);
      t.equal(reads, 3, 'which empties figures');
      await store.transaction(async (tx) => tx.insert(neighborhoods).values({ name: 'Unseen', slug: 'unseen' }), { invalidates: [] });
      t.same([await count('settings'), await count('figures'), reads], [0, 1, 3], 'a write that names no scope (sessions, lockouts) leaves every cache alone');
      await store.transaction(async (tx) => tx.delete(neighborhoods).where(sql`${neighborhoods.slug} = 'unseen'`));
      await store.transaction(async (tx) => store.execute(tx, sql`UPDATE neighborhoods SET population = 6`));
      t.equal(await count('settings'), 1, 'an admin write empties them');
      t.equal(reads, 4);
      await t.rejects(
        store.transaction(async (tx) => {
          await tx.insert(neighborhoods).values({ name: 'Rolled back', slug: 'rolled-back' });
          throw new Error('no');
        }),
      );
      t.equal(await count('figures'), 1, 'a rolled-back write leaves the data as it was');
      let failures = 0;
      const failing = () =>
        store.cached('figures', 'failing', async () => {
          failures++;
          throw new Error('read failed');
        });
      await t.rejects(failing());
      await t.rejects(failing());
      t.equal(failures, 2, 'a failed read is not kept');
    });

    t.test('submissions queued at once: a failing one is rejected alone, the others are stored', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const names = ['A', 'B', 'C', 'D', 'E'];
      const outcomes = await Promise.allSettled(
        names.map((name) =>
          store.submit(async (tx) => {
            // C repeats A's slug: the unique index refuses it, and only C is rolled back.
            await tx.insert(neighborhoods).values({ name, slug: name === 'C' ? 'a' : name.toLowerCase() });
            return name;
          }),
        ),
      );
      t.same(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      );
      const stored = await store.read((db) => db.select({ name: neighborhoods.name }).from(neighborhoods));
      t.same(stored.map((r) => r.name).sort(), ['A', 'B', 'D', 'E'], 'the others are stored');
      // A caller answered in one batch submits again at once (before the batch's bookkeeping ends): never left waiting.
      for (let i = 0; i < 20; i++) await store.submit(async (tx) => tx.insert(neighborhoods).values({ name: `N${i}`, slug: `n${i}` }));
      t.equal((await store.read((db) => db.select().from(neighborhoods))).length, 24);
    });

    t.test('a long read streams in batches, rows as `rows` gives them; stopping early ends it and leaves nothing held', async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      const names = Array.from({ length: 25 }, (_, i) => ({ name: `N${i}`, slug: `n-${String(i).padStart(2, '0')}`, retired: i % 2 === 0 }));
      await store.transaction((tx) => tx.insert(neighborhoods).values(names));
      const query = sql`SELECT slug AS "neighborhoodSlug", retired AS "retired" FROM neighborhoods WHERE slug >= ${'n-00'} ORDER BY slug`;
      const batches: { neighborhoodSlug: string; retired: number }[][] = [];
      for await (const batch of store.stream<{ neighborhoodSlug: string; retired: number }>(query, 10)) batches.push(batch);
      t.same(
        batches.map((b) => b.length),
        [10, 10, 5],
      );
      t.same(batches[0][0], { neighborhoodSlug: 'n-00', retired: 1 }, 'quoted aliases and booleans as raw rows give them');
      t.same(batches.flat(), await store.read((db) => store.rows(db, query)));
      for await (const batch of store.stream(query, 10)) {
        t.equal(batch.length, 10);
        break;
      }
      await store.transaction((tx) => tx.insert(neighborhoods).values({ name: 'After', slug: 'after' }));
      t.equal((await store.read((db) => db.select().from(neighborhoods))).length, 26, 'a write after a stopped stream goes through');
    });

    t.test("a heavy read runs off the event loop: a resident's submission commits while it counts", async (t) => {
      const store = await open(t);
      const { neighborhoods } = store.tables;
      await store.transaction((tx) => tx.insert(neighborhoods).values({ name: 'Before', slug: 'before' }));
      const query = sql`SELECT slug AS "neighborhoodSlug", retired AS "retired" FROM neighborhoods ORDER BY slug`;
      t.same(await store.aggregate(query), await store.read((db) => store.rows(db, query)), 'the rows `rows` gives');
      // About a second of counting on either database: long enough that a submission started after it ends first.
      let counted = false;
      const heavy = store
        .aggregate<{ n: number }>(sql`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${4_000_000}) SELECT count(*) AS "n" FROM c`)
        .then((rows) => {
          counted = true;
          return rows;
        });
      await store.submit((tx) => tx.insert(neighborhoods).values({ name: 'Submitted', slug: 'submitted' }));
      t.notOk(counted, 'the submission committed while the count was still running');
      t.same(await heavy, [{ n: 4_000_000 }]);
      t.equal((await store.aggregate<{ n: number }>(sql`SELECT count(*) AS "n" FROM neighborhoods`))[0].n, 2, 'a commit is seen by the next heavy read');
      await store.transaction(async (tx) => {
        await tx.insert(neighborhoods).values({ name: 'Uncommitted', slug: 'uncommitted' });
        t.equal((await store.aggregate<{ n: number }>(sql`SELECT count(*) AS "n" FROM neighborhoods`))[0].n, 3, 'inside a transaction, its own rows too');
      });
      await t.rejects(store.aggregate(sql`SELECT nothing FROM no_such_table`), 'an error reaches the caller');
    });
  });
}

t.test("SQLite: a task's cache on the read worker sees another connection's commit", async (t) => {
  const dir = mkdtempSync(join(scratchRoot, 'cg-contract-'));
  const path = join(dir, 'test.db');
  const { store } = openSqliteStore({ DATABASE_PATH: path });
  const other = new Database(path);
  t.teardown(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.same(await store.task(countTask, { cache: true }), { count: 0, reads: 1 });
  other.prepare("INSERT INTO neighborhoods (name, slug) VALUES ('Elsewhere', 'elsewhere')").run();
  t.same(await store.task(countTask, { cache: true }), { count: 1, reads: 2 }, 'a command-line tool or the import worker wrote: read afresh');
});
