import { sql, type Column, type SQL } from 'drizzle-orm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createScopedCache } from '../cache.js';
import type { CacheOptions, CacheScope, Db, FigureRange, Store, Tables, TransactionOptions } from '../store.js';
import type { TextTransform } from '../text-transform.js';
import type { PgDb, PgHandle } from './client.js';
import { coalesce } from './coalesce.js';
import { isPgStorageError } from './errors.js';
import { createCacheListener } from './listener.js';
import { likeSqlite } from './raw.js';
import * as schema from './schema.js';
import { streamRows, streamText } from './stream.js';
import { createPgTasks } from './tasks.js';

interface Context {
  kind: 'read' | 'transaction';
  tx: PgDb;
  /** Cache scopes the transaction's writes change (a joined transaction adds its own). */
  scopes: Set<CacheScope>;
  /** Ranges of figures the transaction's writes change besides its scopes (a joined transaction adds its own). */
  changed: FigureRange[];
  active: boolean;
}

const CACHE_CHANNEL = 'common_ground_cache';
// Ranges one notification names at most (PostgreSQL's payload holds 8,000 bytes).
const MAX_ANNOUNCED_RANGES = 200;

// A changed range in a notification: "survey/from/to".
const rangeItem = (r: FigureRange) => `${r.survey}/${r.from}/${r.to}`;
const rangeOf = (item: string): FigureRange => {
  const [survey, from, to] = item.split('/');
  return { survey: Number(survey), from, to };
};

/**
 * The store on a PostgreSQL pool. A transaction holds one pooled connection from BEGIN to COMMIT and everything called
 * inside its work (reads, joined transactions) runs on it; reads outside a transaction take any connection. Caches are
 * emptied by this store's commits and, through LISTEN/NOTIFY, by every other server's on the same database.
 */
export async function createPgStore(handle: PgHandle, { tasksInProcess = false }: { tasksInProcess?: boolean } = {}): Promise<Store> {
  const { pool, db } = handle;
  // Tasks run on worker threads (src/db/pg/tasks.ts), by stores like this one there, which run them in their own.
  const tasks = tasksInProcess ? undefined : createPgTasks(handle.connection);
  const context = new AsyncLocalStorage<Context>();
  const cache = createScopedCache();
  // Our own notifications carry this, so they are not acted on twice.
  const instance = randomBytes(6).toString('hex');
  const listener = await createCacheListener(handle.connection, CACHE_CHANNEL, {
    onNotification(payload) {
      const [from, items] = payload.split(':');
      if (from === instance) return;
      const scopes = items.split(',');
      cache.invalidate(...(scopes.filter((item) => !item.includes('/')) as CacheScope[]));
      cache.invalidateRanges(scopes.filter((item) => item.includes('/')).map(rangeOf));
    },
    // While not listening, another server's write could go unnoticed: every cache is emptied (and bypassed until back).
    onGap: () => cache.invalidate('settings', 'figures'),
  });
  const inFlight = new Set<Promise<unknown>>();
  let lastFailure: string | null = null;

  // Other servers are told after the commit, and the writer answered once they have been: a client that reads from
  // another server next sees the write. One NOTIFY per commit would serialize commits (PostgreSQL takes a database-wide
  // lock to queue notifications), so concurrent commits share one. It is delivered at its commit, before that commit
  // reaches the disk: a notification needs no durability, so it does not wait for a flush of its own.
  // Items are cache scopes or changed ranges; many ranges at once empty every figure instead (a payload is limited).
  const announce = coalesce<string>(async (items) => {
    const ranges = [...items].filter((item) => item.includes('/'));
    const scopes = [...items].filter((item) => !item.includes('/'));
    const sent = ranges.length > MAX_ANNOUNCED_RANGES ? [...new Set([...scopes, 'figures'])] : [...scopes, ...ranges];
    await pool.query(`SET LOCAL synchronous_commit = off; SELECT pg_notify('${CACHE_CHANNEL}', '${instance}:${sent.join(',')}')`);
  });

  const active = () => {
    const held = context.getStore();
    return held?.active ? held : undefined;
  };

  async function inContext<T>(kind: Context['kind'], tx: PgDb, scopes: Set<CacheScope>, changed: FigureRange[], work: () => Promise<T>): Promise<T> {
    const held: Context = { kind, tx, scopes, changed, active: true };
    try {
      return await context.run(held, work);
    } finally {
      // Timers the work left behind inherit its context: they must not think they are inside it.
      held.active = false;
    }
  }

  async function transaction<T>(work: (tx: Db) => Promise<T>, { invalidates = ['settings', 'figures'], changes = [] }: TransactionOptions = {}): Promise<T> {
    const held = active();
    if (held?.kind === 'transaction') {
      for (const scope of invalidates) held.scopes.add(scope);
      held.changed.push(...changes);
      return work(held.tx as unknown as Db);
    }
    if (held) throw new Error('A transaction cannot start inside a read: it would wait for itself.');
    const scopes = new Set<CacheScope>(invalidates);
    const changed = [...changes];
    const run = (async () => {
      let committed = false;
      try {
        const result = await db.transaction((tx) => inContext('transaction', tx as unknown as PgDb, scopes, changed, () => work(tx as unknown as Db)));
        committed = true;
        return result;
      } finally {
        // Also after a failed COMMIT, whose outcome the client cannot know.
        cache.invalidate(...scopes);
        cache.invalidateRanges(changed);
        // The write is committed whatever happens to the notification: never answered as failed for it.
        const items = [...scopes, ...changed.map(rangeItem)];
        if (committed && items.length > 0) await announce(items).catch(() => {});
      }
    })();
    inFlight.add(run);
    try {
      return await run;
    } finally {
      inFlight.delete(run);
    }
  }

  function read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const held = active();
    if (held) return work(held.tx as unknown as Db);
    return inContext('read', db, new Set(), [], () => work(db as unknown as Db));
  }
  const rows = async <T>(tx: Db, query: SQL): Promise<T[]> => likeSqlite<T>(await (tx as unknown as PgDb).execute(query));

  const store: Store = {
    dialect: 'postgres',
    // The pg tables have the SQLite tables' names, columns and TypeScript types (test/db/schemas.test.ts), so
    // repositories typed against those use these unchanged.
    tables: schema as unknown as Tables,
    sql: {
      monthOf: (column: Column | SQL) => sql`to_char(date_trunc('month', (${column})::date), 'YYYY-MM-DD')`,
    },
    read,
    transaction,
    submit<T>(work: (tx: Db) => Promise<T>, changes?: FigureRange): Promise<T> {
      if (active()) throw new Error('A submission cannot be queued from inside a read or transaction: it would wait for itself.');
      return transaction(work, changes ? { invalidates: [], changes: [changes] } : { invalidates: ['figures'] });
    },
    rows,
    // The pool's own connection: the event loop only waits for the answer.
    aggregate: <T>(query: SQL): Promise<T[]> => read((tx) => rows<T>(tx, query)),
    execute: async (tx: Db, query: SQL) => (await (tx as unknown as PgDb).execute(query)).rowCount ?? 0,
    stream: <T>(query: SQL, batchSize: number) => streamRows<T>(pool, query, batchSize),
    streamText: (query: SQL, batchSize: number, transform: TextTransform) => streamText(pool, query, batchSize, transform),
    async cached<T>(scope: CacheScope, key: string, read: () => Promise<T>, options?: CacheOptions<T>): Promise<T> {
      // Every commit notified before now has been received: another server's write is never served stale.
      if (!(await listener.sync())) return read();
      return cache.get(scope, key, read, options);
    },
    task: (task, input) => (tasks ? tasks.run(task, input) : task.run(store, input)),
    isStorageError: isPgStorageError,
    async problem() {
      try {
        const { rows } = await pool.query<{ recovery: boolean; readOnly: string }>(
          `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS "readOnly"`,
        );
        if (rows[0].recovery) return 'the database server is a read-only standby (in recovery)';
        if (rows[0].readOnly === 'on') return 'the database is read-only (default_transaction_read_only is on)';
      } catch (err) {
        if (!isPgStorageError(err)) throw err;
        return `the database server cannot be reached (${(err as Error).message})`;
      }
      if (lastFailure === null) return null;
      try {
        // A one-row upsert: after a failure it tells whether the database takes writes again.
        await pool.query(
          "INSERT INTO settings (key, value) VALUES ('storage_checked_on', current_date::text) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        );
        lastFailure = null;
        return null;
      } catch (err) {
        if (!isPgStorageError(err)) throw err;
        lastFailure = (err as Error).message;
        return `writes fail: ${lastFailure}`;
      }
    },
    failed(err: Error) {
      lastFailure = err.message;
    },
    async close() {
      await Promise.all([tasks?.release(), Promise.allSettled([...inFlight])]);
      await listener.close();
      await handle.close();
    },
  };
  return store;
}
