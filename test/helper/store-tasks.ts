import { storeTask, type Store } from '../../src/db/store.js';

// Tasks for the store contract (test/db/store-contract.test.ts), in a module of their own: the read worker imports it.

const reads = new WeakMap<Store, number>();

/** How many neighborhoods there are, as a figure built from March 2026 of survey 1, and how often it was read. */
export const countTask = storeTask(import.meta.url, 'countTask', async (store, input: { cache: boolean }) => {
  const read = async () => {
    reads.set(store, (reads.get(store) ?? 0) + 1);
    return store.read(async (db) => (await db.select().from(store.tables.neighborhoods)).length);
  };
  const count = input.cache ? await store.cached('figures', 'count', read, { over: { survey: 1, from: '2026-03-01', to: '2026-03-31' } }) : await read();
  return { count, reads: reads.get(store) ?? 0 };
});

/** Fails with the message given. */
export const failingTask = storeTask(import.meta.url, 'failingTask', async (_store, message: string) => {
  throw new Error(message);
});
