import type Database from 'better-sqlite3';
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';
import { StorageError } from '../store.js';
import type { ConnectionLock } from './lock.js';

interface Pending<T> {
  work: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const FULL = 2;

/**
 * Group commit: writes queued in the same turn of the event loop share one durable transaction, and each caller
 * is answered only after that commit. A failing write is rejected alone: the batch is then rerun with a savepoint
 * per write.
 *
 * On a WAL database at synchronous=FULL the commit's fsync runs on the thread pool instead of blocking the event
 * loop: the group transaction commits at NORMAL (SQLite writes the WAL frames without syncing; checkpoints still
 * sync the WAL first and the database after), then the WAL file is fdatasync'd and only then is anyone answered.
 * That is FULL's guarantee, while the next batch is already being parsed and written.
 */
export function createGroupCommitter(
  sqlite: Database.Database,
  lock: ConnectionLock,
  {
    maxBatch = 256,
    fileProblem = () => null,
    onBegin = () => {},
    onCommit = () => {},
  }: { maxBatch?: number; fileProblem?: () => string | null; onBegin?: () => void; onCommit?: () => void } = {},
) {
  const queue: Pending<unknown>[] = [];
  let scheduled = false;
  // Batches taken from the queue and not yet answered.
  let active = 0;
  let idle: (() => void) | null = null;
  let walFd: number | null = null;
  const walPath = `${sqlite.name}-wal`;

  // The WAL file is removed when the last connection closes; a handle to a removed file is reopened.
  function walHandle(): number {
    if (walFd !== null && fstatSync(walFd).nlink > 0) return walFd;
    if (walFd !== null) closeSync(walFd);
    walFd = openSync(walPath, 'r');
    return walFd;
  }

  // Runs the batch in one transaction; the caller holds the connection exclusively.
  async function write(batch: Pending<unknown>[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    try {
      // Writes rarely fail: run the batch without a savepoint per write, which costs as much as a small write.
      onBegin();
      sqlite.exec('BEGIN IMMEDIATE');
      for (const item of batch) outcomes.push({ ok: true, value: await item.work() });
      sqlite.exec('COMMIT');
      return outcomes;
    } catch {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    }
    // One failed and the whole batch rolled back: again, each write in its own savepoint, so a failure rolls back
    // only that write.
    outcomes.length = 0;
    sqlite.exec('BEGIN IMMEDIATE');
    try {
      for (const item of batch) {
        sqlite.exec('SAVEPOINT submission');
        try {
          outcomes.push({ ok: true, value: await item.work() });
          sqlite.exec('RELEASE submission');
        } catch (error) {
          // A full disk (and a few other errors) rolls back the whole transaction: then nothing of the batch is stored.
          if (!sqlite.inTransaction) throw error;
          sqlite.exec('ROLLBACK TO submission');
          sqlite.exec('RELEASE submission');
          outcomes.push({ ok: false, error });
        }
      }
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw error;
    }
    return outcomes;
  }

  async function flush() {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    active++;
    // A write to a deleted or replaced database file would be acknowledged and then lost.
    const problem = fileProblem();
    if (problem) {
      batch.forEach((item) => item.reject(new StorageError(problem)));
      return done();
    }
    let outcomes: Outcome[];
    let offThread = false;
    try {
      outcomes = await lock.run('exclusive', async () => {
        const level = sqlite.pragma('synchronous', { simple: true }) as number;
        offThread = !sqlite.memory && level >= FULL && sqlite.pragma('journal_mode', { simple: true }) === 'wal';
        if (offThread) sqlite.pragma('synchronous = NORMAL');
        try {
          return await write(batch);
        } finally {
          if (offThread) sqlite.pragma(`synchronous = ${level}`);
          onCommit();
        }
      });
    } catch (error) {
      batch.forEach((item) => item.reject(error));
      return done();
    }
    if (!offThread) {
      settle(batch, outcomes);
      return done();
    }
    let fd: number;
    try {
      fd = walHandle();
    } catch (error) {
      batch.forEach((item) => item.reject(new StorageError(`cannot open the write-ahead log ${walPath}`, { cause: error })));
      return done();
    }
    fdatasync(fd, (error) => {
      if (error) batch.forEach((item) => item.reject(new StorageError(`cannot sync the write-ahead log ${walPath}`, { cause: error })));
      else settle(batch, outcomes);
      done();
    });
  }

  function settle(batch: Pending<unknown>[], outcomes: Outcome[]) {
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  function done() {
    active--;
    if (queue.length === 0 && !scheduled && active === 0 && idle) {
      idle();
      idle = null;
    }
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return {
    /** Runs `work` inside the next group transaction; resolves with its result once the commit is durable. */
    run<T>(work: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve, reject } as Pending<unknown>);
        schedule();
      });
    },
    /** Resolves when every queued write has been committed and synced (used at shutdown); releases the WAL handle. */
    async drain(): Promise<void> {
      if (queue.length > 0 || scheduled || active > 0) await new Promise<void>((resolve) => (idle = resolve));
      if (walFd !== null) closeSync(walFd);
      walFd = null;
    },
    get pending() {
      return queue.length;
    },
  };
}
