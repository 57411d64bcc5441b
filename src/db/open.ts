import type { Config } from '../config.js';
import { openPgDatabase } from './pg/client.js';
import { createPgStore } from './pg/store.js';
import { openDatabase, type DatabaseHandle } from './sqlite/client.js';
import { createSqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

/** The configured database, migrated and ready: PostgreSQL when DATABASE_URL is set, else the SQLite file at DATABASE_PATH. */
export async function openStore(config: Pick<Config, 'DATABASE_PATH'> & Partial<Pick<Config, 'DATABASE_URL'>>): Promise<Store> {
  return config.DATABASE_URL ? openPgStore(config.DATABASE_URL) : openSqliteStore(config).store;
}

/** The SQLite file at DATABASE_PATH with its raw handle, for what only SQLite has (its tests, the bench's bulk load, db:copy). */
export function openSqliteStore(config: Pick<Config, 'DATABASE_PATH'>): { store: Store; database: DatabaseHandle } {
  const database = openDatabase(config.DATABASE_PATH);
  return { store: createSqliteStore(database), database };
}

/** The PostgreSQL database at `url` (postgres://…), migrated (under an advisory lock) and ready. */
export async function openPgStore(url: string, options: { max?: number } = {}): Promise<Store> {
  const handle = await openPgDatabase(url, options);
  try {
    return await createPgStore(handle);
  } catch (err) {
    await handle.close();
    throw err;
  }
}
