import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import tap from 'tap';
import { openPgStore, openSqliteStore } from '../../src/db/open.js';
import type { Store } from '../../src/db/store.js';
import { generateDemo, type DemoOptions } from '../../src/demo/generate.js';
import { buildTestApp, testDialect, type DatabaseTemplate, type TestApp } from './app.js';
import { templateDatabase } from './postgres.js';
import { scratchRoot } from './scratch.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

const templates = new Map<string, DatabaseTemplate>();

async function fill(store: Store, options: DemoOptions) {
  try {
    await generateDemo(store, options);
  } finally {
    await store.close();
  }
}

/** A demo city generated once per test file and options (seconds of inserts), copied for each test that asks. */
function demoTemplate(options: DemoOptions): DatabaseTemplate {
  const key = JSON.stringify(options);
  let template = templates.get(key);
  if (template) return template;
  if (testDialect === 'postgres') template = templateDatabase(async (url) => fill(await openPgStore(url), options));
  else {
    const dir = mkdtempSync(join(scratchRoot, 'cg-demo-'));
    tap.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'demo.db');
    // Closing the only connection folds the WAL into the file, so the file alone is the whole database.
    template = fill(openSqliteStore({ DATABASE_PATH: path }).store, options).then(() => path);
  }
  templates.set(key, template);
  return template;
}

/** The real app on a copy of a demo city (`passwordCost` 10, the cheap hash tests use), its survey published or not. */
export async function buildDemoApp(
  t: Teardown,
  demo: Omit<DemoOptions, 'passwordCost'>,
  { env = {}, published = true }: { env?: Record<string, string>; published?: boolean } = {},
): Promise<TestApp> {
  const built = await buildTestApp(t, env, { from: demoTemplate({ ...demo, passwordCost: 10 }) });
  await built.store.transaction((tx) => tx.update(built.store.tables.surveys).set({ published }));
  return built;
}
