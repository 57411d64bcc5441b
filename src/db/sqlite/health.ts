import Database from 'better-sqlite3';
import { accessSync, constants, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageError } from '../store.js';
import type { DatabaseHandle } from './client.js';

// SQLite's answers when the file or disk will not take a write (extended codes start with these).
const STORAGE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB|BUSY|LOCKED)/;

export const isSqliteStorageError = (err: unknown): boolean =>
  err instanceof StorageError || (err instanceof Database.SqliteError && STORAGE_CODES.test(err.code));

// Below this much room (on the disk, or under max_page_count) the next writes are about to fail.
const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Whether the database can take writes, for /healthz: the file is still the one opened, writable, with room on its
 * disk; and after a write failed, a real write succeeds again.
 */
export function createStorageHealth(handle: DatabaseHandle) {
  const { sqlite, path } = handle;
  let lastFailure: string | null = null;
  const room = sqlite.prepare(
    'SELECT page_count, max_page_count, freelist_count, page_size FROM pragma_page_count, pragma_max_page_count, pragma_freelist_count, pragma_page_size',
  );
  // A one-row upsert: after a failure it tells whether the database takes writes again.
  const probe = sqlite.prepare(
    "INSERT INTO settings (key, value) VALUES ('storage_checked_on', date('now')) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  );

  function fileProblem(): string | null {
    if (sqlite.memory) return null;
    const gone = handle.fileProblem();
    if (gone) return gone;
    try {
      accessSync(path, constants.W_OK);
      accessSync(dirname(path), constants.W_OK);
    } catch (err) {
      return `the database file cannot be written (${(err as NodeJS.ErrnoException).code})`;
    }
    const disk = statfsSync(dirname(path));
    if (disk.bavail * disk.bsize < MIN_FREE_BYTES) return `the disk holding the database is full (${disk.bavail * disk.bsize} bytes free)`;
    const pages = room.get() as { page_count: number; max_page_count: number; freelist_count: number; page_size: number };
    if ((pages.max_page_count - pages.page_count + pages.freelist_count) * pages.page_size < MIN_FREE_BYTES)
      return 'the database has reached its size limit (max_page_count)';
    return null;
  }

  return {
    /** Notes a write that failed for lack of storage: /healthz reports it until a write succeeds again. */
    failed(err: Error) {
      lastFailure = err.message;
    },
    /** Why the database cannot take writes now, or null when it can. */
    problem(): string | null {
      const problem = fileProblem();
      if (problem || lastFailure === null) return problem;
      try {
        probe.run();
        lastFailure = null;
        return null;
      } catch (err) {
        if (!isSqliteStorageError(err)) throw err;
        lastFailure = (err as Error).message;
        return `writes fail: ${lastFailure}`;
      }
    },
  };
}

export type StorageHealth = ReturnType<typeof createStorageHealth>;
