import { sql } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { openSqliteStore } from '../../src/db/open.js';
import { first } from '../../src/db/store.js';
import { testConfig } from '../helper/app.js';

t.test("a transaction holds the connection: another request's statement cannot join it or see its rows", async (t) => {
  const { store } = openSqliteStore(testConfig(t));
  t.teardown(() => store.close());
  const { neighborhoods } = store.tables;
  let insideRead = -1;
  let releaseTransaction!: () => void;
  const held = new Promise<void>((resolve) => (releaseTransaction = resolve));
  const transaction = store.transaction(async (tx) => {
    await tx.insert(neighborhoods).values({ name: 'Uncommitted', slug: 'uncommitted' });
    await held;
    throw new Error('rolled back on purpose');
  });
  // Started while the transaction is open and waiting: it must wait for the end, then see no trace of it.
  const read = store.read(async (db) => {
    insideRead = (await db.select().from(neighborhoods)).length;
    return insideRead;
  });
  await sleep(20);
  t.equal(insideRead, -1, 'the read has not run while the transaction is open');
  releaseTransaction();
  await t.rejects(transaction, /rolled back on purpose/);
  t.equal(await read, 0, 'after the rollback the read sees nothing of it');
});

t.test('writes outside a transaction wait too, and a failed transaction leaves nothing behind', async (t) => {
  const { store } = openSqliteStore(testConfig(t));
  t.teardown(() => store.close());
  const { neighborhoods } = store.tables;
  const order: string[] = [];
  const slow = store.transaction(async (tx) => {
    await tx.insert(neighborhoods).values({ name: 'First', slug: 'first' });
    await sleep(10);
    order.push('transaction');
  });
  const submission = store.submit(async (tx) => {
    order.push('submission');
    return (await tx.insert(neighborhoods).values({ name: 'Second', slug: 'second' }).returning({ id: neighborhoods.id }))[0].id;
  });
  await Promise.all([slow, submission]);
  t.same(order, ['transaction', 'submission'], 'the submission waited for the open transaction');
  const names = await store.read((db) => db.select({ name: neighborhoods.name }).from(neighborhoods).orderBy(neighborhoods.name));
  t.same(
    names.map((n) => n.name),
    ['First', 'Second'],
  );
});

t.test('nested use joins the holder instead of waiting for itself', async (t) => {
  const { store } = openSqliteStore(testConfig(t));
  t.teardown(() => store.close());
  const { neighborhoods } = store.tables;
  const seen = await store.transaction(async (tx) => {
    await tx.insert(neighborhoods).values({ name: 'Inner', slug: 'inner' });
    await store.transaction(async (inner) => inner.insert(neighborhoods).values({ name: 'Joined', slug: 'joined' }));
    return store.read(async (db) => (await db.select().from(neighborhoods)).length);
  });
  t.equal(seen, 2, 'a read inside the transaction sees its own rows');
  await t.rejects(
    store.read(() => store.transaction(async () => undefined)),
    /cannot start inside a read/,
  );
});

t.test('raw SQL, dialect fragments and caches', async (t) => {
  const { store } = openSqliteStore(testConfig(t));
  t.teardown(() => store.close());
  const { neighborhoods } = store.tables;
  const month = await store.read(async (db) => first(store.rows<{ month: string }>(db, sql`SELECT ${store.sql.monthOf(sql`'2026-03-17'`)} AS "month"`)));
  t.equal(month?.month, '2026-03-01');
  let reads = 0;
  const count = () =>
    store.cached('settings', 'count', async () => {
      reads++;
      return store.read(async (db) => (await db.select().from(neighborhoods)).length);
    });
  t.equal(await count(), 0);
  t.equal(await count(), 0);
  t.equal(reads, 1, 'served from the cache');
  await store.submit(async (tx) => tx.insert(neighborhoods).values({ name: 'By submission', slug: 'by-submission' }));
  t.equal(await count(), 0, 'a submission leaves settings caches alone');
  await store.transaction(async (tx) => store.execute(tx, sql`UPDATE neighborhoods SET population = 5`));
  t.equal(await count(), 1, 'an admin write empties them');
  t.equal(reads, 2);
});
