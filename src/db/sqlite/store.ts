import { DrizzleError, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import * as schema from '../schema.js';
import { createScopedCache } from '../cache.js';
import type { CacheOptions, CacheScope, Db, FigureRange, Store, StoreTask, TransactionOptions } from '../store.js';
import type { TextTransform } from '../text-transform.js';
import type { DatabaseHandle } from './client.js';
import { createGroupCommitter } from './group-commit.js';
import { createStorageHealth, isSqliteStorageError } from './health.js';
import { ConnectionLock } from './lock.js';
import { withStatementCache } from './statements.js';
import { createCheckpointer } from './checkpoints.js';
import { changedOffLoop, releaseOffLoop, rowsOffLoop, streamOffLoop, taskOffLoop, textOffLoop } from './off-loop-reads.js';
import { sqliteSql } from './read-only-store.js';

/**
 * The store on one SQLite connection. Reads share the connection; a transaction holds it alone from BEGIN to COMMIT
 * (see ConnectionLock), and submissions share group commits. Caches are emptied by this store's own writes and by
 * commits of other processes (data_version).
 */
export function createSqliteStore(handle: DatabaseHandle): Store {
  const { sqlite } = handle;
  const db: Db = drizzle(withStatementCache(sqlite), { schema });
  const lock = new ConnectionLock();
  // The read worker's cache of this file's figures (its tasks') is emptied whenever this one is.
  const offLoop = handle.path !== ':memory:';
  const cache = createScopedCache({ onChange: offLoop ? (change) => changedOffLoop(handle.path, change) : undefined });
  const checkpointer = offLoop ? createCheckpointer(handle.path) : undefined;
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 0');
  const health = createStorageHealth(handle);
  const dataVersion = sqlite.prepare('SELECT data_version FROM pragma_data_version').pluck();
  const totalChanges = sqlite.prepare('SELECT total_changes()').pluck();
  const dialect = new SQLiteSyncDialect();
  let seenVersion = -1;
  let ownChanges = -1;
  // Days the submissions of the batch being written change (null: unknown): its commit empties their figures only.
  const touched: (FigureRange | null)[] = [];
  // What transactions joined to the one holding the connection change: emptied with its own when it ends, as on PostgreSQL.
  const joined = { scopes: new Set<CacheScope>(), changed: [] as FigureRange[] };
  function emptyJoined() {
    cache.invalidate(...joined.scopes);
    cache.invalidateRanges(joined.changed.splice(0));
    joined.scopes.clear();
  }
  const committer = createGroupCommitter(sqlite, lock, {
    fileProblem: handle.fileProblem,
    onBegin: () => noticeOtherWriters(),
    onCommit: () => {
      const changed = touched.splice(0);
      if (changed.includes(null)) cache.invalidate('figures');
      else cache.invalidateRanges(changed as FigureRange[]);
      emptyJoined();
      ownChanges = totalChanges.get() as number;
      checkpointer?.committed();
    },
  });

  // data_version changes when another connection (a command-line tool, the import worker) commits; total_changes
  // when this connection wrote outside the store (features still on the DatabaseHandle): checked before each read of
  // a cache and each write, since the store's own commits then take the count as theirs.
  function noticeOtherWriters() {
    const version = dataVersion.get() as number;
    const changes = totalChanges.get() as number;
    if (version !== seenVersion || changes !== ownChanges) cache.invalidate('settings', 'figures');
    seenVersion = version;
    ownChanges = changes;
  }

  async function transaction<T>(work: (tx: Db) => Promise<T>, { invalidates = ['settings', 'figures'], changes = [] }: TransactionOptions = {}): Promise<T> {
    const held = lock.held();
    if (held === 'exclusive') {
      for (const scope of invalidates) joined.scopes.add(scope);
      joined.changed.push(...changes);
      return work(db);
    }
    if (held === 'shared') throw new Error('A transaction cannot start inside a read: it would wait for itself.');
    return lock.run('exclusive', async () => {
      noticeOtherWriters();
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
        cache.invalidateRanges(changes);
        emptyJoined();
        ownChanges = totalChanges.get() as number;
        checkpointer?.committed();
      }
    });
  }

  const store: Store = {
    dialect: 'sqlite',
    tables: schema,
    sql: sqliteSql,
    read<T>(work: (db: Db) => Promise<T>): Promise<T> {
      if (lock.held()) return work(db);
      return lock.run('shared', () => work(db));
    },
    transaction,
    submit<T>(work: (tx: Db) => Promise<T>, changes?: FigureRange): Promise<T> {
      if (lock.held()) throw new Error('A submission cannot be queued from inside a read or transaction: it would wait for itself.');
      return committer.run(() => {
        touched.push(changes ?? null);
        return work(db);
      });
    },
    rows: async <T>(tx: Db, query: SQL) => tx.all<T>(query),
    async aggregate<T>(query: SQL): Promise<T[]> {
      // Inside a transaction the caller must see its own writes; an in-memory database has no file to share.
      if (lock.held() || !offLoop) return db.all<T>(query);
      const { sql: source, params } = dialect.sqlToQuery(query);
      return rowsOffLoop<T>(handle.path, source, params);
    },
    async execute(tx: Db, query: SQL) {
      try {
        return tx.run(query).changes;
      } catch (err) {
        // drizzle wraps a raw statement's error; callers look at SQLite's own (a full disk is answered 503, not 500).
        throw err instanceof DrizzleError && err.cause instanceof Error ? err.cause : err;
      }
    },
    stream<T>(query: SQL, batchSize: number) {
      const { sql: source, params } = dialect.sqlToQuery(query);
      return streamOffLoop<T>(handle.path, source, params, batchSize);
    },
    streamText(query: SQL, batchSize: number, transform: TextTransform) {
      const { sql: source, params } = dialect.sqlToQuery(query);
      return textOffLoop(handle.path, source, params, batchSize, transform);
    },
    cached<T>(scope: CacheScope, key: string, read: () => Promise<T>, options?: CacheOptions<T>): Promise<T> {
      noticeOtherWriters();
      return cache.get(scope, key, read, options);
    },
    task<I, O>(task: StoreTask<I, O>, input: I): Promise<O> {
      // Another process's commit, noticed here, empties the worker's cache too before the task reads from it.
      noticeOtherWriters();
      return offLoop ? taskOffLoop<I, O>(handle.path, task, input) : task.run(store, input);
    },
    isStorageError: isSqliteStorageError,
    problem: () => lock.run('shared', () => Promise.resolve(health.problem())),
    failed: (err: Error) => health.failed(err),
    async close() {
      await committer.drain();
      await checkpointer?.close();
      await releaseOffLoop(handle.path);
      handle.close();
    },
  };
  return store;
}
