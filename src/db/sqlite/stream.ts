import type { SQL } from 'drizzle-orm';
import { SQLiteSyncDialect } from 'drizzle-orm/sqlite-core';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { openDatabase } from './client.js';

const dialect = new SQLiteSyncDialect();

/**
 * Rows of a query in batches, read on a read-only connection of its own: the app's connection is never held, so
 * submissions and transactions go on while a long export is read, and the event loop gets a turn between batches.
 * The connection closes when the rows end or the reader stops early. `open` lets a test hold the connection it made.
 */
export async function* streamRows<T>(path: string, query: SQL, batchSize: number, open = openDatabase): AsyncGenerator<T[]> {
  const handle = open(path, { readonly: true });
  try {
    const { sql, params } = dialect.sqlToQuery(query);
    let batch: T[] = [];
    for (const row of handle.sqlite.prepare(sql).iterate(...params) as IterableIterator<T>) {
      batch.push(row);
      if (batch.length < batchSize) continue;
      yield batch;
      batch = [];
      await nextTurn();
    }
    if (batch.length > 0) yield batch;
  } finally {
    handle.close();
  }
}
