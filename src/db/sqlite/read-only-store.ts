import type Database from 'better-sqlite3';
import { sql, type Column, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import * as schema from '../schema.js';
import { createScopedCache } from '../cache.js';
import type { Db, DialectSql, Store } from '../store.js';
import { isSqliteStorageError } from './health.js';

export const sqliteSql: DialectSql = {
  monthOf: (column: Column | SQL) => sql`substr(${column}, 1, 7) || '-01'`,
};

const readOnly = () => Promise.reject(new Error('This store only reads: its writes belong to the app’s own connection.'));

/**
 * The store a task sees on the read worker's thread: the worker's read-only connection to one database file, read
 * synchronously (the thread has nothing else to do meanwhile), and a cache emptied by messages from the app's store
 * whenever that store's own cache is.
 */
export function createReadOnlyStore(sqlite: Database.Database) {
  const db: Db = drizzle(sqlite, { schema });
  const cache = createScopedCache();
  const store: Store = {
    dialect: 'sqlite',
    tables: schema,
    sql: sqliteSql,
    read: (work) => work(db),
    transaction: readOnly,
    submit: readOnly,
    rows: async <T>(tx: Db, query: SQL) => tx.all<T>(query),
    aggregate: async <T>(query: SQL) => db.all<T>(query),
    execute: readOnly,
    stream: () => {
      throw new Error('Streams are read by the app’s store.');
    },
    streamText: () => {
      throw new Error('Streams are read by the app’s store.');
    },
    cached: (scope, key, read, options) => cache.get(scope, key, read, options),
    task: (task, input) => task.run(store, input),
    isStorageError: isSqliteStorageError,
    problem: () => Promise.resolve(null),
    failed: () => {},
    close: () => Promise.resolve(),
  };
  return { store, cache };
}
