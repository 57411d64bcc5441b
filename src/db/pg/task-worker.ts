import type pg from 'pg';
import { parentPort } from 'node:worker_threads';
import type { Store, StoreTask } from '../store.js';
import { openPgPool } from './client.js';
import { createPgStore } from './store.js';
import type { PgTaskReply, PgTaskRequest } from './tasks.js';
import { lowerThisThreadsPriority } from '../../thread-priority.js';

// A resident's submission on the event loop goes first: this thread computes and reads at a lower priority.
lowerThisThreadsPriority();

// The worker behind PostgreSQL's store tasks: per store of the app, a store of its own on the same database (a small
// pool, no migration), opened at its first task and closed when the app's store is.
const POOL_SIZE = 4;
const stores = new Map<number, Promise<Store>>();

async function open(connection: pg.ClientConfig): Promise<Store> {
  const handle = openPgPool(connection, POOL_SIZE);
  try {
    return await createPgStore(handle, { tasksInProcess: true });
  } catch (err) {
    await handle.close();
    throw err;
  }
}

async function run({ store: id, connection, module, name, input }: Extract<PgTaskRequest, { kind: 'task' }>): Promise<unknown> {
  let store = stores.get(id);
  if (!store) {
    stores.set(id, (store = open(connection)));
    store.catch(() => stores.delete(id));
  }
  const task = ((await import(module)) as Record<string, StoreTask<unknown, unknown>>)[name];
  return task.run(await store, input);
}

/** The first SQLSTATE or socket code on the error or its causes (Drizzle wraps the driver's error). */
function codeOf(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

parentPort!.on('message', (message: PgTaskRequest) => {
  if (message.kind === 'release') {
    const store = stores.get(message.store);
    stores.delete(message.store);
    // Answered once closed, whether or not it ever opened.
    void (store ?? Promise.resolve(undefined))
      .then((s) => s?.close())
      .catch(() => {})
      .then(() => parentPort!.postMessage({ id: message.id, result: null } satisfies PgTaskReply));
    return;
  }
  run(message).then(
    (result) => parentPort!.postMessage({ id: message.id, result } satisfies PgTaskReply),
    (err: unknown) => parentPort!.postMessage({ id: message.id, error: { message: (err as Error).message, code: codeOf(err) } } satisfies PgTaskReply),
  );
});
