import type pg from 'pg';
import type { StoreTask } from '../store.js';
import { createWorkerClient, type WorkerReply } from '../../worker-client.js';

export type PgTaskRequest =
  | { kind: 'task'; id: number; store: number; connection: pg.ClientConfig; module: string; name: string; input: unknown }
  | { kind: 'release'; id: number; store: number };
export type PgTaskReply = WorkerReply<unknown>;

// Two worker threads for the process, as on SQLite: one computes the figures pages show, the other long jobs (weighting
// passes), so that a page never waits behind them. PostgreSQL reads without holding the event loop, but the statistics
// over 300 neighborhoods' sums would hold it for hundreds of milliseconds. An error keeps its SQLSTATE (503s).
const toError = (error: { message: string; code?: string }) => Object.assign(new Error(error.message), error.code ? { code: error.code } : {});
const figures = createWorkerClient<PgTaskRequest, unknown>(new URL('./task-worker.js', import.meta.url), toError);
const jobs = createWorkerClient<PgTaskRequest, unknown>(new URL('./task-worker.js', import.meta.url), toError);
let stores = 0;

/**
 * Store tasks of one store, run on a worker's thread by a store of its own there: another pool on the same database,
 * whose cache every server's commits empty through LISTEN/NOTIFY, this one's too, as for another server.
 */
export function createPgTasks(connection: pg.ClientConfig) {
  const store = ++stores;
  const running = new Set<Promise<unknown>>();
  return {
    run<I, O>(task: StoreTask<I, O>, input: I): Promise<O> {
      const worker = task.long ? jobs : figures;
      const result = worker.ask({ kind: 'task', id: worker.id(), store, connection, module: task.module, name: task.name, input }) as Promise<O>;
      running.add(result);
      const done = () => running.delete(result);
      result.then(done, done);
      return result;
    },
    /** Closes the workers' stores of this one (their pools and listening connections), once the tasks it asked for are done. */
    async release() {
      await Promise.allSettled([...running]);
      await Promise.all([figures, jobs].map((worker) => worker.askRunning({ kind: 'release', id: worker.id(), store })));
    },
  };
}
