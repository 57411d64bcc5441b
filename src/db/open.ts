import type { Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from './sqlite/client.js';
import { createSqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

/** The configured database, migrated and ready: an SQLite file at DATABASE_PATH. */
export function openStore(config: Pick<Config, 'DATABASE_PATH'>): { store: Store; database: DatabaseHandle } {
  const database = openDatabase(config.DATABASE_PATH);
  return { store: createSqliteStore(database), database };
}
