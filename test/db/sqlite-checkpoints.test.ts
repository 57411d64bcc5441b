import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { openSqliteStore } from '../../src/db/open.js';
import { checkpointOffLoop } from '../../src/db/sqlite/off-loop-reads.js';
import { tempDir } from '../helper/app.js';

const walSize = (path: string) => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;

t.test("the write-ahead log is checkpointed off the event loop, not in a commit on the app's connection", async (t) => {
  const path = join(tempDir(t), 'checkpoints.db');
  const { store, database } = openSqliteStore({ DATABASE_PATH: path });
  t.equal(database.sqlite.pragma('wal_autocheckpoint', { simple: true }), 0, "the app's connection never checkpoints in a commit");
  await store.transaction((tx) => store.execute(tx, sql`CREATE TABLE scratch (payload BLOB NOT NULL)`));
  // The worker starts on the first checkpoint (seconds on a busy machine with coverage on): started here first, so
  // that what follows measures checkpoints, not a thread starting.
  await checkpointOffLoop(path);
  // 40 commits of 1 MB: without the worker's checkpoints the log would hold all 40 MB. It grows to the threshold, then
  // the writer starts it over after each checkpoint.
  let largest = 0;
  for (let i = 0; i < 40; i++) {
    await store.transaction((tx) => store.execute(tx, sql`INSERT INTO scratch (payload) VALUES (randomblob(${1024 * 1024}))`));
    // Let the worker's checkpoint finish before the next write, so that the writer can start the log over.
    await new Promise((resolve) => setTimeout(resolve, 50));
    largest = Math.max(largest, walSize(path));
  }
  t.ok(largest < 20e6, `the log stopped growing (largest ${(largest / 1e6).toFixed(1)} MB)`);
  const submitted = await Promise.all(
    Array.from({ length: 8 }, () => store.submit((tx) => store.execute(tx, sql`INSERT INTO scratch (payload) VALUES (randomblob(${1024 * 1024}))`))),
  );
  t.same(submitted, [1, 1, 1, 1, 1, 1, 1, 1], 'group commits checkpoint too');
  await store.close();
  t.notOk(existsSync(`${path}-wal`), 'closing waits for the checkpoint and removes the log');
  const { store: reopened } = openSqliteStore({ DATABASE_PATH: path });
  t.teardown(() => reopened.close());
  const [{ n }] = await reopened.read((db) => reopened.rows<{ n: number }>(db, sql`SELECT count(*) AS n FROM scratch`));
  t.equal(n, 48, 'every commit is in the database file');
});
