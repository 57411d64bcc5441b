import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import t from 'tap';
import { openPgStore } from '../../src/db/open.js';
import { openPgDatabase } from '../../src/db/pg/client.js';
import { createPgStore } from '../../src/db/pg/store.js';
import { StorageError, type Store } from '../../src/db/store.js';
import { emptyDatabaseUrl, testDatabaseUrl } from '../helper/postgres.js';

// What only PostgreSQL has: several servers on one database, a server that can be unreachable or read-only, and
// migrations that several servers may start at once. (test/db/store-contract.test.ts holds what both stores share.)

async function admin(t: { teardown(fn: () => unknown): void }, url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

async function open(t: { teardown(fn: () => unknown): void }, url: string): Promise<Store> {
  const store = await openPgStore(url);
  t.teardown(() => store.close());
  return store;
}

const countNeighborhoods = (store: Store, counter: { reads: number }, scope: 'settings' | 'figures' = 'settings') =>
  store.cached(scope, 'neighborhoods', async () => {
    counter.reads++;
    return store.read(async (db) => (await db.select().from(store.tables.neighborhoods)).length);
  });

t.test('two servers on one database: a commit on one empties the other’s caches of its scope at once', async (t) => {
  const url = await testDatabaseUrl(t);
  const [one, other] = [await open(t, url), await open(t, url)];
  const { neighborhoods } = one.tables;
  const settings = { reads: 0 };
  const figures = { reads: 0 };
  t.equal(await countNeighborhoods(other, settings), 0);
  t.equal(await countNeighborhoods(other, figures, 'figures'), 0);
  t.equal(await countNeighborhoods(other, settings), 0);
  t.equal(settings.reads, 1, 'cached');

  await one.submit((tx) => tx.insert(neighborhoods).values({ name: 'A', slug: 'a' }));
  t.equal(await countNeighborhoods(other, figures, 'figures'), 1, 'a submission on one server: the other reads figures afresh, with no wait');
  t.equal(await countNeighborhoods(other, settings), 0, 'and keeps its settings cache');

  const march = { reads: 0 };
  const marchFigures = () => other.cached('figures', 'march', async () => ++march.reads, { over: { survey: 1, from: '2026-03-01', to: '2026-03-31' } });
  await marchFigures();
  await one.submit((tx) => tx.insert(neighborhoods).values({ name: 'April', slug: 'april' }), { survey: 1, from: '2026-04-01', to: '2026-04-01' });
  t.equal(await marchFigures(), 1, 'a submission to another day on one server: the other keeps figures built from other days');
  await one.submit((tx) => tx.insert(neighborhoods).values({ name: 'March', slug: 'march' }), { survey: 1, from: '2026-03-10', to: '2026-03-10' });
  t.equal(await marchFigures(), 2, 'and reads those built from its day afresh');
  await one.transaction((tx) => tx.delete(neighborhoods).where(sql`${neighborhoods.slug} IN ('april', 'march')`), { invalidates: ['figures'] });

  await one.transaction((tx) => tx.insert(neighborhoods).values({ name: 'B', slug: 'b' }));
  t.equal(await countNeighborhoods(other, settings), 2, 'an admin write on one server: the other reads settings afresh');
  t.equal(await countNeighborhoods(other, settings), 2);
  t.equal(settings.reads, 2);

  await one.transaction((tx) => tx.insert(one.tables.sessions).values({ id: 's', data: '{}', expiresAt: Date.now() }), { invalidates: [] });
  t.equal(await countNeighborhoods(other, settings), 2);
  t.equal(settings.reads, 2, 'a write naming no cache scope (sessions, lockouts) empties nothing elsewhere either');

  // Many writers at once still reach every server before their callers are answered.
  await Promise.all(Array.from({ length: 20 }, (_, i) => one.transaction((tx) => tx.insert(neighborhoods).values({ name: `N${i}`, slug: `n${i}` }))));
  t.equal(await countNeighborhoods(other, settings), 22);
});

t.test('a lost listening connection: caches are bypassed, then emptied when listening resumes', async (t) => {
  const url = await testDatabaseUrl(t);
  const [one, other] = [await open(t, url), await open(t, url)];
  const client = await admin(t, url);
  const counter = { reads: 0 };
  t.equal(await countNeighborhoods(other, counter), 0);
  const killed = await client.query(
    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'common-ground cache listener'`,
  );
  t.equal(killed.rowCount, 2, 'both servers lost their listening connection');
  await one.transaction((tx) => tx.insert(one.tables.neighborhoods).values({ name: 'Unheard', slug: 'unheard' }));
  t.equal(await countNeighborhoods(other, counter), 1, 'the write is seen although its notification was lost');
  // Reconnected within a few retries, the cache serves again.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const before = counter.reads;
    await countNeighborhoods(other, counter);
    await countNeighborhoods(other, counter);
    if (counter.reads === before + 1 || counter.reads === before) break;
    if (Date.now() > deadline) return t.fail('the listener did not reconnect');
    await sleep(50);
  }
  await one.transaction((tx) => tx.insert(one.tables.neighborhoods).values({ name: 'Heard', slug: 'heard' }));
  t.equal(await countNeighborhoods(other, counter), 2, 'notifications are received again');
});

t.test('two servers starting together on an empty database both migrate it, once', async (t) => {
  const url = await emptyDatabaseUrl(t);
  const stores = await Promise.all([openPgStore(url), openPgStore(url), openPgStore(url)]);
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const client = await admin(t, url);
  const applied = await client.query('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
  const { readdirSync } = await import('node:fs');
  const { pgMigrationsFolder } = await import('../../src/paths.js');
  t.equal(applied.rows[0].n, readdirSync(pgMigrationsFolder).filter((f) => f.endsWith('.sql')).length, 'each migration applied once');
  await stores[1].transaction((tx) => tx.insert(stores[1].tables.settings).values({ key: 'k', value: 'v' }));
  t.equal((await stores[2].read((db) => db.select().from(stores[2].tables.settings))).length, 1);
});

t.test('every connection commits durably (synchronous_commit on), whatever the database default or the URL says', async (t) => {
  const url = await testDatabaseUrl(t);
  const client = await admin(t, url);
  await client.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET synchronous_commit = off`);
  const withOptions = new URL(url);
  withOptions.searchParams.set('options', '-c statement_timeout=60000');
  const store = await openPgStore(withOptions.toString(), { max: 2 });
  t.teardown(() => store.close());
  // Each commit is followed by a notification sent without waiting for a flush: that setting stays with it.
  await Promise.all([1, 2].map((i) => store.transaction((tx) => tx.insert(store.tables.settings).values({ key: `k${i}`, value: 'v' }))));
  const settings = await Promise.all(
    Array.from({ length: 4 }, () =>
      store.transaction(async (tx) => {
        await sleep(10);
        return (
          await store.rows<{ commit: string; timeout: string }>(
            tx,
            sql`SELECT current_setting('synchronous_commit') AS "commit", current_setting('statement_timeout') AS "timeout"`,
          )
        )[0];
      }),
    ),
  );
  t.same(settings, Array(4).fill({ commit: 'on', timeout: '1min' }), "on for both of the pool's connections, and the URL's own options kept");
});

t.test('storage errors: an unreachable server, a read-only database, a connection cut mid-transaction', async (t) => {
  const url = await testDatabaseUrl(t);
  const client = await admin(t, url);

  const closedPort = new URL(url);
  closedPort.port = '1';
  const refusedOpen = await openPgStore(closedPort.toString()).catch((err: unknown) => err);
  t.type(refusedOpen, Error, 'a server that cannot be reached does not start');
  const unreachable = await createPgStore(await openPgDatabase(closedPort.toString(), { migrate: false }));
  t.teardown(() => unreachable.close());
  t.ok(unreachable.isStorageError(refusedOpen), 'connection refused is a storage error');
  t.match(await unreachable.problem(), /cannot be reached/, '/healthz says why');
  const refusedWrite = await unreachable.transaction(async () => undefined).catch((err: unknown) => err);
  t.ok(unreachable.isStorageError(refusedWrite));

  const store = await open(t, url);
  t.equal(await store.problem(), null, 'a healthy database has no problem');
  const cut = await store
    .transaction(async (tx) => {
      const [{ pid }] = await store.rows<{ pid: number }>(tx, sql`SELECT pg_backend_pid() AS "pid"`);
      await client.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
      await tx.insert(store.tables.settings).values({ key: 'lost', value: 'x' });
    })
    .catch((err: unknown) => err);
  t.ok(store.isStorageError(cut), `a connection cut by the administrator is a storage error (${(cut as Error).message})`);
  await store.transaction((tx) => tx.insert(store.tables.settings).values({ key: 'after', value: 'x' }));
  t.pass('the pool recovers for the next write');

  const duplicate = await store.transaction((tx) => tx.insert(store.tables.settings).values({ key: 'after', value: 'y' })).catch((err: unknown) => err);
  t.notOk(store.isStorageError(duplicate), 'a constraint violation is not');

  await client.query(`ALTER DATABASE "${new URL(url).pathname.slice(1)}" SET default_transaction_read_only = on`);
  const readOnly = await createPgStore(await openPgDatabase(url, { migrate: false }));
  t.teardown(() => readOnly.close());
  t.match(await readOnly.problem(), /read-only/, '/healthz reports a read-only database');
  const refused = await readOnly.transaction((tx) => tx.insert(readOnly.tables.settings).values({ key: 'ro', value: 'x' })).catch((err: unknown) => err);
  t.ok(readOnly.isStorageError(refused), 'a write refused as read-only (25006) is a storage error');

  const coded = (code: string) => new DrizzleQueryError('INSERT …', [], Object.assign(new Error('server said no'), { code }));
  for (const code of ['53100', '53200', '57P01', '57P03', '08006', '58030', '25006']) t.ok(store.isStorageError(coded(code)), code);
  for (const code of ['23505', '23503', '42P01', '40001']) t.notOk(store.isStorageError(coded(code)), code);
  t.ok(store.isStorageError(new StorageError('gone')));
});

t.test('after a failed write, /healthz checks with a real write', async (t) => {
  const store = await open(t, await testDatabaseUrl(t));
  store.failed(new Error('could not extend file: No space left on device'));
  t.equal(await store.problem(), null, 'the probe write succeeds, so the problem is over');
  const probed = await store.read((db) => store.rows<{ key: string }>(db, sql`SELECT key FROM settings WHERE key = 'storage_checked_on'`));
  t.equal(probed.length, 1);
});

t.test('closing waits for transactions under way', async (t) => {
  const url = await testDatabaseUrl(t);
  const store = await openPgStore(url);
  let started!: () => void;
  const begun = new Promise<void>((resolve) => (started = resolve));
  const slow = store.transaction(async (tx) => {
    started();
    await sleep(50);
    await tx.insert(store.tables.settings).values({ key: 'slow', value: 'committed' });
  });
  await begun;
  await store.close();
  await slow;
  const client = await admin(t, url);
  t.equal((await client.query(`SELECT value FROM settings WHERE key = 'slow'`)).rows[0]?.value, 'committed');
});
