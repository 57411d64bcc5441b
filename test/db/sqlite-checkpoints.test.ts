import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { openSqliteStore } from '../../src/db/open.js';
import { tempDir } from '../helper/app.js';

const walSize = (path: string) => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;

t.test("the write-ahead log is checkpointed off the event loop, not in a commit on the app's connection", async (t) => {
  const path = join(tempDir(t), 'checkpoints.db');
  const { store, database } = openSqliteStore({ DATABASE_PATH: path });
  t.equal(database.sqlite.pragma('wal_autocheckpoint', { simple: true }), 0, "the app's connection never checkpoints in a commit");
  await store.transaction((tx) => store.execute(tx, sql`CREATE TABLE scratch (payload BLOB NOT NULL)`));
  // 60 commits of 1 MB: without the worker's checkpoints the log would hold all 60 MB. It grows until the worker
  // (started by the first checkpoint) has done one, then stays where it was: the writer starts it over.
  let largest = 0;
  for (let i = 0; i < 60; i++) {
    await store.transaction((tx) => store.execute(tx, sql`INSERT INTO scratch (payload) VALUES (randomblob(${1024 * 1024}))`));
    // Let the worker's checkpoint finish before the next write, so that the writer can start the log over.
    await new Promise((resolve) => setTimeout(resolve, 50));
    largest = Math.max(largest, walSize(path));
  }
  t.ok(largest < 30e6, `the log stopped growing (largest ${(largest / 1e6).toFixed(1)} MB)`);
  const submitted = await Promise.all(
    Array.from({ length: 8 }, () => store.submit((tx) => store.execute(tx, sql`INSERT INTO scratch (payload) VALUES (randomblob(${1024 * 1024}))`))),
  );
  t.same(submitted, [1, 1, 1, 1, 1, 1, 1, 1], 'group commits checkpoint too');
  await store.close();
  t.notOk(existsSync(`${path}-wal`), 'closing waits for the checkpoint and removes the log');
  const { store: reopened } = openSqliteStore({ DATABASE_PATH: path });
  t.teardown(() => reopened.close());
  const [{ n }] = await reopened.read((db) => reopened.rows<{ n: number }>(db, sql`SELECT count(*) AS n FROM scratch`));
  t.equal(n, 68, 'every commit is in the database file');
});
