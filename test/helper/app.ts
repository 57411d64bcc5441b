import { sql } from 'drizzle-orm';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openPgStore, openSqliteStore } from '../../src/db/open.js';
import type { DatabaseHandle } from '../../src/db/sqlite/client.js';
import type { Store } from '../../src/db/store.js';
import type { StaffRole } from '../../src/db/schema.js';
import { projectRoot } from '../../src/paths.js';
import { checkResponsesAgainstDocument } from './openapi.js';
import { testDatabaseUrl } from './postgres.js';
import { scratchRoot } from './scratch.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A temp folder removed when the test ends. */
export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(scratchRoot, 'cg-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Test configuration: a real SQLite file in a temp folder, silent logs, a cheap password hash, templates compiled once. */
export function testConfig(t: Teardown, env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_PATH: join(tempDir(t), 'test.db'),
    LOG_LEVEL: 'silent',
    PASSWORD_HASH_COST: '10',
    NODE_ENV: 'test',
    WEIGHTING_INTERVAL: '0',
    READ_AHEAD_ROWS: '0',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  database: DatabaseHandle;
  config: Config;
  logs: string[];
}

/** The database the suite runs on: SQLite, or PostgreSQL with TEST_DATABASE=postgres (npm test runs both). */
export const testDialect: Store['dialect'] = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * A fresh store of the suite's database; the caller closes it (buildTestApp does). On PostgreSQL `database` (SQLite's
 * own handle) throws: such a test is SQLite's alone. scripts/run-suite.ts runs the files that call this on PostgreSQL too.
 */
export async function openTestStore(t: Teardown, config: Config = testConfig(t), from?: DatabaseTemplate): Promise<{ store: Store; database: DatabaseHandle }> {
  if (testDialect === 'sqlite') {
    if (from) copyFileSync(await from, config.DATABASE_PATH);
    return openSqliteStore(config);
  }
  const store = await openPgStore(await testDatabaseUrl(t, from && (await from)));
  const database = new Proxy({} as DatabaseHandle, {
    get: () => {
      throw new Error("This test uses SQLite's own file: list it in test/sqlite-only.txt with the reason.");
    },
  });
  return { store, database };
}

/** A filled database to start tests from: an SQLite file, or a PostgreSQL database's name (see test/helper/demo.ts). */
export type DatabaseTemplate = Promise<string>;

/**
 * Builds the real app on a fresh temp database (a copy of `from` when given); closed at the end of the test.
 * `unsafeExactFigures` switches perturbation off for liaisons and the public (the disclosure attack's negative control),
 * `unsafeSampleParts` the complementary rule of sample figures (the sample attack's).
 */
export async function buildTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  options: { unsafeExactFigures?: boolean; unsafeSampleParts?: boolean; from?: DatabaseTemplate } = {},
): Promise<TestApp> {
  const config = testConfig(t, env);
  const { store, database } = await openTestStore(t, config, options.from);
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  const app = await buildApp({ config, store, logStream, unsafeExactFigures: options.unsafeExactFigures, unsafeSampleParts: options.unsafeSampleParts });
  checkResponsesAgainstDocument(app);
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  return { app, store, database, config, logs };
}

/** Adds neighborhoods (slugs made from their names) and returns them in the order given. */
export function addNeighborhoods(store: Store, ...names: string[]) {
  return store.transaction((tx) =>
    tx
      .insert(store.tables.neighborhoods)
      .values(names.map((name) => ({ name, slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-') })))
      .returning(),
  );
}

/** Cookies from a response as a `cookie` header value, merged over earlier ones. */
export function cookieJar() {
  const jar = new Map<string, string>();
  return {
    store(res: { cookies: { name: string; value: string }[] }) {
      for (const c of res.cookies) {
        if (c.value === '') jar.delete(c.name);
        else jar.set(c.name, c.value);
      }
    },
    header: () => [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
    get: (name: string) => jar.get(name),
  };
}

export const csrfFrom = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

export async function createStaff(app: FastifyInstance, email: string, password: string, role: StaffRole) {
  return app.staff.create(email, await hashPassword(password, 10), role);
}

/** Logs in through the real login form; returns the cookie jar holding the session. */
export async function login(app: FastifyInstance, email: string, password: string) {
  const jar = cookieJar();
  const page = await app.inject({ method: 'GET', url: '/login' });
  jar.store(page);
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ email, password, _csrf: csrfFrom(page.body) ?? '' }).toString(),
  });
  jar.store(res);
  return { jar, res };
}

export const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const item of [v].flat()) params.append(k, item);
  return params.toString();
};

/** Rows in a table, read with plain SQL so the check does not depend on the code under test. */
export async function rowCount(store: Store, table: string): Promise<number> {
  const [{ n }] = await store.read((db) => store.rows<{ n: number }>(db, sql`SELECT count(*) AS "n" FROM ${sql.raw(table)}`));
  return n;
}

/** The production build of the server (`npm test` compiles it first), for tests that run it as a separate process. */
export function compiledServer() {
  const entry = join(projectRoot, 'dist', 'src', 'server.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run the tests with npm test, which compiles the server first.`);
  return { command: process.execPath, args: [entry] };
}
