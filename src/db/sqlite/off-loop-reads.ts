import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { TextTransform } from '../text-transform.js';

export type ReadRequest =
  | { kind: 'rows'; id: number; path: string; sql: string; params: unknown[] }
  | { kind: 'stream'; id: number; path: string; sql: string; params: unknown[]; batchSize: number; transform?: TextTransform }
  | { kind: 'more'; id: number }
  | { kind: 'stop'; id: number }
  | { kind: 'release'; path: string };
export type ReadReply = { id: number; rows: unknown[]; done?: boolean } | { id: number; error: { message: string; code?: string } };

// One worker thread for the process, shared by every store in it (a test process opens hundreds): SQLite runs a
// query to its end without yielding, so a count over a year of answers, or an export's next rows, would otherwise
// hold every resident's submission on the event loop. One worker, as the machines this runs on have two cores:
// heavy reads queue among themselves, never in front of a resident.
let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, (reply: ReadReply) => void>();

function start(): Worker {
  const started = new Worker(new URL('./read-worker.js', import.meta.url));
  started.on('message', (reply: ReadReply) => {
    const caller = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) started.unref();
    caller?.(reply);
  });
  // A worker that dies fails what it was asked, and the next read starts another.
  const fail = (err: Error) => {
    if (worker === started) worker = undefined;
    for (const caller of waiting.values()) caller({ id: 0, error: { message: err.message } });
    waiting.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`The read worker stopped (exit code ${code}).`)));
  return started;
}

/** Sends a request and waits for its reply's rows; SQLite's own error is rethrown as such (a full disk is answered 503). */
function ask(request: Exclude<ReadRequest, { kind: 'stop' | 'release' }>): Promise<{ rows: unknown[]; done?: boolean }> {
  worker ??= start();
  const promise = new Promise<{ rows: unknown[]; done?: boolean }>((resolve, reject) =>
    waiting.set(request.id, (reply) => {
      if ('rows' in reply) resolve(reply);
      else reject(reply.error.code ? new Database.SqliteError(reply.error.message, reply.error.code) : new Error(reply.error.message));
    }),
  );
  worker.ref();
  worker.postMessage(request);
  return promise;
}

/** The rows of a read-only query, run on the worker's own connection to the database file at `path`. */
export async function rowsOffLoop<T>(path: string, sql: string, params: unknown[]): Promise<T[]> {
  return (await ask({ kind: 'rows', id: nextId++, path, sql, params })).rows as T[];
}

/**
 * A long read's rows in batches, read by the worker on a read-only connection of its own that lives as long as the
 * stream: the next batch is read while the caller handles this one. Breaking off stops the query and closes it.
 */
export async function* streamOffLoop<T>(path: string, sql: string, params: unknown[], batchSize: number, transform?: TextTransform): AsyncGenerator<T[]> {
  const id = nextId++;
  let reply = ask({ kind: 'stream', id, path, sql, params, batchSize, transform });
  let done = false;
  try {
    for (;;) {
      const batch = await reply;
      done = batch.done === true;
      if (!done) reply = ask({ kind: 'more', id });
      if (batch.rows.length > 0) yield batch.rows as T[];
      if (done) return;
    }
  } finally {
    // Stopped early: the worker ends the query once it has answered what it was last asked.
    if (!done) {
      reply.catch(() => {});
      worker?.postMessage({ kind: 'stop', id } satisfies ReadRequest);
    }
  }
}

/** A long read's rows turned into text by `transform` on the worker's thread: a chunk per batch, then the end's. */
export async function* textOffLoop(path: string, sql: string, params: unknown[], batchSize: number, transform: TextTransform): AsyncGenerator<string> {
  for await (const chunks of streamOffLoop<string>(path, sql, params, batchSize, transform)) yield* chunks;
}

/** Closes the worker's connection to `path` (its store closed), so that the file can be removed or replaced. */
export function releaseOffLoop(path: string): void {
  worker?.postMessage({ kind: 'release', path } satisfies ReadRequest);
}
