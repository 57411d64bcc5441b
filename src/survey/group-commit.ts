import type Database from 'better-sqlite3';

interface Pending<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: writes queued in the same turn of the event loop share one durable transaction, and each caller
 * is answered only after that commit. Each write runs in its own savepoint, so a failing one is rejected alone.
 */
export function createGroupCommitter(sqlite: Database.Database, maxBatch = 256) {
  let queue: Pending<unknown>[] = [];
  let scheduled = false;
  let idle: (() => void) | null = null;

  function flush() {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      sqlite.transaction(() => {
        for (const item of batch) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: its failure rolls back only this write.
            outcomes.push({ ok: true, value: sqlite.transaction(item.work)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      batch.forEach((item) => item.reject(error));
      return finish();
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    finish();
  }

  function finish() {
    if (queue.length === 0 && idle) {
      idle();
      idle = null;
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    /** Runs `work` inside the next group transaction; resolves with its result once the commit is durable. */
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve, reject } as Pending<unknown>);
        schedule();
      });
    },
    /** Resolves when every queued write has been committed (used at shutdown). */
    drain(): Promise<void> {
      if (queue.length === 0 && !scheduled) return Promise.resolve();
      return new Promise((resolve) => {
        idle = resolve;
      });
    },
    get pending() {
      return queue.length;
    },
  };
}
