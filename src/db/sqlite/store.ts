import { DrizzleError, sql, type Column, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import * as schema from '../schema.js';
import { createScopedCache } from '../cache.js';
import type { Db, Store } from '../store.js';
import type { DatabaseHandle } from './client.js';
import { createGroupCommitter } from './group-commit.js';
import { createStorageHealth, isSqliteStorageError } from './health.js';
import { ConnectionLock } from './lock.js';
import { withStatementCache } from './statements.js';

/**
 * The store on one SQLite connection. Reads share the connection; a transaction holds it alone from BEGIN to COMMIT
 * (see ConnectionLock), and submissions share group commits. Caches are emptied by this store's own writes and by
 * commits of other processes (data_version).
 */
export function createSqliteStore(handle: DatabaseHandle): Store {
  const { sqlite } = handle;
  const db: Db = drizzle(withStatementCache(sqlite), { schema });
  const lock = new ConnectionLock();
  const cache = createScopedCache();
  const health = createStorageHealth(handle);
  const committer = createGroupCommitter(sqlite, lock, { fileProblem: handle.fileProblem, onCommit: () => cache.invalidate('figures') });
  const changeStamp = sqlite.prepare('SELECT data_version, total_changes() FROM pragma_data_version').raw();
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  let seenVersion = -1;
  // Rows this store's own writes changed on the connection, and the changes made around it as last seen.
  let ownChanges = 0;
  let seenOtherChanges = -1;

  // data_version changes when another connection (a command-line tool, the import worker) commits. Transitional: until
  // every feature writes through the store, total_changes beyond the store's own shows a write through the raw handle.
  function noticeOtherWriters() {
    const [version, changes] = changeStamp.get() as [number, number];
    const otherChanges = changes - ownChanges;
    if (version !== seenVersion || otherChanges !== seenOtherChanges) cache.invalidate('settings', 'figures');
    seenVersion = version;
    seenOtherChanges = otherChanges;
  }

  async function counted<T>(work: () => Promise<T>): Promise<T> {
    const before = totalChanges.get() as number;
    try {
      return await work();
    } finally {
      ownChanges += (totalChanges.get() as number) - before;
    }
  }

  async function transaction<T>(work: (tx: Db) => Promise<T>, options: { responsesOnly?: boolean } = {}): Promise<T> {
    const held = lock.held();
    if (held === 'exclusive') return work(db);
    if (held === 'shared') throw new Error('A transaction cannot start inside a read: it would wait for itself.');
    return lock.run('exclusive', async () => {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await counted(() => work(db));
        sqlite.exec('COMMIT');
        return result;
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw err;
      } finally {
        cache.invalidate(...(options.responsesOnly ? (['figures'] as const) : (['settings', 'figures'] as const)));
      }
    });
  }

  return {
    dialect: 'sqlite',
    tables: schema,
    sql: {
      monthOf: (column: Column | SQL) => sql`substr(${column}, 1, 7) || '-01'`,
    },
    read<T>(work: (db: Db) => Promise<T>): Promise<T> {
      if (lock.held()) return work(db);
      return lock.run('shared', () => work(db));
    },
    transaction,
    submit<T>(work: (tx: Db) => Promise<T>): Promise<T> {
      if (lock.held()) throw new Error('A submission cannot be queued from inside a read or transaction: it would wait for itself.');
      return committer.run(() => counted(() => work(db)));
    },
    rows: async <T>(tx: Db, query: SQL) => tx.all<T>(query),
    async execute(tx: Db, query: SQL) {
      try {
        return tx.run(query).changes;
      } catch (err) {
        // drizzle wraps a raw statement's error; callers look at SQLite's own (a full disk is answered 503, not 500).
        throw err instanceof DrizzleError && err.cause instanceof Error ? err.cause : err;
      }
    },
    cached<T>(scope: 'settings' | 'figures', key: string, read: () => Promise<T>): Promise<T> {
      noticeOtherWriters();
      return cache.get(scope, key, read);
    },
    isStorageError: isSqliteStorageError,
    integrity: () =>
      lock.run('shared', async () => (sqlite.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ')),
    problem: () => lock.run('shared', () => Promise.resolve(health.problem())),
    failed: (err: Error) => health.failed(err),
    async close() {
      await committer.drain();
      handle.close();
    },
  };
}
