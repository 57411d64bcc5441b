import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openSqliteStore } from '../../src/db/open.js';
import { exited, prepareDatabase, startServerProcess, storedMarkers, submissionLoad } from '../../scripts/lib/crash-round.js';
import { compiledServer, tempDir } from '../helper/app.js';

const server = compiledServer();

t.test('SIGTERM finishes in-flight submissions, stops accepting and closes the database cleanly', async (t) => {
  const databasePath = join(tempDir(t), 'shutdown.db');
  await prepareDatabase(databasePath);
  const { child, url } = await startServerProcess(server, { DATABASE_PATH: databasePath });
  const load = submissionLoad(url, 8, 'term');
  await load.whenAcknowledged(20);
  child.kill('SIGTERM');
  const code = await exited(child);
  await load.stop();
  const { acknowledged } = load;

  t.equal(code, 0, 'a clean exit');
  t.ok(acknowledged.length > 10, `under load (${acknowledged.length} acknowledged)`);
  t.notOk(existsSync(`${databasePath}-wal`), 'the write-ahead log was checkpointed and removed on close');
  await t.rejects(fetch(`${url}/healthz`), 'no longer accepting connections');
  const { store } = openSqliteStore({ DATABASE_PATH: databasePath });
  t.teardown(() => store.close());
  const stored = await storedMarkers(store);
  t.same(
    acknowledged.filter((m) => !stored.has(m)),
    [],
    'every acknowledged submission is stored',
  );
});
