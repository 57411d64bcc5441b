import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { createGroupCommitter } from '../../src/db/sqlite/group-commit.js';
import { ConnectionLock } from '../../src/db/sqlite/lock.js';
import { tempDir } from '../helper/app.js';

function setup(t: Parameters<typeof tempDir>[0]) {
  const path = join(tempDir(t), 'group.db');
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL UNIQUE)');
  const reader = new Database(path, { readonly: true });
  t.teardown(() => {
    reader.close();
    sqlite.close();
  });
  const insert = sqlite.prepare('INSERT INTO items (label) VALUES (?)');
  const visibleElsewhere = (label: string) => reader.prepare('SELECT count(*) AS n FROM items WHERE label = ?').get(label) as { n: number };
  return { sqlite, insert, visibleElsewhere };
}

t.test('every write resolves only once its commit is visible to another connection', async (t) => {
  const { sqlite, insert, visibleElsewhere } = setup(t);
  const committer = createGroupCommitter(sqlite, new ConnectionLock(), { maxBatch: 16 });
  const labels = Array.from({ length: 100 }, (_, i) => `item-${i}`);
  const seen = await Promise.all(
    labels.map((label) => committer.run(async () => Number(insert.run(label).lastInsertRowid)).then((id) => ({ id, committed: visibleElsewhere(label).n }))),
  );
  t.same(
    seen.map((s) => s.committed),
    labels.map(() => 1),
    'committed before the caller heard back',
  );
  t.equal(new Set(seen.map((s) => s.id)).size, 100);
  t.equal(committer.pending, 0);
});

t.test('a failing write is rejected alone; the others in its batch commit', async (t) => {
  const { sqlite, insert, visibleElsewhere } = setup(t);
  const committer = createGroupCommitter(sqlite, new ConnectionLock());
  const results = await Promise.allSettled([
    committer.run(async () => insert.run('a')),
    committer.run(async () => {
      insert.run('half-written');
      await Promise.resolve();
      insert.run('a'); // unique violation after a first write: the savepoint must undo both
    }),
    committer.run(async () => insert.run('b')),
  ]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  t.equal(visibleElsewhere('a').n, 1);
  t.equal(visibleElsewhere('b').n, 1);
  t.equal(visibleElsewhere('half-written').n, 0, 'nothing half-written');
});

t.test('drain waits for queued writes', async (t) => {
  const { sqlite, insert, visibleElsewhere } = setup(t);
  const committer = createGroupCommitter(sqlite, new ConnectionLock());
  await committer.drain();
  const writes = ['x', 'y'].map((label) => committer.run(async () => insert.run(label)));
  await committer.drain();
  t.equal(visibleElsewhere('x').n + visibleElsewhere('y').n, 2);
  await Promise.all(writes);
});

t.test('at synchronous=FULL on WAL the sync runs off the event loop and the connection stays at FULL', async (t) => {
  const { sqlite, insert, visibleElsewhere } = setup(t);
  sqlite.pragma('synchronous = FULL');
  const committer = createGroupCommitter(sqlite, new ConnectionLock(), { maxBatch: 8 });
  const labels = Array.from({ length: 40 }, (_, i) => `durable-${i}`);
  const results = await Promise.all(labels.map((label) => committer.run(async () => insert.run(label)).then(() => visibleElsewhere(label).n)));
  t.same(
    results,
    labels.map(() => 1),
    'each write is committed before its caller hears back',
  );
  t.equal(sqlite.pragma('synchronous', { simple: true }), 2, 'FULL again after the group commits');
  await committer.drain();
  sqlite.exec('DELETE FROM items');
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await committer.run(async () => insert.run('after-drain'));
  t.equal(visibleElsewhere('after-drain').n, 1, 'the WAL handle is reopened after drain');
  await committer.drain();
});
