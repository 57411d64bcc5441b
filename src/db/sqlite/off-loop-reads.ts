import Database from 'better-sqlite3';
import type { CacheChange } from '../cache.js';
import type { StoreTask } from '../store.js';
import type { TextTransform } from '../text-transform.js';
import { createWorkerClient, type WorkerReply } from '../../worker-client.js';

export type ReadRequest =
  | { kind: 'rows'; id: number; path: string; sql: string; params: unknown[] }
  | { kind: 'stream'; id: number; path: string; sql: string; params: unknown[]; batchSize: number; transform?: TextTransform }
  | { kind: 'more'; id: number }
  | { kind: 'task'; id: number; path: string; module: string; name: string; input: unknown }
  | { kind: 'checkpoint'; id: number; path: string }
  | { kind: 'stop'; id: number }
  | { kind: 'changed'; path: string; change: CacheChange }
  | { kind: 'release'; id: number; path: string };
/** A batch of rows, and whether it is a stream's last; or a task's result. */
export interface ReadResult {
  rows: unknown[];
  done?: boolean;
  result?: unknown;
}
export type ReadReply = WorkerReply<ReadResult>;

// Worker threads for the process, shared by every store in it (a test process opens hundreds): SQLite runs a query to
// its end without yielding, so a count over a year of answers, or an export's next rows, would otherwise hold every
// resident's submission on the event loop. Two: one computes the figures pages show; the other runs long reads and
// jobs (exports, weighting passes), so that a page never waits behind them. SQLite's own error is rethrown as such (a
// full disk is answered 503).
const toError = (error: { message: string; code?: string }) => (error.code ? new Database.SqliteError(error.message, error.code) : new Error(error.message));
type Asked = Exclude<ReadRequest, { kind: 'stop' | 'changed' }>;
const reads = createWorkerClient<Asked, ReadResult>(new URL('./read-worker.js', import.meta.url), toError);
const figures = createWorkerClient<Asked, ReadResult>(new URL('./read-worker.js', import.meta.url), toError);
// A third for the write-ahead log's checkpoints (src/db/sqlite/checkpoints.ts), so that none waits behind a long job.
const checkpoints = createWorkerClient<Asked, ReadResult>(new URL('./read-worker.js', import.meta.url), toError);

/** The rows of a read-only query, run on the worker's own connection to the database file at `path`. */
export async function rowsOffLoop<T>(path: string, sql: string, params: unknown[]): Promise<T[]> {
  return (await reads.ask({ kind: 'rows', id: reads.id(), path, sql, params })).rows as T[];
}

/**
 * A long read's rows in batches, read by the worker on a read-only connection of its own that lives as long as the
 * stream: the next batch is read while the caller handles this one. Breaking off stops the query and closes it.
 */
export async function* streamOffLoop<T>(path: string, sql: string, params: unknown[], batchSize: number, transform?: TextTransform): AsyncGenerator<T[]> {
  const id = reads.id();
  let reply = reads.ask({ kind: 'stream', id, path, sql, params, batchSize, transform });
  let done = false;
  try {
    for (;;) {
      const batch = await reply;
      done = batch.done === true;
      if (!done) reply = reads.ask({ kind: 'more', id });
      if (batch.rows.length > 0) yield batch.rows as T[];
      if (done) return;
    }
  } finally {
    // Stopped early: the worker ends the query once it has answered what it was last asked.
    if (!done) {
      reply.catch(() => {});
      reads.tell({ kind: 'stop', id } satisfies ReadRequest);
    }
  }
}

/** A long read's rows turned into text by `transform` on the worker's thread: a chunk per batch, then the end's. */
export async function* textOffLoop(path: string, sql: string, params: unknown[], batchSize: number, transform: TextTransform): AsyncGenerator<string> {
  for await (const chunks of streamOffLoop<string>(path, sql, params, batchSize, transform)) yield* chunks;
}

/**
 * Closes the workers' connections to `path` (its store closing), so that the file can be removed or replaced, and the
 * app's connection, closed last, checkpoints the write-ahead log and removes it.
 */
export async function releaseOffLoop(path: string): Promise<void> {
  await Promise.all([figures, reads, checkpoints].map((worker) => worker.askRunning({ kind: 'release', id: worker.id(), path })));
}

/** A passive checkpoint of the write-ahead log of the database at `path`, on a worker's read-write connection. */
export async function checkpointOffLoop(path: string): Promise<void> {
  await checkpoints.ask({ kind: 'checkpoint', id: checkpoints.id(), path });
}

/** Runs a store task on a worker's thread (a long job apart from the figures), over its read-only connection to `path`. */
export async function taskOffLoop<I, O>(path: string, task: StoreTask<I, O>, input: I): Promise<O> {
  const worker = task.long ? reads : figures;
  return (await worker.ask({ kind: 'task', id: worker.id(), path, module: task.module, name: task.name, input })).result as O;
}

/** Empties what the workers' caches of `path` hold of a change, as the app's store's own cache was (in commit order). */
export function changedOffLoop(path: string, change: CacheChange): void {
  for (const worker of [figures, reads]) worker.tell({ kind: 'changed', path, change } satisfies ReadRequest);
}
