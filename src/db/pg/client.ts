import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { pgMigrationsFolder } from '../../paths.js';
import * as schema from './schema.js';

export type PgDb = NodePgDatabase<typeof schema>;

export interface PgHandle {
  pool: pg.Pool;
  db: PgDb;
  /** The connection settings every connection of the pool uses (the listener opens its own connection with them). */
  connection: pg.ClientConfig;
  close(): Promise<void>;
}

// node-postgres leaves int8 and numeric as strings (they can exceed 2^53). Ours are counts, sums and ids below 2^53:
// numbers, as SQLite gives them. Drizzle's queries fall back to these global parsers, so they are set process-wide.
pg.types.setTypeParser(pg.types.builtins.INT8, (text: string) => {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`${text} does not fit a JavaScript number`);
  return value;
});
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (text: string) => Number(text));
// A calendar day stays the 'YYYY-MM-DD' the app compares and prints (a Date would shift it by the time zone).
pg.types.setTypeParser(pg.types.builtins.DATE, (text: string) => text);
// JSON stays text, as SQLite returns it to raw SQL; Drizzle's json columns parse it themselves.
pg.types.setTypeParser(pg.types.builtins.JSON, (text: string) => text);
pg.types.setTypeParser(pg.types.builtins.JSONB, (text: string) => text);

// Every session: a commit is acknowledged only once durable (whatever the server's or role's default), and times in UTC.
const SESSION_OPTIONS = '-c synchronous_commit=on -c TimeZone=UTC';

/** Connection settings from a postgres:// URL, with our session options added to any the URL gives. */
export function connectionConfig(url: string): pg.ClientConfig {
  const parsed = new URL(url);
  const given = parsed.searchParams.get('options');
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), options: given ? `${given} ${SESSION_OPTIONS}` : SESSION_OPTIONS, connectionTimeoutMillis: 5000 };
}

/** Applies pending migrations under an advisory lock: servers starting together take turns, the later ones find nothing to do. */
async function migrateLocked(pool: pg.Pool) {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const db = drizzle(client);
    await db.execute(sql`SELECT pg_advisory_lock(hashtext('common-ground:migrations'))`);
    try {
      await migrate(db, { migrationsFolder: pgMigrationsFolder });
    } finally {
      await db.execute(sql`SELECT pg_advisory_unlock(hashtext('common-ground:migrations'))`);
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A connection whose lock or migration failed midway is closed rather than reused (a lost unlock is released with it).
    client.release(broken);
  }
}

/** A pool of up to `max` connections with these settings (from connectionConfig), as is: no migration. */
export function openPgPool(connection: pg.ClientConfig, max: number): PgHandle {
  const pool = new pg.Pool({ ...connection, max });
  // A connection the server closes (restart, failover, administrator) fails the query using it, if any, and is then
  // dropped by the pool; its 'error' event, unheard, would end the process.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  let closed: Promise<void> | undefined;
  return {
    pool,
    db: drizzle(pool, { schema }),
    connection,
    close: () => (closed ??= pool.end()),
  };
}

/** Opens a pool on the PostgreSQL database at `url` and applies pending migrations (unless told not to). */
export async function openPgDatabase(url: string, { max = 10, migrate = true }: { max?: number; migrate?: boolean } = {}): Promise<PgHandle> {
  const handle = openPgPool(connectionConfig(url), max);
  try {
    if (migrate) await migrateLocked(handle.pool);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
