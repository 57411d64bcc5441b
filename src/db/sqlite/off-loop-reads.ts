import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';

export type ReadRequest = { kind: 'rows'; id: number; path: string; sql: string; params: unknown[] } | { kind: 'release'; path: string };
export type ReadReply = { id: number; rows: unknown[] } | { id: number; error: { message: string; code?: string } };

// One worker thread for the process, shared by every store in it (a test process opens hundreds): SQLite runs a
// query to its end without yielding, so a count over a year of answers would otherwise hold every resident's
// submission on the event loop. One worker, as the machines this runs on have two cores: heavy reads queue among
// themselves, never in front of a resident.
let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();

function start(): Worker {
  const started = new Worker(new URL('./read-worker.js', import.meta.url));
  started.on('message', (reply: ReadReply) => {
    const caller = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (waiting.size === 0) started.unref();
    if (!caller) return;
    if ('rows' in reply) caller.resolve(reply.rows);
    // SQLite's own error, so that a full disk or a deleted file is recognised as such (answered 503).
    else caller.reject(reply.error.code ? new Database.SqliteError(reply.error.message, reply.error.code) : new Error(reply.error.message));
  });
  // A worker that dies fails what it was asked, and the next read starts another.
  const fail = (err: Error) => {
    if (worker === started) worker = undefined;
    for (const caller of waiting.values()) caller.reject(err);
    waiting.clear();
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`The read worker stopped (exit code ${code}).`)));
  return started;
}

/** The rows of a read-only query, run on the worker's own connection to the database file at `path`. */
export function rowsOffLoop<T>(path: string, sql: string, params: unknown[]): Promise<T[]> {
  worker ??= start();
  const id = nextId++;
  const promise = new Promise<T[]>((resolve, reject) => waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject }));
  worker.ref();
  worker.postMessage({ kind: 'rows', id, path, sql, params } satisfies ReadRequest);
  return promise;
}

/** Closes the worker's connection to `path` (its store closed), so that the file can be removed or replaced. */
export function releaseOffLoop(path: string): void {
  worker?.postMessage({ kind: 'release', path } satisfies ReadRequest);
}
