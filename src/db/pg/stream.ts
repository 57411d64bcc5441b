import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { loadTextTransform, type TextTransform } from '../text-transform.js';
import { likeSqlite } from './raw.js';

const dialect = new PgDialect();

/**
 * Rows of a query in batches through a server-side cursor, on a pooled connection of its own inside a read-only
 * transaction (one snapshot): the server holds the rows, not this process. The connection goes back to the pool when
 * the rows end or the reader stops early.
 */
export async function* streamRows<T>(pool: pg.Pool, query: SQL, batchSize: number): AsyncGenerator<T[]> {
  const { sql, params } = dialect.sqlToQuery(query);
  const client = await pool.connect();
  let ended = false;
  let broken: Error | undefined;
  try {
    await client.query('BEGIN READ ONLY');
    await client.query(`DECLARE rows_out NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const batch = await client.query(`FETCH FORWARD ${batchSize} FROM rows_out`);
      if (batch.rows.length === 0) break;
      yield likeSqlite<T>(batch);
    }
    await client.query('COMMIT');
    ended = true;
  } finally {
    // Stopped early or failed: the transaction (and its cursor) is still open. A connection that cannot end it is not reused.
    if (!ended) await client.query('ROLLBACK').catch((err: Error) => (broken = err));
    client.release(broken);
  }
}

/** The rows of a query turned into text by `transform`, a chunk per batch, then the text of their end. */
export async function* streamText(pool: pg.Pool, query: SQL, batchSize: number, transform: TextTransform): AsyncGenerator<string> {
  const transformer = await loadTextTransform(transform);
  for await (const rows of streamRows(pool, query, batchSize)) yield transformer.batch(rows);
  yield transformer.end();
}
