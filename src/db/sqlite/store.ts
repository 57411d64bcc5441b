import { sql, type Column, type SQL } from 'drizzle-orm';
import * as schema from '../schema.js';
import { createScopedCache } from '../cache.js';
import type { CacheScope, Db, Store } from '../store.js';
import type { DatabaseHandle } from './client.js';
import { createGroupCommitter } from './group-commit.js';
import { createStorageHealth, isSqliteStorageError } from './health.js';
import { ConnectionLock } from './lock.js';

/**
 * The store on one SQLite connection. Reads share the connection; a transaction holds it alone from BEGIN to COMMIT
 * (see ConnectionLock), and submissions share group commits. Caches are emptied by this store's own writes and by
 * commits of other processes (data_version).
 */
export function createSqliteStore(handle: DatabaseHandle): Store {
  const { sqlite, db } = handle;
  const lock = new ConnectionLock();
  const cache = createScopedCache();
  const health = createStorageHealth(handle);
  const committer = createGroupCommitter(sqlite, lock, { fileProblem: handle.fileProblem, onCommit: () => cache.invalidate('figures') });
  const dataVersion = sqlite.prepare('SELECT data_version FROM pragma_data_version').pluck();
  let seenVersion = -1;

  // data_version changes when another connection (a command-line tool, the import worker) commits.
  function noticeOtherWriters() {
    const version = dataVersion.get() as number;
    if (version !== seenVersion) cache.invalidate('settings', 'figures');
    seenVersion = version;
  }

  async function transaction<T>(
    work: (tx: Db) => Promise<T>,
    { invalidates = ['settings', 'figures'] }: { invalidates?: readonly CacheScope[] } = {},
  ): Promise<T> {
    const held = lock.held();
    if (held === 'exclusive') return work(db);
    if (held === 'shared') throw new Error('A transaction cannot start inside a read: it would wait for itself.');
    return lock.run('exclusive', async () => {
      sqlite.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(db);
        sqlite.exec('COMMIT');
        return result;
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw err;
      } finally {
        cache.invalidate(...invalidates);
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
      return committer.run(() => work(db));
    },
    rows: <T>(tx: Db, query: SQL) => Promise.resolve(tx.all<T>(query)),
    execute: (tx: Db, query: SQL) => Promise.resolve(tx.run(query).changes),
    cached<T>(scope: 'settings' | 'figures', key: string, read: () => Promise<T>): Promise<T> {
      noticeOtherWriters();
      return cache.get(scope, key, read);
    },
    isStorageError: isSqliteStorageError,
    problem: () => lock.run('shared', () => Promise.resolve(health.problem())),
    failed: (err: Error) => health.failed(err),
    async close() {
      await committer.drain();
      handle.close();
    },
  };
}
