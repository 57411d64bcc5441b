import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { migrationsFolder } from '../../paths.js';
import * as schema from '../schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface DatabaseHandle {
  sqlite: Database.Database;
  db: Db;
  /** The database file's real path (symbolic links resolved): SQLite keeps its -wal beside it. */
  path: string;
  /** Why the file at `path` is no longer the one opened (deleted or replaced), or null. */
  fileProblem(): string | null;
  close(): void;
}

/** A database file the server must not start on; the message says what was found and what to do. */
export class DatabaseFileError extends Error {
  override name = 'DatabaseFileError';
}

const SQLITE_HEADER = 'SQLite format 3\0';
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** The file's real path: SQLite follows symbolic links and puts the -wal beside the target, so every path we open must too. */
function realDatabasePath(path: string): string {
  if (path === ':memory:') return path;
  if (existsSync(path)) return realpathSync(path);
  if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink())
    throw new DatabaseFileError(`${path} is a symbolic link to a file that does not exist. Point it at the database file, or remove the link.`);
  return join(realpathSync(dirname(path)), basename(path));
}

/** Refuses what would otherwise silently become an empty installation (and a new setup link) or be written over. */
function checkFileBeforeOpening(path: string) {
  if (!existsSync(path)) {
    for (const leftover of [`${path}-wal`, `${path}-journal`]) {
      if (existsSync(leftover))
        throw new DatabaseFileError(
          `${leftover} exists but the database file ${path} does not: the database was moved or deleted. Restore it from a backup, or remove ${leftover} to start an empty installation.`,
        );
    }
    return;
  }
  if (!statSync(path).isFile()) throw new DatabaseFileError(`${path} is not a file.`);
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  const read = readSync(fd, header, 0, header.length, 0);
  closeSync(fd);
  if (read === 0)
    throw new DatabaseFileError(`${path} is empty (0 bytes), not a database. Restore it from a backup, or delete it to start an empty installation.`);
  if (header.toString('latin1') !== SQLITE_HEADER) throw new DatabaseFileError(`${path} is not an SQLite database. Check DATABASE_PATH.`);
}

/** After opening an existing file: intact, and either empty or ours (drizzle's migrations table present). */
function checkOpenedDatabase(sqlite: Database.Database, path: string) {
  let problems: string[];
  try {
    problems = (sqlite.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    problems = [(err as Error).message];
  }
  if (problems.length !== 1 || problems[0] !== 'ok')
    throw new DatabaseFileError(
      `${path} is damaged (SQLite's quick_check: ${problems.slice(0, 3).join('; ')}). Restore it from a backup; the server will not write to a damaged database.`,
    );
  const tables = sqlite.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
  if (tables.length > 0 && !tables.includes(MIGRATIONS_TABLE))
    throw new DatabaseFileError(`${path} is an SQLite database of another application (it has no ${MIGRATIONS_TABLE} table). Check DATABASE_PATH.`);
}

/**
 * Opens (creating folders and file if needed) the SQLite database and applies pending migrations. A writable open
 * refuses a damaged, empty or foreign file and a -wal left without its database, with a DatabaseFileError.
 */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): DatabaseHandle {
  const readonly = options.readonly ?? false;
  if (!readonly && path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const realPath = realDatabasePath(path);
  const existed = realPath !== ':memory:' && existsSync(realPath);
  if (!readonly && realPath !== ':memory:') checkFileBeforeOpening(realPath);
  const sqlite = new Database(realPath, { readonly, fileMustExist: readonly });
  try {
    if (!readonly && existed) checkOpenedDatabase(sqlite, realPath);
    sqlite.pragma('busy_timeout = 5000');
    if (!readonly) {
      sqlite.pragma('journal_mode = WAL');
      // better-sqlite3 defaults WAL to NORMAL, where a committed transaction can vanish on power loss.
      sqlite.pragma('synchronous = FULL');
    }
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }
  const db = drizzle(sqlite, { schema });
  if (!readonly) migrate(db, { migrationsFolder });
  const opened = realPath === ':memory:' ? undefined : statSync(realPath);
  return {
    sqlite,
    db,
    path: realPath,
    // SQLite keeps writing to a deleted file (its WAL too): those writes would vanish at the next start.
    fileProblem() {
      const now = opened && statSync(realPath, { throwIfNoEntry: false });
      if (!opened) return null;
      if (!now) return `the database file ${realPath} was deleted`;
      return now.ino === opened.ino && now.dev === opened.dev ? null : `the database file ${realPath} was replaced by another file`;
    },
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/** SQLite's full consistency check of the file at `path` (after a crash, say): 'ok', or what is damaged. */
export function integrityCheck(path: string): string {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (sqlite.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    sqlite.close();
  }
}
