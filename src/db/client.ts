import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrationsFolder } from '../paths.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface DatabaseHandle {
  sqlite: Database.Database;
  db: Db;
  path: string;
  close(): void;
}

/** Opens (creating folders and file if needed) the SQLite database and applies pending migrations. */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): DatabaseHandle {
  if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  sqlite.pragma('busy_timeout = 5000');
  if (!options.readonly) {
    sqlite.pragma('journal_mode = WAL');
    // better-sqlite3 defaults WAL to NORMAL, where a committed transaction can vanish on power loss.
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema });
  if (!options.readonly) migrate(db, { migrationsFolder });
  return {
    sqlite,
    db,
    path,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
