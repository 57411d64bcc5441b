import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openDatabase } from '../../src/db/sqlite/client.js';
import { submissionBody } from '../../scripts/lib/crash-round.js';
import { addNeighborhoods, buildTestApp, compiledServer, tempDir } from '../helper/app.js';

/** A migrated database file, closed (its WAL checkpointed into it). */
function migratedDatabase(dir: string) {
  const path = join(dir, 'good.db');
  openDatabase(path).close();
  return path;
}

/** Overwrites one page of the file with garbage, as a failing disk or a stray write would. */
function corruptPageOf(path: string, table: string) {
  const sqlite = new Database(path, { readonly: true });
  const page = sqlite.prepare('SELECT rootpage FROM sqlite_schema WHERE name = ?').pluck().get(table) as number;
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  sqlite.close();
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
  closeSync(fd);
}

t.test('a damaged, empty, foreign or missing-with-leftover-WAL database file is refused with a clear message', async (t) => {
  const dir = tempDir(t);
  const cases: [string, () => string, RegExp][] = [
    [
      'a corrupt page',
      () => {
        const path = migratedDatabase(join(dir, 'corrupt'));
        corruptPageOf(path, 'responses');
        return path;
      },
      /is damaged \(SQLite's quick_check: .+\)\. Restore it from a backup/,
    ],
    [
      'a zero-length file',
      () => {
        writeFileSync(join(dir, 'empty.db'), '');
        return join(dir, 'empty.db');
      },
      /is empty \(0 bytes\), not a database/,
    ],
    [
      'a -wal without its database',
      () => {
        writeFileSync(join(dir, 'gone.db-wal'), Buffer.alloc(4096, 1));
        return join(dir, 'gone.db');
      },
      /gone\.db-wal exists but the database file .*gone\.db does not/,
    ],
    [
      'a file that is not SQLite',
      () => {
        writeFileSync(join(dir, 'notes.db'), 'submitted_on,neighborhood\n2026-01-01,riverside\n');
        return join(dir, 'notes.db');
      },
      /is not an SQLite database/,
    ],
    [
      "another application's database",
      () => {
        const other = new Database(join(dir, 'other.db'));
        other.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)');
        other.close();
        return join(dir, 'other.db');
      },
      /is an SQLite database of another application/,
    ],
  ];
  for (const [what, make, message] of cases) {
    const path = make();
    t.throws(() => openDatabase(path), { name: 'DatabaseFileError', message }, what);
    if (what === 'a -wal without its database') t.notOk(existsSync(path), 'no empty database was created in its place');
  }
});

t.test('an intact database of ours opens, and so does an empty SQLite file', async (t) => {
  const dir = tempDir(t);
  const path = migratedDatabase(dir);
  t.doesNotThrow(() => openDatabase(path).close());
  new Database(join(dir, 'blank.db')).pragma('user_version = 0');
  t.doesNotThrow(() => openDatabase(join(dir, 'blank.db')).close());
});

t.test('the server does not start on a bad file and says why', async (t) => {
  const path = join(tempDir(t), 'empty.db');
  writeFileSync(path, '');
  const server = compiledServer();
  const run = spawnSync(server.command, server.args, {
    env: { ...process.env, DATABASE_PATH: path, PORT: '0', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  t.equal(run.status, 1);
  t.match(run.stderr, /^Not starting: .*empty\.db is empty \(0 bytes\), not a database/);
  t.notMatch(run.stderr, /\n\s+at /, 'a message, not a stack trace');
});

t.test('a DATABASE_PATH that is a symbolic link opens the real file (its -wal beside it)', async (t) => {
  const dir = tempDir(t);
  const path = migratedDatabase(dir);
  const link = join(dir, 'link.db');
  symlinkSync(path, link);
  const handle = openDatabase(link);
  t.teardown(() => handle.close());
  t.equal(handle.path, path);
  symlinkSync(join(dir, 'nowhere.db'), join(dir, 'dangling.db'));
  t.throws(() => openDatabase(join(dir, 'dangling.db')), { name: 'DatabaseFileError', message: /symbolic link to a file that does not exist/ });
});

t.test('submissions are stored and acknowledged when DATABASE_PATH is a symbolic link', async (t) => {
  const dir = tempDir(t);
  const path = migratedDatabase(dir);
  const link = join(dir, 'link.db');
  symlinkSync(path, link);
  const { app, store, database } = await buildTestApp(t, { DATABASE_PATH: link });
  await addNeighborhoods(store, 'Crash Town');
  const res = await app.inject({
    method: 'POST',
    url: '/surveys/community-trust',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: submissionBody('through-the-link'),
  });
  t.equal(res.statusCode, 303, 'acknowledged');
  t.ok(existsSync(`${path}-wal`), 'the write-ahead log is beside the real file');
  t.equal(database.sqlite.prepare('SELECT count(*) FROM responses').pluck().get(), 1);
});
