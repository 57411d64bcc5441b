import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { createReadCache } from '../../src/db/read-cache.js';
import { tempDir } from '../helper/app.js';

t.test('a cached read is reused until this or another connection changes the database', (t) => {
  const path = join(tempDir(t), 'cache.db');
  const handle = openDatabase(path);
  const other = openDatabase(path);
  t.teardown(() => {
    other.close();
    handle.close();
  });
  handle.sqlite.exec('CREATE TABLE IF NOT EXISTS things (v INTEGER)');
  const cached = createReadCache(handle.sqlite);
  let reads = 0;
  const count = () =>
    cached('count', () => {
      reads++;
      return (handle.sqlite.prepare('SELECT count(*) AS n FROM things').get() as { n: number }).n;
    });

  t.equal(count(), 0);
  t.equal(count(), 0);
  t.equal(reads, 1, 'second read served from the cache');

  handle.sqlite.prepare('INSERT INTO things VALUES (1)').run();
  t.equal(count(), 1, 'own write seen');
  t.equal(reads, 2);

  other.sqlite.prepare('INSERT INTO things VALUES (2)').run();
  t.equal(count(), 2, "another connection's commit seen");
  t.equal(reads, 3);
  t.end();
});

t.test('the cache holds at most maxEntries keys', (t) => {
  const handle = openDatabase(join(tempDir(t), 'cap.db'));
  t.teardown(() => handle.close());
  const cached = createReadCache(handle.sqlite, { maxEntries: 2 });
  const reads: string[] = [];
  const read = (key: string) => cached(key, () => (reads.push(key), key));
  read('a');
  read('b');
  read('a');
  t.same(reads, ['a', 'b'], 'both kept while within the limit');
  read('c');
  read('a');
  t.same(reads, ['a', 'b', 'c', 'a'], 'a third key empties the cache');
  t.end();
});

t.test('changes declared unrelated keep the cache; any other change empties it', (t) => {
  const handle = openDatabase(join(tempDir(t), 'unrelated.db'));
  t.teardown(() => handle.close());
  handle.sqlite.exec('CREATE TABLE cache_log (v INTEGER); CREATE TABLE cache_settings (v INTEGER)');
  let unrelated = 0;
  const cached = createReadCache(handle.sqlite, { unrelatedChanges: () => unrelated });
  let reads = 0;
  const settings = () => cached('settings', () => (reads++, handle.sqlite.prepare('SELECT count(*) AS n FROM cache_settings').get()));
  settings();
  unrelated += handle.sqlite.prepare('INSERT INTO cache_log VALUES (1)').run().changes;
  settings();
  t.equal(reads, 1, 'an unrelated write keeps the cached read');
  handle.sqlite.prepare('INSERT INTO cache_settings VALUES (1)').run();
  t.same(settings(), { n: 1 });
  t.equal(reads, 2, 'any other write empties it');
  t.end();
});
