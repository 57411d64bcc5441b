import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import tap from 'tap';
import { startCluster } from '../../scripts/lib/postgres-cluster.js';
import { openPgDatabase } from '../../src/db/pg/client.js';
import { pgMigrationsFolder } from '../../src/paths.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

let server: Promise<string> | undefined;

/** The URL of a server tests may create databases on: TEST_DATABASE_URL, else a cluster started once per test process. */
export function postgresServer(): Promise<string> {
  server ??= process.env.TEST_DATABASE_URL ? Promise.resolve(process.env.TEST_DATABASE_URL) : startCluster().then((c) => c.url);
  return server;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

const migrationsHash = () => {
  const hash = createHash('sha256');
  for (const file of readdirSync(pgMigrationsFolder)
    .filter((f) => f.endsWith('.sql'))
    .sort())
    hash.update(readFileSync(join(pgMigrationsFolder, file)));
  return hash.digest('hex').slice(0, 16);
};

let template: Promise<string> | undefined;

/**
 * A database with every migration applied, to copy for each test (far faster than migrating each). Named after the
 * migrations, so processes sharing a TEST_DATABASE_URL share it; built under an advisory lock and renamed into place.
 */
function migratedTemplate(admin: string): Promise<string> {
  template ??= (async () => {
    const name = `cg_template_${migrationsHash()}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount === 0) {
        await client.query(`DROP DATABASE IF EXISTS "${name}_partial"`);
        await client.query(`CREATE DATABASE "${name}_partial"`);
        const handle = await openPgDatabase(withDatabase(admin, `${name}_partial`), { max: 1 });
        await handle.close();
        await client.query(`ALTER DATABASE "${name}_partial" RENAME TO "${name}"`);
      }
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    } finally {
      await client.end();
    }
    return name;
  })();
  return template;
}

let spare: Promise<string> | undefined;
const drops = new Set<Promise<unknown>>();

// Databases still being made or dropped are finished before the test file ends, so none is left behind.
tap.teardown(async () => {
  const admin = await server;
  const name = await spare?.catch(() => undefined);
  if (admin && name) void drop(admin, name);
  await Promise.all(drops);
});

function drop(admin: string, name: string): Promise<unknown> {
  const dropping = adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => drops.delete(dropping));
  drops.add(dropping);
  return dropping;
}

async function copyOfTemplate(admin: string, source: string): Promise<string> {
  const name = `cg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  // FILE_COPY: a checkpoint and a copy of the files, cheaper than writing the template through the WAL when fsync is off.
  await adminQuery(admin, `CREATE DATABASE "${name}" TEMPLATE "${source}" STRATEGY FILE_COPY`);
  return name;
}

/**
 * A fresh, migrated database for one test, dropped when it ends; returns its URL. Making a database takes longer than
 * most tests, so the next test's is made while this one runs, and drops finish in the background.
 */
export async function testDatabaseUrl(t: Teardown, from?: string): Promise<string> {
  const admin = await postgresServer();
  const source = await migratedTemplate(admin);
  let name: string;
  if (from) name = await copyOfTemplate(admin, from);
  else {
    // Taken and replaced before any await, so two tests asking at once never get the same database.
    const taken = spare ?? copyOfTemplate(admin, source);
    spare = copyOfTemplate(admin, source);
    spare.catch(() => {}); // a failure reaches the test that takes this database
    name = await taken;
  }
  t.teardown(() => {
    void drop(admin, name); // finished by the file's teardown above, not waited for by each test
  });
  return withDatabase(admin, name);
}

/**
 * A database filled by `fill`, kept until the test file ends, for testDatabaseUrl to copy (filling it is slow). Returns
 * its name; nothing may stay connected to it.
 */
export async function templateDatabase(fill: (url: string) => Promise<void>): Promise<string> {
  const admin = await postgresServer();
  const name = await copyOfTemplate(admin, await migratedTemplate(admin));
  tap.teardown(() => drop(admin, name));
  await fill(withDatabase(admin, name));
  return name;
}

/** A fresh database with no tables at all (for tests of migrating), dropped when the test ends. */
export async function emptyDatabaseUrl(t: Teardown): Promise<string> {
  const admin = await postgresServer();
  const name = `cg_empty_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(admin, `CREATE DATABASE "${name}"`);
  t.teardown(() => adminQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return withDatabase(admin, name);
}
