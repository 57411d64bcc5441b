import type { Config } from '../config.js';
import { openPgDatabase } from './pg/client.js';
import { createPgStore } from './pg/store.js';
import { openDatabase, type DatabaseHandle } from './sqlite/client.js';
import { createSqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

/**
 * The SQLite database at DATABASE_PATH, migrated and ready. `database` (the raw handle) is transitional: while features
 * still use it the app cannot run on PostgreSQL, so a DATABASE_URL is refused here rather than silently ignored.
 */
export function openStore(config: Pick<Config, 'DATABASE_PATH'> & Partial<Pick<Config, 'DATABASE_URL'>>): { store: Store; database: DatabaseHandle } {
  if (config.DATABASE_URL)
    throw new Error('DATABASE_URL is set, but this version still runs on SQLite only (DATABASE_PATH): unset DATABASE_URL, or open it with openPgStore.');
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
