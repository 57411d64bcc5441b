import { sql, StringChunk, type Column, type SQL, type SQLChunk } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type * as schema from './schema.js';
import type { TextTransform } from './text-transform.js';

/** The tables, as repositories see them: the one schema that types the whole app (each dialect's tables match it). */
export type Tables = typeof schema;

/**
 * The query builder handed to repositories inside `read` and `transaction`. Typed with SQLite's builder; on PostgreSQL
 * it is the pg database, whose builder has the same methods. Always `await` a query: never `.get()`, `.all()`,
 * `.run()` or `.prepare()`, which only SQLite has (take the first row of an awaited select with `first`).
 */
export type Db = BetterSQLite3Database<Tables>;

/** The database cannot be written (disk full, read-only, file gone, server down): the request is answered 503, never 500. */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** SQL that differs between dialects. */
export interface DialectSql {
  /** The first day of the month of a date column, as 'YYYY-MM-DD': the release grid's base cell. */
  monthOf(column: Column | SQL): SQL;
}

/**
 * A survey's responses over the days [from, to] (YYYY-MM-DD): what a cached figure is built from, or what a write
 * changes (a submission, one day; a weighting, one month), so that only the figures overlapping it are emptied.
 */
export interface FigureRange {
  survey: number;
  from: string;
  to: string;
}

export interface CacheOptions<T = unknown> {
  /** The responses the value is built from. */
  over?: FigureRange;
  /**
   * Keep values of its kind (the key up to its first ':') up to this size in all, the oldest going first: large values.
   * Each value counts as 1 unless `size` says otherwise.
   */
  keep?: number;
  /** A value's share of `keep` once read (its rows, say), so that memory, not the number of values, is what is bounded. */
  size?: (value: T) => number;
}

export interface TransactionOptions {
  invalidates?: readonly CacheScope[];
  changes?: readonly FigureRange[];
}

/**
 * A read-only computation over a store's data, run where the data is read: named by its module (`import.meta.url`)
 * and export, so another thread can load the same code. Its input and result are structured-cloned.
 */
export interface StoreTask<I, O> {
  module: string;
  name: string;
  /** A long job (a weighting pass), run apart from the figures pages show so that none waits behind it. */
  long?: boolean;
  run(store: Store, input: I): Promise<O>;
}

/** A store task, exported from `module` as `name`. */
export const storeTask = <I, O>(
  module: string,
  name: string,
  run: (store: Store, input: I) => Promise<O>,
  options: { long?: boolean } = {},
): StoreTask<I, O> => ({
  module,
  name,
  run,
  ...options,
});

/** A write no cache is built from (sessions, lockouts, audit entries, receipts): it empties none. */
export const NO_CACHED_DATA: TransactionOptions = { invalidates: [] };

/** What caches are kept for: reading settings (surveys, neighborhoods, staff) or figures (anything built from responses). */
export type CacheScope = 'settings' | 'figures';

/**
 * The persistence boundary: every repository reaches the database through one store, created once per app. The
 * SQLite adapter holds the connection exclusively for a transaction (better-sqlite3 is synchronous, so an awaited
 * statement of another request would otherwise join it); the PostgreSQL adapter uses a pool.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly tables: Tables;
  readonly sql: DialectSql;
  /** Statements outside a transaction; on SQLite they wait while a transaction holds the connection. */
  read<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /**
   * One transaction, durably committed before the promise resolves; rolled back when `work` throws. A transaction
   * started inside another's `work` (or a submission's) joins it, and what it `invalidates` and `changes` is emptied
   * when that one ends. `invalidates` names the cache scopes the write can change (both by default): responses only
   * change figures; sessions and lockouts change neither. `changes` names the only figures a write changes that leaves
   * 'figures' out of `invalidates` (a weighting, its neighborhood-month's).
   */
  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * A resident's submission: on SQLite it shares one durable commit with the submissions queued in the same turn of
   * the event loop (group commit); a failing one is rolled back alone. Resolves once committed. Given the day it
   * `changes`, only cached figures built from that day are emptied (with a resident every second, emptying them all
   * would keep none); without, every figure.
   */
  submit<T>(work: (tx: Db) => Promise<T>, changes?: FigureRange): Promise<T>;
  /** Rows of a raw SQL query (quote camelCase aliases: `AS "neighborhoodId"`); numbers come back as numbers. */
  rows<T>(db: Db, query: SQL): Promise<T[]>;
  /**
   * Rows of a heavy read-only query (a count or sum over many responses) outside any transaction, off the event loop:
   * on SQLite a worker thread's read-only connection runs it, so a resident's submission never waits behind it; on
   * PostgreSQL the pool. Committed data only.
   */
  aggregate<T>(query: SQL): Promise<T[]>;
  /** Runs a raw SQL statement; resolves with the number of rows it changed. */
  execute(db: Db, query: SQL): Promise<number>;
  /**
   * A long read's rows in batches, never holding the app's connection nor the event loop (SQLite: the read worker's
   * thread, on a read-only connection of the stream's own; PostgreSQL: a cursor); breaking off closes it.
   */
  stream<T>(query: SQL, batchSize: number): AsyncIterable<T[]>;
  /**
   * A long read turned into text where its rows are read (SQLite: on the read worker's thread, so neither the rows nor
   * their formatting pass through the event loop; PostgreSQL: in this process, from a cursor): a chunk per batch.
   */
  streamText(query: SQL, batchSize: number, transform: TextTransform): AsyncIterable<string>;
  /**
   * Memoizes a read until data of its scope changes: a committed write to anything empties 'figures' (a write naming
   * what it `changes`, only those `over` it and those saying nothing of what they are built from); 'settings' is emptied
   * by every write except submissions and writes whose `invalidates` leaves it out. Cached values are shared: read-only.
   */
  cached<T>(scope: CacheScope, key: string, read: () => Promise<T>, options?: CacheOptions<T>): Promise<T>;
  /**
   * Runs a task where the data is read. SQLite: on the read worker's thread, with its read-only connection and a cache
   * of its own that this store's writes empty as they empty this one's, so statistics over hundreds of neighborhoods
   * never hold a resident's submission on the event loop, and only the task's input and result cross threads.
   * PostgreSQL: in this process (its reads are already off the event loop), with this store's cache.
   */
  task<I, O>(task: StoreTask<I, O>, input: I): Promise<O>;
  /** Whether an error means the database cannot take writes (answered 503). */
  isStorageError(err: unknown): boolean;
  /** Why the database cannot take writes now, or null when it can (for /healthz). */
  problem(): Promise<string | null>;
  /** Notes a write that failed for lack of storage: `problem` reports it until a write succeeds again. */
  failed(err: Error): void;
  /** Waits for queued submissions to commit, then closes the database. */
  close(): Promise<void>;
}

/** The first row of an awaited select, or undefined. */
export async function first<T>(rows: Promise<T[]> | PromiseLike<T[]>): Promise<T | undefined> {
  return (await rows)[0];
}

/**
 * The VALUES list of a multi-row INSERT, every value a bound parameter: `(?, ?), (?, ?)`. Built as one flat SQL, as
 * nested templates (or the insert builder) cost more to build than a small statement takes to run.
 */
export function valueRows(rows: readonly (readonly unknown[])[]): SQL {
  const chunks: unknown[] = [];
  rows.forEach((row, r) => {
    chunks.push(r === 0 ? OPEN : BETWEEN_ROWS);
    row.forEach((value, i) => {
      if (i > 0) chunks.push(BETWEEN_VALUES);
      chunks.push(value);
    });
  });
  chunks.push(CLOSE);
  return sql.fromList(chunks as SQLChunk[]);
}

const [OPEN, BETWEEN_ROWS, BETWEEN_VALUES, CLOSE] = ['(', '), (', ', ', ')'].map((text) => new StringChunk(text));
